"""Injected faults: the failures of real infrastructure, on demand.

A real client has to survive rate limiting, gateway errors with HTML bodies,
slow answers, truncated bodies, connection resets and responses from a newer
server. Each fault below describes one such answer; the server keeps a FIFO
queue of them and every incoming request consumes at most one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ContentFilterFault",
    "DelayFault",
    "FailFault",
    "Fault",
    "FaultQueue",
    "ResetFault",
    "RespondFault",
    "TruncateFault",
]


@dataclass(frozen=True)
class Fault:
    """Base class of the injectable faults."""


@dataclass(frozen=True)
class FailFault(Fault):
    """Answer with an error status instead of the real answer.

    ``body`` None sends a goa error object (name chosen from the status);
    bytes/str are sent as they are; a mapping is sent as JSON. ``html`` sends
    the kind of HTML page a proxy produces. ``retry_after`` becomes the
    ``Retry-After`` header (seconds, or an HTTP date string). ``temporary``
    overrides the goa object's field (default: True for 429 and 5xx).
    """

    status: int
    body: bytes | str | Mapping[str, Any] | None = None
    html: bool = False
    retry_after: int | str | None = None
    temporary: bool | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class DelayFault(Fault):
    """Wait ``seconds`` before sending the normal answer (for client timeouts)."""

    seconds: float


@dataclass(frozen=True)
class TruncateFault(Fault):
    """Send the normal answer's headers, with its full Content-Length, then only
    part of the body, and close the connection."""


@dataclass(frozen=True)
class ResetFault(Fault):
    """Read the request, then reset the connection (TCP RST) without answering."""


@dataclass(frozen=True)
class ContentFilterFault(Fault):
    """Answer normally, but as if the safety filter flagged the result:
    ``Finish-Reason: CONTENT_FILTERED`` and a flat, featureless image."""


@dataclass(frozen=True)
class RespondFault(Fault):
    """Send exactly this answer: for malformed or unexpected responses.

    Content-Length is added unless ``headers`` has one (which may lie).
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Pending:
    fault: Fault
    remaining: int


class FaultQueue:
    """Thread-safe FIFO of faults; a fault injected ``times=N`` serves N requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[_Pending] = deque()

    def push(self, fault: Fault, times: int = 1) -> None:
        if not isinstance(fault, Fault):
            raise TypeError(f"expected a Fault, got {type(fault).__name__}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append(_Pending(fault, times))

    def pop(self) -> Fault | None:
        """The fault for the next request, or None when none is pending."""
        with self._lock:
            if not self._queue:
                return None
            entry = self._queue[0]
            entry.remaining -= 1
            if entry.remaining == 0:
                self._queue.popleft()
            return entry.fault

    def pending(self) -> list[Fault]:
        """Pending faults, one entry per request they will still serve."""
        with self._lock:
            return [e.fault for e in self._queue for _ in range(e.remaining)]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
