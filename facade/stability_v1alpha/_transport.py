"""The connection pools the clients open, and the deadline of one attempt.

httpx bounds each phase of a request (connect, each socket read, each write)
but not the whole: a server that sends one byte a second never trips a read
timeout. An attempt here has a deadline, and it is enforced where the time
goes:

* in the blocking client's own pool, by a network backend that hands every
  socket operation the time left (never more than httpx's own per-phase
  limit) and fails once none is left, so the deadline holds while httpx
  reads the status line and headers too;
* in the async client, by an ``asyncio`` timeout around the whole attempt,
  which works on any ``httpx.AsyncClient``;
* for a caller's own blocking ``http_client``, between body chunks only
  (its transport is the caller's), on top of httpx's per-phase limits.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from typing import Any

import httpx

from ._constants import POOL_LIMITS

__all__ = ["Deadline", "async_pool", "sync_pool"]

# The deadline (time.monotonic) of the attempt running in this thread or task.
_DEADLINE: ContextVar[float | None] = ContextVar("stability_v1alpha_deadline", default=None)


class Deadline:
    """The moment one attempt must be over by (or none)."""

    __slots__ = ("_token", "at")

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else time.monotonic() + seconds
        self._token: Token[float | None] | None = None

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def __enter__(self) -> None:
        """Make the deadline visible to the blocking pool's sockets while inside."""
        self._token = _DEADLINE.set(self.at)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _DEADLINE.reset(self._token)


def _time_left(timeout: float | None, phase: str) -> float | None:
    """``timeout`` shortened to what the running attempt has left; raises once none is.

    ``phase`` names the httpcore timeout raised (``ReadTimeout``...), which
    httpx turns into its own. httpcore is loaded by then: sockets are in use.
    """
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore

        raise getattr(httpcore, phase)("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


# The two classes follow httpcore's NetworkStream / NetworkBackend interfaces
# without subclassing them: importing httpcore (with h11 and anyio) costs the
# package import 20-30 ms, and httpx loads it only when a pool is made.
class _DeadlineStream:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._stream.read(max_bytes, _time_left(timeout, "ReadTimeout"))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, "WriteTimeout"))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        timeout = _time_left(timeout, "ConnectTimeout")
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """A network backend whose streams never outlive the running attempt."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def connect_tcp(self, *args: Any, **kwargs: Any) -> _DeadlineStream:
        kwargs["timeout"] = _time_left(kwargs.get("timeout"), "ConnectTimeout")
        return _DeadlineStream(self._backend.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> _DeadlineStream:
        kwargs["timeout"] = _time_left(kwargs.get("timeout"), "ConnectTimeout")
        return _DeadlineStream(self._backend.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def sync_pool() -> httpx.Client:
    """The blocking client's own pool, with the attempt deadline on every socket."""
    client = httpx.Client(limits=POOL_LIMITS, follow_redirects=False)
    _enforce_deadlines(client)
    return client


def async_pool() -> httpx.AsyncClient:
    """The async client's own pool (its deadline is an asyncio timeout)."""
    return httpx.AsyncClient(limits=POOL_LIMITS, follow_redirects=False)


def _enforce_deadlines(client: httpx.Client) -> None:
    """Wrap the network backend of each of ``client``'s pools.

    httpx offers no public way to hand its transport a network backend, so
    the pools' backends are swapped after construction; the hostile-server
    tests fail if an httpx release moves them.
    """
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
