"""The ``stability-v1alpha`` command: argument handling, dispatch, exit codes.

Only :mod:`.parser` is imported up front; the client (and with it httpx and
the generated package) is loaded once a command actually runs, which keeps
``stability-v1alpha --help`` instant.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .parser import SERVE_FAKE, parse_arguments

if TYPE_CHECKING:
    from .report import Report

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(arguments)
    except KeyboardInterrupt:  # before a command started, or while it was reporting
        print("interrupted", file=sys.stderr)
        return 130


def _main(arguments: list[str]) -> int:
    if arguments[:1] == [SERVE_FAKE]:
        return _serve_fake(arguments[1:])
    secrets = _secrets(arguments)
    args = parse_arguments(arguments, secrets)

    from .errors import failure_from
    from .output import Console
    from .report import Report

    console = Console(sys.stderr, quiet=args.quiet, secrets=secrets, debug=args.debug)
    if args.debug:
        _log_http()
    report = Report()
    try:
        if args.batch:
            from .batch import run_batch

            run_batch(args, console, report)
        else:
            from .run import run_single

            run_single(args, console, report)
    except KeyboardInterrupt:
        report.interrupted = True
        console.write("interrupted; no partial file was left\n")
    except Exception as exc:  # reported as one line; the traceback only with --debug
        failure = failure_from(exc, None)
        report.failed(failure)
        console.traceback(exc)
        console.error(failure.describe())
    if args.json:
        _print_json(report, secrets)
    return report.exit_code()


def _print_json(report: Report, secrets: Sequence[str]) -> None:
    """The ``--json`` document; a reader that stopped early (``| head``) is not an error."""
    try:
        report.write_json(sys.stdout, secrets)
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _secrets(arguments: Sequence[str]) -> list[str]:
    """The API keys this run may see, so that no message ever shows them.

    Prefix abbreviations are disabled in the parser, so ``--api-key`` is
    always spelt in full: ``--api-key KEY`` or ``--api-key=KEY``.
    """
    found = [os.environ.get("STABILITY_API_KEY", "")]
    for position, argument in enumerate(arguments):
        if argument == "--api-key" and position + 1 < len(arguments):
            found.append(arguments[position + 1])
        elif argument.startswith("--api-key="):
            found.append(argument.partition("=")[2])
    return [secret.strip() for secret in found if secret.strip()]


def _serve_fake(arguments: list[str]) -> int:
    """``serve-fake``: hand the rest of the command line to the fake server's own CLI."""
    from ..testing.__main__ import serve_main

    try:
        return serve_main(arguments, prog="stability-v1alpha serve-fake")
    except ImportError:  # the server's modules are imported once the arguments are read
        from ..testing._extra import missing_extra

        message = missing_extra()
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1


def _log_http() -> None:
    """``--debug``: the client's request log (keys redacted by the client) on stderr."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    logger = logging.getLogger("stability_v1alpha")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
