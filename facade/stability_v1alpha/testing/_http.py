"""The HTTP layer: a threading HTTP/1.1 server that can also misbehave on purpose.

Built on ``http.server`` so that the fake needs nothing beyond the standard
library to speak HTTP. The server subclass keeps track of every open
connection so that ``stop()`` can shut them down (a keep-alive connection
otherwise keeps its handler thread blocked in ``recv``), counts accepted
connections (tests check that a client reuses them), and can close a
connection with a TCP reset instead of an orderly FIN.

Whatever a client sends, a refusal is a goa error in JSON with a 4xx status,
like the service's: any method other than POST on a known path gets 405, a
request line or header section the standard library cannot parse gets 400
(or 414/431) instead of its HTML page, and so does broken body framing.
"""

from __future__ import annotations

import contextlib
import email.errors
import functools
import logging
import re
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from ._answers import Answer, fail_answer, goa_error, http_date, respond_answer
from ._faults import (
    ContentFilterFault,
    DelayFault,
    FailFault,
    Fault,
    FaultQueue,
    ResetFault,
    RespondFault,
    TruncateFault,
)
from ._records import HeaderMap, RecordedRequest, RequestLog
from ._service import FakeService, IncomingRequest, Inspection

__all__ = ["FakeHTTPServer", "ServerState"]

logger = logging.getLogger("stability_v1alpha.testing")

# Idle keep-alive connections are closed after this long, like a real front end.
_IDLE_TIMEOUT = 60.0
# Longest request line, header line or chunk-size line (the standard library's limit).
_MAX_HEADER_LINE = 65536
# Trailer lines accepted after a chunked body (as many as headers before it).
_MAX_TRAILERS = 100
_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n")
# What the header parser reports for a line that is no header (it then stops
# reading headers) or a continuation line; defects of a multipart body are no concern here.
_HEADER_DEFECTS = (
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.InvalidHeaderDefect,
)
# Longest text of a request line quoted back in an error message.
_MAX_QUOTE = 200
# After its answer, a closing connection reads and drops input for at most this long / this much.
_LINGER_SECONDS = 2.0
_MAX_LINGER_BYTES = 64 * 1024 * 1024
# Oversized bodies up to this size are read and dropped before the 400 is sent.
_MAX_DISCARD = 256 * 1024 * 1024


@dataclass
class ServerState:
    """Everything the request handlers share with the public server object."""

    service: FakeService
    faults: FaultQueue = field(default_factory=FaultQueue)
    log: RequestLog = field(default_factory=RequestLog)
    stopping: threading.Event = field(default_factory=threading.Event)
    latency: float = 0.0
    _connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def connections_opened(self) -> int:
        with self._lock:
            return self._connections

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def reset_connection_count(self) -> None:
        with self._lock:
            self._connections = 0


class _BadBody(Exception):
    """The request body could not be read as HTTP/1.1 framing says."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class FakeHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks, counts and can abort its connections."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when a load test
    # opens dozens at once; a real service's front end would queue them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: ServerState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._active: set[socket.socket] = set()
        self._aborting: set[socket.socket] = set()
        self._handlers: list[threading.Thread] = []
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Replaces ThreadingMixIn's version, which does not keep daemon threads
        # for server_close() to join: these are named after the port and joined
        # by join_handlers().
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"fake-stability-connection:{self.server_address[1]}",
            daemon=True,
        )
        # Answers go out as soon as they are written (no Nagle delay on small writes).
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.state.count_connection()
        with self._lock:
            self._active.add(request)
            self._handlers = [t for t in self._handlers if t.is_alive()]
            self._handlers.append(thread)
        thread.start()

    def join_handlers(self, timeout: float) -> bool:
        """Wait for every connection thread to end; False if some outlived ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in handlers)

    def abort_on_close(self, request: socket.socket) -> None:
        """Close ``request`` with a TCP RST (SO_LINGER 0, no shutdown) when done."""
        with contextlib.suppress(OSError):
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._lock:
            self._aborting.add(request)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            aborting = request in self._aborting
            self._aborting.discard(request)
        if not aborting:  # a shutdown() first would send FIN; closing right away sends RST
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_WR)
                if not self.state.stopping.is_set():
                    _linger(request)  # still in _active: stop() can cut it short
        with self._lock:
            self._active.discard(request)
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints tracebacks to stderr; a client hanging up is routine.
        if isinstance(sys.exc_info()[1], OSError):
            logger.debug("connection from %s failed", client_address, exc_info=True)
        else:
            logger.exception("the fake server failed on a request from %s", client_address)

    def shut_down_connections(self) -> None:
        """Wake every handler blocked on its connection so that it can finish."""
        with self._lock:
            active = list(self._active)
        for conn in active:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stability-v1alpha-fake"
    sys_version = ""
    timeout = _IDLE_TIMEOUT

    def handle_one_request(self) -> None:
        """Read and answer one request.

        Replaces the standard library's version, which answers a method it has
        no ``do_<METHOD>`` for with an HTML 501: here every method, whatever
        its name, reaches :meth:`_serve`, and the service answers 405 to all
        but POST.
        """
        try:
            self.raw_requestline = self.rfile.readline(_MAX_HEADER_LINE + 1)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > _MAX_HEADER_LINE:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(414, "request line too long")
                return
            if self.parse_request():
                self._serve()
        except TimeoutError:
            self.close_connection = True  # the client went quiet

    def parse_request(self) -> bool:
        """The standard library's parsing, refusing HTTP/0.9 and malformed header lines too."""
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "HTTP/0.9 requests are not supported")
            return False
        if any(isinstance(d, _HEADER_DEFECTS) for d in self.headers.defects) or any(
            "\n" in value
            for value in self.headers.values()  # obs-fold, which RFC 9112 forbids
        ):
            self.send_error(400, "malformed header section")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Refuse a request that could not be parsed, with a goa error instead of an HTML page.

        The standard library calls this for a bad request line (400, or 505
        for a version above 1.x), a long request line (414) or too many or too
        long headers (431). Any of these is the client's doing, so a 5xx
        verdict is answered as 400.
        """
        status = code if code < 500 else 400
        text = message or self.responses.get(status, ("bad request",))[0]
        if len(text) > _MAX_QUOTE:
            text = text[: _MAX_QUOTE - 3] + "..."
        content_type = cast(FakeHTTPServer, self.server).state.service.config.error_content_type
        self.close_connection = True
        self._send(goa_error(status, text, content_type=content_type, close=True), truncate=False)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line and status only: headers (and so API keys) are never logged.
        # Formatted only when someone listens: this runs for every answer.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header changes once a second; formatting it for every answer
        # was a measurable share of the server's CPU per request.
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return _http_date_of_second(int(time.time()))

    # ------------------------------------------------------------------ one request

    def _serve(self) -> None:
        server = cast(FakeHTTPServer, self.server)
        state = server.state
        headers = HeaderMap(self.headers.items())
        try:
            body = self._read_body(state)
        except _BadBody as exc:
            body = b""
            inspection = _error_inspection(self.path, state, exc.status, str(exc))
        except (OSError, ValueError):
            self.close_connection = True  # the client went away mid-body
            return
        else:
            try:
                incoming = IncomingRequest(self.command, self.path, headers, body)
                inspection = state.service.inspect(incoming)
            except Exception:
                logger.exception("the fake server failed to judge a request")
                inspection = _error_inspection(self.path, state, 500, "internal error")
        fault = state.faults.pop()
        answer = self._answer(inspection, fault, state)
        state.log.append(
            RecordedRequest(
                method=self.command,
                path=inspection.path,
                query=inspection.query,
                headers=headers,
                body=body,
                operation=inspection.operation,
                engine_id=inspection.engine_id,
                json=inspection.json,
                parts=inspection.parts,
                validation_errors=inspection.validation_errors,
                status=answer.status if answer is not None else None,
                fault=fault,
            )
        )
        wait = state.latency + (fault.seconds if isinstance(fault, DelayFault) else 0.0)
        if wait > 0 and state.stopping.wait(wait):
            self.close_connection = True
            return
        if answer is None:
            self.close_connection = True
            server.abort_on_close(self.connection)
            return
        self._send(answer, truncate=isinstance(fault, TruncateFault))

    def _answer(
        self, inspection: Inspection, fault: Fault | None, state: ServerState
    ) -> Answer | None:
        """The answer to send; None means reset the connection instead."""
        if isinstance(fault, FailFault):
            return fail_answer(fault, state.service.config.error_content_type)
        if isinstance(fault, RespondFault):
            return respond_answer(fault)
        if isinstance(fault, ResetFault):
            return None
        if inspection.answer is not None:
            return inspection.answer
        if inspection.plan is None:  # pragma: no cover - inspect() always sets one of them
            raise RuntimeError("inspection has neither an answer nor a plan")
        try:
            return state.service.render(
                inspection.plan, content_filtered=isinstance(fault, ContentFilterFault)
            )
        except Exception:
            logger.exception("the fake server failed to render an answer")
            return goa_error(
                500,
                "internal error in the fake server",
                content_type=state.service.config.error_content_type,
                fault=True,
            )

    # ------------------------------------------------------------------ wire

    def _read_body(self, state: ServerState) -> bytes:
        limit = 3 * state.service.config.max_upload_bytes + 1024 * 1024
        encoding = ", ".join(self.headers.get_all("Transfer-Encoding") or ()).strip().lower()
        lengths = self.headers.get_all("Content-Length") or []
        if encoding and encoding != "identity":
            self.close_connection = True
            if encoding != "chunked":
                raise _BadBody(400, f"Transfer-Encoding {encoding[:_MAX_QUOTE]!r} is not supported")
            if lengths:
                raise _BadBody(400, "both Transfer-Encoding and Content-Length are set")
            return self._read_chunked(limit)
        if not lengths:
            return b""
        if len(lengths) > 1 or not _CONTENT_LENGTH.fullmatch(lengths[0].strip()):
            self.close_connection = True
            raise _BadBody(400, "invalid Content-Length header")
        length = int(lengths[0])
        if length > limit:
            self.close_connection = True
            if length <= _MAX_DISCARD:
                # Read the upload anyway, so that the client gets to read the 400.
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(1 << 20, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            raise _BadBody(400, f"invalid_file_size: the request body is over {limit} bytes")
        body = self.rfile.read(length)
        if len(body) != length:
            raise ValueError("connection closed before the end of the body")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        """The body of a chunked request (the caller has set the connection to close)."""
        chunks = bytearray()
        while True:
            line = self.rfile.readline(_MAX_HEADER_LINE)
            if not line:
                raise ValueError("connection closed inside a chunked body")
            match = _CHUNK_SIZE.fullmatch(line)
            if match is None:
                raise _BadBody(400, "malformed chunked body: bad chunk size line")
            size = int(match.group(1), 16)
            if size == 0:
                for _ in range(_MAX_TRAILERS + 1):
                    trailer = self.rfile.readline(_MAX_HEADER_LINE)
                    if trailer in (b"\r\n", b"\n"):
                        return bytes(chunks)
                    if not trailer:
                        raise ValueError("connection closed inside the trailers")
                raise _BadBody(400, "malformed chunked body: too many trailer lines")
            if len(chunks) + size > limit:
                raise _BadBody(400, f"invalid_file_size: the request body is over {limit} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise ValueError("connection closed inside a chunk")
            chunks += chunk
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BadBody(400, "malformed chunked body: a chunk is longer than its size")

    def _send(self, answer: Answer, *, truncate: bool) -> None:
        """Write the answer: status line, headers and body in one ``write``.

        Produces what ``send_response``/``send_header``/``end_headers`` would
        (``Server`` and ``Date`` first, a ``Connection`` header of the answer
        deciding keep-alive, the request logged), but as one buffer: those
        send the head and the body as two ``send`` calls, one more system call
        per answer, and with Nagle's algorithm on the body's tail could wait
        for the client's delayed ACK of the head.
        """
        body = answer.body
        self.log_request(answer.status)
        lines = [
            f"{self.protocol_version} {answer.status} "
            f"{self.responses.get(answer.status, ('',))[0]}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
        ]
        names = set()
        for name, value in answer.headers:
            lines.append(f"{name}: {value}")
            lowered = name.lower()
            names.add(lowered)
            if lowered == "connection":  # as send_header() treats it
                if value.lower() == "close":
                    self.close_connection = True
                elif value.lower() == "keep-alive":
                    self.close_connection = False
        if "content-length" not in names:
            declared = len(body) if not truncate else max(len(body), 1)
            lines.append(f"Content-Length: {declared}")
        if answer.close or truncate or self.close_connection:
            lines.append("Connection: close")
            self.close_connection = True
        head = "\r\n".join((*lines, "", "")).encode("latin-1", "strict")
        payload = b"" if self.command == "HEAD" else body[: len(body) // 2] if truncate else body
        try:
            self.wfile.write(head + payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client stopped listening


def _linger(connection: socket.socket) -> None:
    """Read and drop what the client still sends, until it closes or a bounded time passes.

    Closing a socket with unread input sends a TCP reset, and the client's
    system may then drop the answer before the client has read it: the 400
    to a request refused before its end (a huge header, a broken chunk)
    would be lost. Web servers linger before closing for the same reason.
    """
    deadline = time.monotonic() + _LINGER_SECONDS
    drained = 0
    while drained < _MAX_LINGER_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        connection.settimeout(remaining)
        data = connection.recv(1 << 16)
        if not data:
            return
        drained += len(data)


@functools.lru_cache(maxsize=1)
def _http_date_of_second(second: int) -> str:
    """The ``Date`` header for a whole second (shared by the handler threads)."""
    return http_date(second)


def _error_inspection(target: str, state: ServerState, status: int, message: str) -> Inspection:
    """The verdict on a request that could not be judged normally; closes the connection."""
    url = urlsplit(target)
    answer = goa_error(
        status,
        message,
        content_type=state.service.config.error_content_type,
        fault=status >= 500,
        close=True,
    )
    errors = (message,) if status < 500 else ()
    return Inspection(url.path, url.query, answer=answer, validation_errors=errors)
