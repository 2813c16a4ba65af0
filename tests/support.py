"""Helpers shared by the client tests.

* :data:`KEY`: a distinctive API key; the secrets tests look for it (and for
  pieces of it) in every text the client produces.
* :func:`png`: the one builder of PNG inputs, on the fake server's encoder.
* :class:`SleepRecorder`: stands in for the clients' retry waits (the
  ``sleeps`` fixture of ``conftest.py`` installs it), so that no test really
  sleeps, and records every delay asked for.
* :func:`call`: runs one facade call on the blocking or the asyncio client, so
  that every scenario is checked on both.
* :func:`ok_png`, :func:`is_backoff`: a good answer for
  :class:`hostile.HostileServer` and the back-off rule the waits must follow.
* :func:`leaks`, :class:`Collector`, :func:`texts_of_error`: looking for the key.
* :func:`fake_server`: the fake with :data:`KEY`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import struct
import traceback
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hostile import Answer, http_response
from stability_v1alpha import AsyncStability, Generation, Stability, _pacing
from stability_v1alpha.testing import make_png

if TYPE_CHECKING:
    # The server pulls in openapi-core: imported on use, so that a child process that
    # only calls the client (hostile.run_in_child) stays small.
    from stability_v1alpha.testing import FakeStabilityServer

# Distinctive, with characters that regexes and URL encoders treat specially.
KEY = "sk-HARDENING-canary-7f3c9e1d+Zq8/x=Kw"
ENGINE = "stable-diffusion-512-v2-1"
KINDS = ("sync", "async")


# --------------------------------------------------------------------------------------------
# PNG images
# --------------------------------------------------------------------------------------------

_IHDR_END = 8 + 4 + 4 + 13 + 4  # signature, then the IHDR chunk: length, type, data, CRC


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(
    width: int = 8,
    height: int = 8,
    *,
    fill: bytes = b"\x20\x80\xc0",
    alpha: int | None = None,
    extra_chunks: tuple[tuple[bytes, bytes], ...] = (),
) -> bytes:
    """A valid 8-bit PNG filled with one RGB colour; with ``alpha``, RGBA of that opacity.

    ``extra_chunks`` are inserted (as ancillary chunks) before the image data:
    handy to put arbitrary bytes, such as multipart boundaries, inside a PNG
    that every decoder still reads.
    """
    pixels = width * height
    opacity = None if alpha is None else bytes([alpha]) * pixels
    data = make_png(width, height, fill * pixels, opacity)
    assert data[12:16] == b"IHDR"
    chunks = b"".join(_chunk(kind, body) for kind, body in extra_chunks)
    return data[:_IHDR_END] + chunks + data[_IHDR_END:]


PNG_8 = png()


def artifacts_body(*images: bytes, seed: int = 7, reason: str = "SUCCESS", **extra: Any) -> bytes:
    """A JSON array of artifacts, as the service sends for ``Accept: application/json``."""
    items = [
        {"base64": base64.b64encode(data).decode(), "seed": seed, "finishReason": reason, **extra}
        for data in images
    ]
    return json.dumps(items).encode()


PNG_HEADERS = {"Content-Type": "image/png", "Seed": "42", "Finish-Reason": "SUCCESS"}
JSON_HEADERS = {"Content-Type": "application/json", "Seed": "42", "Finish-Reason": "SUCCESS"}


# --------------------------------------------------------------------------------------------
# Clients and calls
# --------------------------------------------------------------------------------------------


def make_client(kind: str, base_url: str, **options: Any) -> Stability | AsyncStability:
    options.setdefault("api_key", KEY)
    if kind == "sync":
        return Stability(base_url=base_url, **options)
    return AsyncStability(base_url=base_url, **options)


def call(
    kind: str,
    base_url: str,
    method: str = "text_to_image",
    *args: Any,
    client_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Generation:
    """Open a client of ``kind``, run one call, close the client; return or raise as it did."""
    if not args and method == "text_to_image":
        args = ("a lighthouse at dawn",)
    options = dict(client_options or {})
    if kind == "sync":
        with Stability(base_url=base_url, **{"api_key": KEY, **options}) as client:
            result: Generation = getattr(client, method)(*args, **kwargs)
            return result

    async def run() -> Generation:
        async with AsyncStability(base_url=base_url, **{"api_key": KEY, **options}) as client:
            result: Generation = await getattr(client, method)(*args, **kwargs)
            return result

    return asyncio.run(run())


# --------------------------------------------------------------------------------------------
# Retry waits
# --------------------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for ``_client._sleep`` / ``_client._async_sleep``: records, never waits.

    :meth:`now` is the clock the clients' request gates read: the recorded
    waits pass on it as if they had been slept.
    """

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._now = _pacing.monotonic()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self._now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


# Back-off before retry n (1-based) is min(0.5 * 2**(n-1), 8) scaled by a jitter in [0.5, 1].
def backoff_bounds(retry: int) -> tuple[float, float]:
    base = min(0.5 * 2.0 ** (retry - 1), 8.0)
    return base * 0.5, base


def is_backoff(delays: list[float]) -> bool:
    return all(
        lo - 1e-9 <= d <= hi + 1e-9
        for d, (lo, hi) in zip(delays, map(backoff_bounds, range(1, len(delays) + 1)), strict=True)
    )


def ok_png(data: bytes = PNG_8, seed: int = 42) -> Answer:
    """A good answer for :class:`hostile.HostileServer`."""
    return (http_response(200, data, {"Seed": str(seed), "Finish-Reason": "SUCCESS"}),)


# --------------------------------------------------------------------------------------------
# Looking for the key
# --------------------------------------------------------------------------------------------

WINDOW = 12
PIECES = {KEY[i : i + WINDOW] for i in range(len(KEY) - WINDOW + 1)}


def leaks(text: str) -> list[str]:
    """The pieces of the key found in ``text`` (empty when it is clean)."""
    return sorted(piece for piece in PIECES if piece in text)


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.formatter_ = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.formatter_.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr(record.__dict__))


def texts_of_error(error: BaseException, *, with_locals: bool = True) -> list[str]:
    """Everything one may read about ``error``.

    ``with_locals`` adds the traceback with local variables (as error trackers
    capture it): fair for errors raised while the client holds the key, not
    for a constructor refusing a key, whose own argument is a local there.
    """
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if with_locals:
        exception = traceback.TracebackException.from_exception(error, capture_locals=True)
        texts.append("".join(exception.format()))
    cause: BaseException | None = error
    while cause is not None:
        texts += [str(cause), repr(cause), repr(getattr(cause, "__dict__", {}))]
        cause = cause.__cause__ or cause.__context__
    return texts


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def fake_server(**options: Any) -> Iterator[FakeStabilityServer]:
    """A running fake server that takes :data:`KEY` (and only it)."""
    from stability_v1alpha.testing import FakeStabilityServer

    with FakeStabilityServer(api_key=KEY, **options) as server:
        yield server


# --------------------------------------------------------------------------------------------
# File descriptors
# --------------------------------------------------------------------------------------------


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))
