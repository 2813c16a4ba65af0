"""Reading numbers and dates that a server put in response headers, strictly.

A header is text from the other side of the network: only ASCII digits count
as a number (``int()`` would also take ``١٢``, ``+1_2`` or ``  12 ``), and a
date must parse to a real instant. Nothing here raises.
"""

from __future__ import annotations

import re
import time
from email.utils import parsedate_tz

__all__ = ["parse_retry_after", "parse_seed"]

_DIGITS = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,9})?", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,10}", re.ASCII)
_MAX_SEED = 4_294_967_295


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None when it is not readable.

    Accepts delay seconds (ASCII digits, a fraction allowed) or an HTTP date
    with a zone; a date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return float(text)
    try:
        parts = parsedate_tz(text)
    except Exception:  # the standard library's parser has raised odd things
        return None
    if parts is None or parts[9] is None:
        return None
    try:
        import calendar

        when = calendar.timegm((*parts[:6], 0, 1, -1)) - parts[9]
    except (OverflowError, ValueError, TypeError):
        return None
    if not 1970 <= parts[0] <= 9999:
        return None
    return max(when - (time.time() if now is None else now), 0.0)


def parse_seed(value: str | None) -> int | None:
    """The ``Seed`` header as an integer the API can have made; None otherwise."""
    if value is None:
        return None
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        return None
    seed = int(text)
    return seed if seed <= _MAX_SEED else None
