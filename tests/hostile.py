"""A scriptable HTTP server on a raw socket, for answers no well-behaved server sends.

:class:`HostileServer` listens on 127.0.0.1. Each connection reads one request
and plays the next scripted :data:`Answer`; when the script runs out, the last
answer repeats. An answer is a sequence of pieces, sent in order, then the
connection is closed:

* ``bytes``: sent at once;
* :class:`Drip`: sent one byte at a time, at a set rate (a slow status line,
  slow headers, a slow body), once or endlessly;
* :class:`Stream`: a large body made as it is sent (compression bombs, bodies
  of hundreds of megabytes), so that the test process stays small;
* :class:`Stall`: a pause with nothing sent;
* :data:`RESET`: abort the connection with a TCP RST.

:meth:`HostileServer.drive` runs a client call under a watchdog: a call that
outlives its limit is reported as such and ended by shutting the server down,
so that a client that hangs fails its test instead of hanging the suite.

Run as ``python -m hostile REQUEST_JSON`` (``tests`` on the path), the module
makes one call in a fresh process and prints its outcome and its peak RSS.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
# Faster than any per-read timeout the tests set: each read gets its byte in time.
DRIP_EVERY = 0.1


# --------------------------------------------------------------------------------------------
# The pieces of an answer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drip:
    """``data`` one byte every ``every`` seconds; ``endless`` repeats it until the client leaves."""

    data: bytes
    every: float = DRIP_EVERY
    endless: bool = False


@dataclass(frozen=True)
class Stream:
    """The chunks ``make()`` yields, sent as fast as the client reads (a new stream per answer)."""

    make: Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class Stall:
    """Send nothing for ``seconds`` (None: until the server stops)."""

    seconds: float | None = None


class _Reset:
    def __repr__(self) -> str:
        return "RESET"


RESET = _Reset()

Piece = bytes | Drip | Stream | Stall | _Reset
Answer = tuple[Piece, ...]


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@dataclass
class RawRequest:
    """One request as the server read it."""

    request_line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Run:
    """How one driven call ended."""

    result: Any = None
    error: BaseException | None = None
    seconds: float = 0.0
    in_time: bool = True
    # Peak of the memory traced during the call, over what was traced before it.
    traced_peak: int | None = None


@dataclass
class HostileServer:
    """HTTP/1.1 on a bare socket; connection n gets ``answers[n]`` (the last one repeats).

    Every connection is closed after its answer, so the number of connections
    equals the number of requests answered.
    """

    answers: Sequence[Answer]
    requests: list[RawRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._accepter = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HostileServer:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop listening and end every connection (a client blocked on one sees it close)."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        if self._accepter.is_alive():
            self._accepter.join(5)
        self._sock.close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)

    def drive(self, call: Callable[[], Any], limit: float, *, trace: bool = False) -> Run:
        """Run ``call`` in a thread; past ``limit`` seconds, stop the server to end it.

        ``trace`` measures the call's peak of Python memory with ``tracemalloc``.
        """
        run = Run()

        def target() -> None:
            started = time.perf_counter()
            try:
                run.result = call()
            except BaseException as exc:
                run.error = exc
            run.seconds = time.perf_counter() - started

        if trace:
            tracemalloc.start()
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        worker = threading.Thread(target=target, daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            run.in_time = False
            self.stop()
            worker.join(5)
        if trace:
            run.traced_peak = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.stop()
        return run

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            with self._lock:
                self._open.add(conn)
            try:
                request = _read_request(conn)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                    answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                for piece in answer:
                    if self._stop.is_set() or not self._play(conn, piece):
                        return
            except (OSError, ValueError):
                return
            finally:
                with self._lock:
                    self._open.discard(conn)

    def _play(self, conn: socket.socket, piece: Piece) -> bool:
        """Send one piece; False when the rest of the answer must not be sent."""
        if isinstance(piece, bytes):
            conn.sendall(piece)
        elif isinstance(piece, Drip):
            data = itertools.cycle(piece.data) if piece.endless else iter(piece.data)
            for byte in data:
                if self._stop.wait(piece.every):
                    return False
                conn.sendall(bytes((byte,)))
        elif isinstance(piece, Stream):
            for chunk in piece.make():
                if self._stop.is_set():
                    return False
                conn.sendall(chunk)
        elif isinstance(piece, Stall):
            return not self._stop.wait(piece.seconds)
        else:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        return True


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawRequest(lines[0], headers, body)


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


def head(
    status: int = 200, headers: Mapping[str, str | None] | None = None, *, reason: str = "X"
) -> bytes:
    """A status line and headers (``Connection: close`` unless overridden; None drops one).

    Header text is sent as UTF-8, so values may hold any character.
    """
    fields = {"Connection": "close", **(headers or {})}
    lines = [f"HTTP/1.1 {status} {reason}"] + [
        f"{k}: {v}" for k, v in fields.items() if v is not None
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http_response(
    status: int = 200,
    body: bytes = b"",
    headers: Mapping[str, str | None] | None = None,
    *,
    content_length: int | None = None,
) -> bytes:
    """The bytes of a whole response (a PNG by default); ``content_length`` may lie."""
    length = len(body) if content_length is None else content_length
    fields = {"Content-Type": "image/png", "Content-Length": str(length), **(headers or {})}
    return head(status, fields) + body


def chunked(chunks: Iterable[bytes], trailer: bytes = b"") -> Iterator[bytes]:
    """``chunks`` in chunked transfer coding, then the last chunk and ``trailer`` lines."""
    for chunk in chunks:
        if chunk:
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
    yield b"0\r\n" + trailer + b"\r\n"


def repeated(
    start: bytes, fill: bytes, count: int, end: bytes = b""
) -> Callable[[], Iterator[bytes]]:
    """A body of ``start``, ``count`` times ``fill`` and ``end``, made while it is sent."""

    def make() -> Iterator[bytes]:
        yield start
        yield from itertools.repeat(fill, count)
        yield end

    return make


def base64_start(data: bytes) -> bytes:
    """Base64 of the start of ``data``, cut to whole groups so that more base64 may follow."""
    usable = len(data) - len(data) % 3
    return base64.b64encode(data[:usable])


# --------------------------------------------------------------------------------------------
# Content-Encoding: honest streams and bombs
# --------------------------------------------------------------------------------------------

# zlib window bits selecting the gzip and zlib ("deflate") wrappers.
_WBITS = {"gzip": 31, "deflate": 15}
# A final, empty deflate block with fixed codes: BFINAL=1, BTYPE=01, end-of-block.
_LAST_BLOCK = b"\x03\x00"


def encoded(encoding: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` compressed with Content-Encoding ``encoding`` (gzip or deflate), as a stream."""
    packer = zlib.compressobj(6, zlib.DEFLATED, _WBITS[encoding])
    for chunk in chunks:
        out = packer.compress(chunk)
        if out:
            yield out
    yield packer.flush()


def bomb(
    encoding: str, count: int, *, start: bytes = b"", fill: bytes = bytes(MIB), end: bytes = b""
) -> Callable[[], Iterator[bytes]]:
    """A valid gzip or deflate stream of ``start + fill * count + end``, made while it is sent.

    Each piece is compressed after a full flush, which resets the compressor:
    the same ``fill`` then always compresses to the same bytes, so the block is
    computed once and sent ``count`` times (a mebibyte of zeros is 1 KiB of
    it). Only the checksum is kept up to date, so 1 GiB inflates from a stream
    that costs the sender next to nothing.
    """
    gzip = encoding == "gzip"
    checksum = zlib.crc32 if gzip else zlib.adler32

    def make() -> Iterator[bytes]:
        packer = zlib.compressobj(9, zlib.DEFLATED, _WBITS[encoding])
        value = checksum(start, checksum(b""))
        yield packer.compress(start) + packer.flush(zlib.Z_FULL_FLUSH)
        block = packer.compress(fill) + packer.flush(zlib.Z_FULL_FLUSH)
        for _ in range(count):
            yield block
            value = checksum(fill, value)
        value = checksum(end, value)
        size = len(start) + count * len(fill) + len(end)
        trailer = struct.pack("<II", value, size & 0xFFFFFFFF) if gzip else struct.pack(">I", value)
        yield packer.compress(end) + packer.flush(zlib.Z_FULL_FLUSH) + _LAST_BLOCK + trailer

    return make


# --------------------------------------------------------------------------------------------
# One call in a fresh process, for its peak RSS
# --------------------------------------------------------------------------------------------

# A client that does not stop reading must not take the machine down with it (address
# space, not RSS: ten times the 200 MB the tests allow, room for thread stacks and arenas).
CHILD_ADDRESS_SPACE = 2048 * MIB


def run_in_child(request: Mapping[str, Any], limit: float) -> dict[str, Any]:
    """Run :func:`_child` in a new interpreter; its report, or ``{"outcome": "killed"}``.

    ``request`` holds ``kind``, ``base_url``, ``client_options`` and ``kwargs``
    of the call.
    """
    here = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hostile", json.dumps(request)],
            capture_output=True,
            text=True,
            timeout=limit,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "killed", "seconds": limit}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"outcome": f"crashed ({done.returncode})", "stderr": done.stderr[-2000:]}
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def _peak_rss() -> int:
    """This process's peak resident set size, in bytes.

    ``VmHWM`` belongs to the address space the process got at ``exec``; the
    ``ru_maxrss`` of ``getrusage`` is inherited across fork and exec on Linux,
    so in a child of a large pytest process it reports the parent's size.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux: KiB


def _child(request: dict[str, Any]) -> dict[str, Any]:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    import stability_v1alpha
    from support import call

    started = time.perf_counter()
    try:
        result = call(
            request["kind"],
            request["base_url"],
            client_options=request["client_options"],
            **request["kwargs"],
        )
    except BaseException as exc:
        outcome = type(exc).__name__
        typed = isinstance(exc, stability_v1alpha.StabilityError)
    else:
        outcome, typed = f"{len(result)} images", True
    seconds = time.perf_counter() - started
    peak = _peak_rss()
    return {"outcome": outcome, "typed": typed, "seconds": seconds, "peak_rss": peak}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))))
