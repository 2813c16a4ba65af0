"""A fixed-window rate limit per API key, as the gateway in front of the service has.

Each key may send ``requests`` requests in a window of ``seconds``; the window
opens with the first request after the previous one closed. Refused requests
do not count. A refusal says how long until the window closes, which the
server sends as ``Retry-After`` in whole seconds, rounded up.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["FixedWindowLimit", "check_rate_limit"]


def check_rate_limit(value: object) -> tuple[int, float] | None:
    """``(requests, seconds)`` with at least one request and a positive window, or None."""
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError("rate_limit must be a (requests, seconds) pair")
    requests, seconds = value
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ValueError("rate_limit: requests must be an integer of at least 1")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError("rate_limit: seconds must be a number")
    if not 0 < seconds < math.inf:
        raise ValueError("rate_limit: seconds must be positive and finite")
    return requests, float(seconds)


class FixedWindowLimit:
    """Counts each key's requests in its current window (thread-safe)."""

    def __init__(
        self, requests: int, seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.requests = requests
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key: (window start, requests)

    def admit(self, key: str) -> float | None:
        """None if ``key`` may send now (the request is counted), else seconds to wait."""
        with self._lock:
            now = self._clock()
            start, count = self._windows.get(key, (-math.inf, 0))
            if now >= start + self.seconds:
                start, count = now, 0
            if count >= self.requests:
                return start + self.seconds - now
            self._windows[key] = (start, count + 1)
            return None

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()
