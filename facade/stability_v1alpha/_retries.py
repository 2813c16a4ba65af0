"""When to try a request again, and how long to wait first.

Kept apart from the clients so the sync and async transports share one policy
and tests can drive it with a fake clock.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

# Statuses that say "try again later" whatever the body says.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
# A Retry-After longer than this is not honoured as is: waiting minutes inside
# a library call surprises more callers than it helps.
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how the waits grow."""

    max_retries: int = 2
    initial_backoff: float = INITIAL_BACKOFF
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER

    def backoff(self, retry_number: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based).

        ``Retry-After`` wins when present and readable (capped); otherwise the
        wait doubles each time, with jitter so that many clients hit by the same
        outage do not come back in lockstep.
        """
        asked = parse_retry_after(retry_after)
        if asked is not None:
            return float(min(asked, self.max_retry_after))
        base = min(self.initial_backoff * 2.0 ** (retry_number - 1), self.max_backoff)
        return base * (0.5 + random.random() / 2)


def parse_retry_after(value: str | None) -> float | None:
    """Read ``Retry-After`` as delay seconds or as an HTTP date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(seconds, 0.0)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)
