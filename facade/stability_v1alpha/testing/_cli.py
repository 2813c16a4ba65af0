"""``python -m stability_v1alpha.testing`` / ``stability-v1alpha serve-fake``.

Runs the fake server in the foreground, for trying a client, a notebook or
another language's SDK against it by hand. A key given on the command line
(or in ``STABILITY_FAKE_API_KEY``) is never echoed in full; a generated one
is printed, since the user needs it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._defaults import DEFAULT_ENGINES, DEFAULT_FILTERED_WORDS, DEFAULT_MAX_UPLOAD_BYTES
from ._ratelimit import check_rate_limit

__all__ = ["build_parser", "key_hint", "serve_main"]

_KEY_ENV = "STABILITY_FAKE_API_KEY"


def key_hint(key: str) -> str:
    """Enough of a key to recognise it, not enough to use it."""
    if len(key) < 12:
        return f"<{len(key)} characters>"
    return f"{key[:3]}...{key[-2:]} ({len(key)} characters)"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a fake Stability.ai v1alpha API server on this machine.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port to bind (default: 0, a free port the system picks; the address is printed)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(_KEY_ENV),
        help=f"the only key to accept (default: ${_KEY_ENV}, else generate one and accept any)",
    )
    parser.add_argument(
        "--engine",
        action="append",
        dest="engines",
        metavar="ID",
        help="an engine id that exists (repeat; default: the four v1alpha engines)",
    )
    parser.add_argument(
        "--filtered-word",
        action="append",
        dest="filtered_words",
        metavar="WORD",
        help="a word that makes a prompt fail with invalid_prompts (repeat)",
    )
    parser.add_argument(
        "--max-upload-bytes",
        type=int,
        default=DEFAULT_MAX_UPLOAD_BYTES,
        help="largest accepted image upload (default: %(default)s)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="N/S",
        help="allow N requests per S seconds per API key (a fixed window); "
        "past that, answer 429 rate_limited with Retry-After",
    )
    parser.add_argument(
        "--goa-errors",
        action="store_true",
        help="send errors as application/vnd.goa.error instead of application/json",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each request")
    return parser


def _rate_limit(text: str) -> tuple[int, float]:
    """``150/10``: 150 requests per 10 seconds."""
    requests, slash, seconds = text.partition("/")
    try:
        if not slash:
            raise ValueError(text)
        limit = check_rate_limit((int(requests), float(seconds)))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS such as 150/10, got {text!r}"
        ) from None
    assert limit is not None
    return limit


def serve_main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; returns the process exit status."""
    args = build_parser(prog).parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    from ._server import FakeStabilityServer  # imports openapi-core: only once needed

    try:
        server = FakeStabilityServer(
            args.api_key or None,
            host=args.host,
            port=args.port,
            engines=args.engines or DEFAULT_ENGINES,
            filtered_words=args.filtered_words or DEFAULT_FILTERED_WORDS,
            max_upload_bytes=args.max_upload_bytes,
            error_content_type=(
                "application/vnd.goa.error" if args.goa_errors else "application/json"
            ),
            latency=args.latency,
            rate_limit=args.rate_limit,
        )
        server.start()
    except (OSError, OverflowError, ValueError) as exc:
        print(f"error: cannot start the fake server: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        print(f"Fake Stability v1alpha API listening on {server.base_url}", flush=True)
        if server.accepts_any_key:
            print(f"API key: {server.api_key} (generated; any non-empty key is accepted)")
        else:
            print(f"API key: {key_hint(server.api_key)}, as given")
        if server.rate_limit is not None:
            requests, seconds = server.rate_limit
            print(f"Rate limit: {requests} requests per {seconds:g} s per API key")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("Stopped.", flush=True)
    return 0
