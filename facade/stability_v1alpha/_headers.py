"""Reading numbers and dates that a server put in response headers, strictly.

A header is text from the other side of the network: only ASCII digits count
as a number (``int()`` would also take ``١٢``, ``+1_2`` or ``  12 ``), and a
date must be an HTTP date naming a real instant (the standard library's mail
date parser takes unknown zones as GMT and overflows on huge ones). Nothing
here raises.
"""

from __future__ import annotations

import calendar
import re
import time

__all__ = ["parse_retry_after", "parse_seed"]

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,10}", re.ASCII)
_MAX_SEED = 4_294_967_295
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(" + "|".join(_MONTHS) + ")"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# The three forms of an HTTP date (RFC 9110, 5.6.7), always in GMT.
_IMF_FIXDATE = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME} GMT", re.ASCII
)
_RFC850 = re.compile(
    rf"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, ([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME} GMT",
    re.ASCII,
)
_ASCTIME = re.compile(
    rf"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MONTH} ([ 0-9][0-9]) {_TIME} ([0-9]{{4}})", re.ASCII
)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None when it is not readable.

    Accepts delay seconds (ASCII digits) or an HTTP date in one of its three
    forms, in GMT; a date in the past means 0. Anything else (signs,
    fractions, other digits, zones, impossible dates) is not readable.
    """
    if value is None:
        return None
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return float(text)  # a huge number of digits is inf: longer than any cap
    when = _http_date(text)
    if when is None:
        return None
    return max(when - time.time(), 0.0)


def _http_date(text: str) -> float | None:
    """The instant an HTTP date names (a POSIX timestamp), or None."""
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _RFC850.fullmatch(text):
        day, month, short_year, hour, minute, second = match.groups()
        # Two-digit years: the RFC's rule of reading them as at most 50 years ahead.
        this_year = time.gmtime().tm_year
        full_year = this_year // 100 * 100 + int(short_year)
        year = str(full_year - 100 if full_year > this_year + 50 else full_year)
    elif match := _ASCTIME.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
    else:
        return None
    y, mo, d = int(year), _MONTHS.index(month) + 1, int(day)
    h, mi, sec = int(hour), int(minute), int(second)
    if not (1 <= d <= calendar.monthrange(y, mo)[1] and h < 24 and mi < 60 and sec < 61):
        return None
    return float(calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0)))


def parse_seed(value: str | None) -> int | None:
    """The ``Seed`` header as an integer the API can have made; None otherwise."""
    if value is None:
        return None
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        return None
    seed = int(text)
    return seed if seed <= _MAX_SEED else None
