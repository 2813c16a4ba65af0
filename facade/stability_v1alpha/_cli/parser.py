"""The command-line grammar: subcommands, flags and their help.

This module is all that ``stability-v1alpha --help`` loads, so it imports only
argparse and the facade's tiny constant classes (``_types``, which pulls in
neither httpx nor the generated package). Flags carry only the checks argparse
does well (numbers, choices); the API's rules (sizes in steps of 64, ranges)
stay in the facade's validation, which reports them as usage errors too.
"""

from __future__ import annotations

import argparse
import difflib
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .._models import ClipGuidancePreset, MaskSource, Sampler

__all__ = ["SERVE_FAKE", "CLIParser", "build_parser", "parse_arguments", "redact"]

PROG = "stability-v1alpha"
SERVE_FAKE = "serve-fake"
DEFAULT_CONCURRENCY = 4
# Commands whose output has the size of their init image.
_SIZED_BY_INIT = ("image-to-image", "inpaint")
_HIDDEN = "***"

_EPILOG = """\
The API key is read from STABILITY_API_KEY (or --api-key); it is never printed.
STABILITY_BASE_URL sets the service address when --base-url is not given.

exit codes: 0 success, 1 API, network or file-system failure,
            2 usage or validation error (bad flag, existing output file),
            130 interrupted (Ctrl-C)
"""


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (an API key) replaced by ``***``.

    Case is ignored: a key given where a choice flag expected a value comes
    back upper-cased in argparse's "invalid choice" message.
    """
    for secret in secrets:
        if secret:
            text = re.sub(re.escape(secret), _HIDDEN, text, flags=re.IGNORECASE)
    return text


class CLIParser(argparse.ArgumentParser):
    """An ArgumentParser whose error messages never show a secret.

    argparse quotes offending arguments in its errors ("invalid choice: ..."),
    and a key given with ``--api-key`` in the wrong place would be one of them.
    """

    def __init__(self, *args: Any, secrets: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # --api-k must not pass for --api-key
        super().__init__(*args, **kwargs)
        self.secrets = tuple(secrets)
        self.commands: dict[str, CLIParser] = {}

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {redact(message, self.secrets)}\n")


def parse_arguments(arguments: Sequence[str], secrets: Sequence[str] = ()) -> argparse.Namespace:
    """Parse a command line, exiting with status 2 and a usage message when it is wrong.

    Sets ``args.batch`` (True for ``text-to-image --prompts-file``) and
    ``args.command_line`` (``arguments`` as given).
    """
    parser = build_parser(secrets)
    args, unknown = parser.parse_known_args(arguments)
    # Errors are reported against the subcommand, whose usage lists its flags.
    command = parser.commands.get(getattr(args, "command", None) or "", parser)
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}{_suggestion(command, unknown)}")
    args.command_line = list(arguments)
    args.batch = args.command == "text-to-image" and args.prompts_file is not None
    if args.command == "text-to-image":
        if args.batch and args.prompt is not None:
            command.error("give a PROMPT or --prompts-file FILE, not both")
        if not args.batch and args.prompt is None:
            command.error("give a PROMPT (in quotes), or --prompts-file FILE")
        if args.resume and not args.batch:
            command.error("--resume continues a batch: give --prompts-file FILE")
    elif args.command in _SIZED_BY_INIT and (args.width is not None or args.height is not None):
        command.error(
            f"--width/--height do not apply to {args.command}: the result has the size "
            "of INIT (resize INIT to change it)"
        )
    return args


def _suggestion(parser: argparse.ArgumentParser, unknown: Sequence[str]) -> str:
    """`` (did you mean --samples?)`` for a mistyped flag, else an empty string."""
    flags = [
        option
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for option in action.option_strings
        if option.startswith("--")
    ]
    for argument in unknown:
        if argument.startswith("--"):
            close = difflib.get_close_matches(argument.split("=", 1)[0], flags, n=1, cutoff=0.6)
            if close:
                return f" (did you mean {close[0]}?)"
    return ""


def build_parser(secrets: Sequence[str] = ()) -> CLIParser:
    """The top-level parser with one subparser per command."""
    from .. import __version__

    parser = CLIParser(
        prog=PROG,
        description="Generate images with the Stability.ai v1alpha API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        secrets=secrets,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _common_options()

    def add(name: str, usage: str, help: str, description: str) -> CLIParser:
        sub: CLIParser = commands.add_parser(
            name,
            usage=usage,
            help=help,
            description=description,
            parents=[common],
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            secrets=secrets,
        )
        parser.commands[name] = sub
        return sub

    t2i = add(
        "text-to-image",
        "%(prog)s [options] PROMPT\n"
        "       %(prog)s [options] --prompts-file FILE [--concurrency N]",
        "generate images from a text prompt (or a file of prompts)",
        "Generate images from PROMPT, or from every line of --prompts-file.",
    )
    t2i.add_argument("prompt", nargs="?", metavar="PROMPT", help="what to draw")
    batch = t2i.add_argument_group("batch")
    batch.add_argument(
        "--prompts-file",
        metavar="FILE",
        help="one prompt per line ('-' reads stdin); blank lines and lines starting "
        "with '#' are skipped; files are named after the line number",
    )
    batch.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"prompts in flight at once (default {DEFAULT_CONCURRENCY}; "
        "fewer for a while when the service rate-limits)",
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="finish an earlier batch into the same --out: skip the lines its journal "
        "records as done, generate the others (and lines whose prompt or flags changed)",
    )
    batch.add_argument(
        "--max-rate",
        type=_positive("per second"),
        metavar="N",
        help="send at most N requests per second (default: as fast as --concurrency "
        "allows; a rate limit is waited out either way)",
    )
    _size_flags(t2i)

    i2i = add(
        "image-to-image",
        "%(prog)s [options] INIT PROMPT [--step-schedule-start X]",
        "generate images starting from an init image",
        "Generate images from PROMPT, starting from the PNG file INIT.",
    )
    _init_and_prompt(i2i)
    _size_flags(i2i, hidden=True)
    i2i.add_argument(
        "--step-schedule-start",
        type=float,
        metavar="X",
        help="0..1: how much of INIT to discard (0 keeps it, 1 ignores it)",
    )
    i2i.add_argument("--step-schedule-end", type=float, metavar="X", help="0..1")

    inpaint = add(
        "inpaint",
        "%(prog)s [options] INIT PROMPT [--mask FILE] [--mask-source SOURCE]",
        "regenerate the masked part of an init image",
        "Regenerate the masked pixels of the PNG file INIT from PROMPT.",
    )
    _init_and_prompt(inpaint)
    _size_flags(inpaint, hidden=True)
    inpaint.add_argument(
        "--mask",
        metavar="FILE",
        help="PNG mask the size of INIT (white pixels are regenerated by default)",
    )
    inpaint.add_argument(
        "--mask-source",
        type=str.upper,
        choices=_values(MaskSource),
        help="where the mask comes from (default: MASK_IMAGE_WHITE with --mask, "
        "else INIT_IMAGE_ALPHA: the transparent pixels of INIT)",
    )

    commands.add_parser(
        SERVE_FAKE,
        help="run the embedded fake Stability server (see 'serve-fake --help')",
        add_help=False,
    )
    return parser


def _common_options() -> CLIParser:
    """Flags shared by the generating commands (a parent parser)."""
    common = CLIParser(add_help=False)
    gen = common.add_argument_group("generation")
    gen.add_argument("--negative-prompt", metavar="TEXT", help="what to steer away from")
    gen.add_argument("--engine", metavar="ID", help="engine id (default stable-diffusion-512-v2-1)")
    gen.add_argument("--samples", type=int, default=1, metavar="N", help="images per prompt, 1..10")
    gen.add_argument("--seed", type=int, metavar="N", help="0..2147483647 (default: random)")
    gen.add_argument("--steps", type=int, metavar="N", help="diffusion steps, 10..150")
    gen.add_argument("--cfg-scale", type=float, metavar="X", help="prompt strictness, 0..35")
    for flag, constants in (("--sampler", Sampler), ("--clip-guidance-preset", ClipGuidancePreset)):
        choices = _values(constants)
        gen.add_argument(
            flag, type=str.upper, choices=choices, metavar="NAME", help=", ".join(choices)
        )

    out = common.add_argument_group("output")
    out.add_argument(
        "--out",
        metavar="PATH",
        help="file for a single image, directory for several (default: current "
        "directory); with several samples, NAME.png becomes NAME-1.png, NAME-2.png...",
    )
    out.add_argument("--overwrite", action="store_true", help="replace existing files")
    out.add_argument(
        "--json", action="store_true", help="print one JSON document with the results to stdout"
    )
    out.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    out.add_argument("--debug", action="store_true", help="log HTTP traffic and show tracebacks")

    conn = common.add_argument_group("connection")
    conn.add_argument("--api-key", metavar="KEY", help="default: $STABILITY_API_KEY (preferred)")
    conn.add_argument("--base-url", metavar="URL", help="default: $STABILITY_BASE_URL or the API")
    conn.add_argument("--organization", metavar="ID", help="bill this organization")
    conn.add_argument(
        "--timeout", type=_positive("of seconds"), metavar="SECONDS", help="per request"
    )
    conn.add_argument(
        "--max-retries", type=_non_negative_int, metavar="N", help="retries per request (default 2)"
    )
    return common


def _size_flags(parser: argparse.ArgumentParser, *, hidden: bool = False) -> None:
    """``--width`` and ``--height``; hidden where they are refused with a reason."""
    for flag in ("--width", "--height"):
        parser.add_argument(
            flag,
            type=int,
            metavar="PX",
            help=argparse.SUPPRESS if hidden else "512..2048, a multiple of 64",
        )


def _init_and_prompt(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("init", metavar="INIT", help="the starting image (a PNG file)")
    parser.add_argument("prompt", metavar="PROMPT", help="what to draw")


def _values(constants: type) -> list[str]:
    """The string constants a facade class like :class:`Sampler` defines."""
    return [v for k, v in vars(constants).items() if k.isupper() and isinstance(v, str)]


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive(unit: str) -> Callable[[str], float]:
    """An argparse type: a positive finite number (of ``unit``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value < math.inf:
            raise argparse.ArgumentTypeError(f"must be a positive number {unit}, got {text}")
        return value

    return parse


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
