"""How many prompts a batch keeps in flight while the service rate-limits it.

Additive increase, multiplicative decrease, as TCP does with its window:
each pause a rate limit imposes halves the number of prompts in flight, and
each run of as many successes as are allowed in flight adds one back, up to
``--concurrency``. Fewer requests are then waiting to be refused when the
limit is next reached, and the batch finds the pace the service allows.
"""

from __future__ import annotations

__all__ = ["AdaptiveConcurrency"]


class AdaptiveConcurrency:
    """The number of prompts allowed in flight, between 1 and ``ceiling``."""

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.ceiling = ceiling
        self.limit = ceiling
        self._streak = 0

    def rate_limited(self) -> None:
        """A pause began: halve the limit (never below 1)."""
        self.limit = max(1, self.limit // 2)
        self._streak = 0

    def succeeded(self) -> bool:
        """A prompt succeeded; True when that raised the limit."""
        if self.limit >= self.ceiling:
            return False
        self._streak += 1
        if self._streak < self.limit:
            return False
        self.limit += 1
        self._streak = 0
        return True
