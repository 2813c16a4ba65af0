"""``FakeStabilityServer``: the public face of the fake, its lifecycle and its knobs."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from ._defaults import DEFAULT_ENGINES, DEFAULT_FILTERED_WORDS, DEFAULT_MAX_UPLOAD_BYTES
from ._faults import (
    ContentFilterFault,
    DelayFault,
    FailFault,
    Fault,
    ResetFault,
    RespondFault,
    TruncateFault,
)
from ._http import FakeHTTPServer, ServerState
from ._ratelimit import check_rate_limit
from ._records import RequestLog
from ._service import FakeService, ServiceConfig

__all__ = ["FakeStabilityServer"]

# How often serve_forever() checks for shutdown: bounds how long stop() takes.
_POLL_INTERVAL = 0.05
# Connection threads end as soon as their socket is shut down; this only guards against bugs.
_JOIN_TIMEOUT = 10.0

logger = logging.getLogger("stability_v1alpha.testing")


def _string_set(values: Iterable[str]) -> frozenset[str]:
    """A set of strings from an iterable (a lone string is one item, not its letters)."""
    return frozenset([values] if isinstance(values, str) else values)


class FakeStabilityServer:
    """A local HTTP server that behaves like the Stability.ai v1alpha generation API.

    It validates each request against the package's ``openapi.yaml``, answers
    with real PNGs (or JSON artifacts) like the service, records every
    request, and can be told to fail in the ways real infrastructure fails.

    ``api_key``: the only key accepted, sent raw in ``Authorization``. When
    left out a random ``sk-fake-...`` key is generated (see :attr:`api_key`)
    and any non-empty key is accepted. ``engines``: engine ids that exist.
    ``filtered_words``: words that make a prompt fail with ``invalid_prompts``.
    ``max_upload_bytes``: largest accepted image part (``invalid_file_size``).
    ``error_content_type``: media type of error bodies, ``application/json``
    (later service releases) or ``application/vnd.goa.error`` (the original).
    ``latency``: seconds added to every answer. ``spec``: the OpenAPI document
    to validate requests against instead of the package's (to try a new
    version of it); the routes stay the three v1alpha generation paths.
    ``rate_limit``: ``(requests, seconds)``, a fixed window per API key like
    the service's gateway: past ``requests`` in a window of ``seconds`` (which
    opens with the first request after the last one closed), requests are
    answered 429 ``rate_limited`` with ``Retry-After``, the seconds left in
    the window rounded up. Refused requests do not count.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        engines: Iterable[str] = DEFAULT_ENGINES,
        filtered_words: Iterable[str] = DEFAULT_FILTERED_WORDS,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        error_content_type: str = "application/json",
        latency: float = 0.0,
        spec: Mapping[str, Any] | None = None,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        if api_key is not None and not api_key.strip():
            raise ValueError("api_key must not be empty (pass None to accept any key)")
        if max_upload_bytes < 1:
            raise ValueError("max_upload_bytes must be positive")
        self._host = host
        self._port = port
        self._any_key = api_key is None
        self._api_key = api_key if api_key is not None else "sk-fake-" + secrets.token_hex(16)
        self._initial_latency = float(latency)
        config = ServiceConfig(
            api_key=self._api_key,
            any_key=self._any_key,
            engines=_string_set(engines),
            filtered_words=_string_set(filtered_words),
            max_upload_bytes=max_upload_bytes,
            error_content_type=error_content_type,
            rate_limit=check_rate_limit(rate_limit),
        )
        service = FakeService(config, spec)
        self._state = ServerState(service=service, latency=self._initial_latency)
        self._httpd: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind the port and serve from a background thread; returns ``self``."""
        with self._lifecycle:
            if self._httpd is not None:
                raise RuntimeError("the fake server is already running")
            self._state.stopping.clear()
            httpd = FakeHTTPServer((self._host, self._port), self._state)
            thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name=f"fake-stability-server:{httpd.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every socket and join every thread. Safe to call twice."""
        with self._lifecycle:
            httpd, thread = self._httpd, self._thread
            if httpd is None or thread is None:
                return
            self._state.stopping.set()  # cuts injected delays short
            httpd.shutdown()
            httpd.shut_down_connections()
            httpd.server_close()
            thread.join()
            if not httpd.join_handlers(_JOIN_TIMEOUT):
                logger.warning(
                    "fake server: a connection thread did not end within %ss", _JOIN_TIMEOUT
                )
            self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._httpd is not None

    # ------------------------------------------------------------------ facts

    @property
    def host(self) -> str:
        """The interface the server listens on (127.0.0.1 by default)."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the one chosen by the OS when constructed with 0)."""
        return int(self._running().server_address[1])

    @property
    def base_url(self) -> str:
        """Base URL to give a client, e.g. ``http://127.0.0.1:54321``."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The key clients should send (generated when none was given)."""
        return self._api_key

    @property
    def accepts_any_key(self) -> bool:
        """True when constructed without a key: any non-empty key is accepted."""
        return self._any_key

    @property
    def engines(self) -> frozenset[str]:
        """Engine ids the server accepts; any other answers 404 ``not_found``."""
        return self._state.service.config.engines

    @property
    def filtered_words(self) -> frozenset[str]:
        """Words that make a prompt fail with ``invalid_prompts``."""
        return self._state.service.config.filtered_words

    @property
    def max_upload_bytes(self) -> int:
        """Largest accepted upload; a bigger image fails with ``invalid_file_size``."""
        return self._state.service.config.max_upload_bytes

    @property
    def error_content_type(self) -> str:
        """Media type of error answers (``application/json`` or the goa one)."""
        return self._state.service.config.error_content_type

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """``(requests, seconds)`` allowed per API key and window, or None for no limit."""
        return self._state.service.config.rate_limit

    @property
    def latency(self) -> float:
        """Seconds added before every answer (for benchmarks and timeout tests)."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must not be negative")
        self._state.latency = float(seconds)

    @property
    def requests(self) -> RequestLog:
        """Every request received, in order, each recorded before it was answered."""
        return self._state.log

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted (since construction or the last :meth:`reset`)."""
        return self._state.connections_opened

    # ------------------------------------------------------------------ faults

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` requests (after those already queued)."""
        self._state.faults.push(fault, times)

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        body: bytes | str | Mapping[str, Any] | None = None,
        html: bool = False,
        retry_after: int | str | None = None,
        temporary: bool | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer the next request(s) with ``status`` (a goa error object by default)."""
        fault = FailFault(status, body, html, retry_after, temporary, content_type)
        self.inject(fault, times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next answer(s) back for ``seconds``."""
        self.inject(DelayFault(seconds), times)

    def truncate_next(self, times: int = 1) -> None:
        """Cut the next answer's body short of its Content-Length and close the connection."""
        self.inject(TruncateFault(), times)

    def reset_next(self, times: int = 1) -> None:
        """Reset the connection (TCP RST) instead of answering the next request(s)."""
        self.inject(ResetFault(), times)

    def content_filter_next(self, times: int = 1) -> None:
        """Answer the next generation(s) as filtered: CONTENT_FILTERED and a flat image."""
        self.inject(ContentFilterFault(), times)

    def respond_next(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Send exactly this answer to the next request(s)."""
        self.inject(RespondFault(status, body, dict(headers or {})), times)

    def pending_faults(self) -> list[Fault]:
        """Faults still queued, one entry per request each will serve."""
        return self._state.faults.pending()

    def clear_faults(self) -> None:
        """Drop every queued fault; recorded requests are kept."""
        self._state.faults.clear()

    def reset(self) -> None:
        """Forget faults, recorded requests, the connection count and the rate-limit
        windows; restore the latency."""
        self._state.faults.clear()
        if self._state.service.limit is not None:
            self._state.service.limit.reset()
        self._state.log.clear()
        self._state.latency = self._initial_latency
        self._state.reset_connection_count()

    # ------------------------------------------------------------------ helpers

    def _running(self) -> FakeHTTPServer:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running; call start() or use 'with'")
        return self._httpd

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "stopped"
        key = "any key" if self._any_key else "one key"
        return f"<FakeStabilityServer {where}, accepts {key}, {len(self.engines)} engines>"
