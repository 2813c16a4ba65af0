"""Holding requests back: the pause a rate limit asked for, and optional pacing.

A 429 (or a 503 with ``Retry-After``) says that the key is over its limit:
any request the client starts before the wait has passed would be refused
too. A :class:`RequestGate` remembers "no request before time T" for a client
and its ``with_options`` copies, and can also space requests out to at most
``max_requests_per_second`` from the start.

The gate never sleeps. Its methods say how many seconds to wait, and the
client sleeps with its own function (``time.sleep`` or ``asyncio.sleep``).
Its lock is held for a few arithmetic steps and never across a wait, so one
gate serves many threads and many asyncio tasks alike.

Pacing hands out send slots ``1 / max_requests_per_second`` apart, in the
order callers ask for them: no caller is overtaken, and no burst goes out
after an idle spell. A pause pushes every later slot past its end. Callers
whose slot fell inside a pause that began while they waited are queued again
behind it (:meth:`RequestGate.delay_after_wait`), in the order they woke.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._exceptions import InvalidRequestError

__all__ = ["RequestGate", "check_rate", "is_rate_limited"]

# The clock of gates made without one; tests that fake the clients' sleeps move it.
monotonic = time.monotonic

# A sleep may end this much before its deadline (timer rounding).
_EARLY_WAKE = 1e-3


def is_rate_limited(status: int, headers: Mapping[str, str]) -> bool:
    """True for an answer that asks the whole client to hold back.

    A 429 always does; a 503 does when it carries ``Retry-After`` (a service
    shedding load says when to come back). ``headers`` has lower-case names.
    """
    return status == 429 or (status == 503 and "retry-after" in headers)


class _Pause:
    """What a client and its copies share: no request before ``until``."""

    __slots__ = ("episodes", "invalidated", "lock", "until", "waiting")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = -math.inf
        # Pauses begun (answers that arrive while one runs do not begin another).
        self.episodes = 0
        # Slots given out that are still ahead of the clock: their callers sleep.
        self.waiting: list[float] = []
        # Of those, how many fell inside a pause that began after they were given.
        self.invalidated = 0

    def forget_past(self, now: float) -> None:
        self.waiting = [slot for slot in self.waiting if slot > now]


class RequestGate:
    """When the next request may go out; shared by a client and its copies.

    ``max_requests_per_second`` (None: no pacing) must be a positive finite
    number. ``clock`` is the monotonic clock the waits are measured on.
    """

    def __init__(
        self,
        max_requests_per_second: float | None = None,
        *,
        clock: Callable[[], float] | None = None,
        _shared: _Pause | None = None,
    ) -> None:
        self._rate = check_rate(max_requests_per_second)
        self._interval = 0.0 if self._rate is None else 1.0 / self._rate
        self._clock = clock
        self._pause = _shared if _shared is not None else _Pause()
        self._next_slot = -math.inf

    @property
    def max_requests_per_second(self) -> float | None:
        """The pacing rate, or None when requests are not paced."""
        return self._rate

    def with_rate(self, max_requests_per_second: float | None) -> RequestGate:
        """A gate with its own pacing that shares this one's pause."""
        return RequestGate(max_requests_per_second, clock=self._clock, _shared=self._pause)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else monotonic()

    def delay_before_send(self, not_before: float = 0.0) -> float:
        """Reserve the next send slot; returns the seconds until it (0: send now).

        ``not_before`` is a wait the caller needs anyway (a retry's back-off):
        the slot is at least that far away, so one sleep covers both. After
        sleeping, ask :meth:`delay_after_wait` before sending.
        """
        with self._pause.lock:
            return self._reserve(self._now(), max(not_before, 0.0))

    def delay_after_wait(self) -> float:
        """After sleeping what :meth:`delay_before_send` said: 0, or a new wait.

        Non-zero only when a pause began while the caller waited and its slot
        falls inside it; the caller then has a new slot behind the pause and
        sleeps again (and asks again).
        """
        with self._pause.lock:
            now = self._now()
            pause = self._pause
            if now + _EARLY_WAKE >= pause.until:
                pause.invalidated = 0
            elif pause.invalidated:
                pause.invalidated -= 1  # this caller's slot was taken back by the pause
                return self._reserve(now, 0.0)
            # The caller's slot has come: no longer one to move should a pause begin.
            # Slots carry no owner; callers wake in slot order, so drop the earliest.
            if pause.waiting:
                pause.waiting.remove(min(pause.waiting))
            return 0.0

    def pause(self, seconds: float) -> float:
        """Hold every request back for ``seconds`` from now; returns the caller's own wait.

        While a pause runs, the answers to requests sent before it began
        arrive one after the other, each with its own ``Retry-After``. Each
        is a bound the limit is over by then, so the earliest end wins: a
        fixed window's ``Retry-After`` in whole seconds, rounded up, is closer
        to the window's true end the earlier it was sent. The caller that
        reports the answer waits the same: ``seconds``, or until the end of
        the running pause if that comes sooner.
        """
        if not seconds > 0:  # also refuses NaN
            return 0.0
        with self._pause.lock:
            now = self._now()
            pause = self._pause
            until = now + min(seconds, 1e9)
            if pause.until > now:
                if until < pause.until:
                    pause.until = until
                    return seconds
                return pause.until - now
            pause.episodes += 1
            pause.forget_past(now)
            # Callers sleeping towards a slot inside the pause get a new one after it.
            pause.invalidated = sum(1 for slot in pause.waiting if slot < until)
            pause.waiting = [slot for slot in pause.waiting if slot >= until]
            pause.until = until
            return seconds

    def pause_remaining(self) -> float:
        """Seconds until the current pause ends (0 when there is none)."""
        with self._pause.lock:
            return max(self._pause.until - self._now(), 0.0)

    @property
    def pauses(self) -> int:
        """How many pauses have begun (answers that arrive during one do not count)."""
        with self._pause.lock:
            return self._pause.episodes

    def _reserve(self, now: float, not_before: float) -> float:
        """The wait until this caller's slot; called with the lock held."""
        pause = self._pause
        wait = max(not_before, pause.until - now, self._next_slot - now, 0.0)
        if self._interval:
            self._next_slot = now + wait + self._interval
        if wait > 0:
            pause.forget_past(now)
            pause.waiting.append(now + wait)
        return wait

    def __repr__(self) -> str:
        rate = "unpaced" if self._rate is None else f"{self._rate:g}/s"
        return f"<RequestGate {rate}, paused {self.pause_remaining():.1f}s>"


def check_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise InvalidRequestError(
            "max_requests_per_second", value, "must be None or a number of requests > 0"
        )
    return float(value)
