"""Every way a call fails, in this package's exceptions, and when to try again.

Three sources of failure meet here: httpx's exceptions (no answer, or a body
that broke off), answers with an error status, and bodies that cannot be read
as what was asked for. Each becomes a :class:`Failure`: the exception the
caller will see and whether another attempt can help ("worth retrying" is
data, decided here and nowhere else). :class:`RetryPolicy` then says how long
to wait before that attempt, honouring ``Retry-After`` within a cap.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

from ._constants import (
    DEFAULT_MAX_RETRIES,
    ERROR_BODY_LIMIT,
    INITIAL_BACKOFF,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    RETRYABLE_STATUSES,
)
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    MalformedResponseError,
    StabilityError,
    status_error_class,
)

__all__ = [
    "Failure",
    "RetryPolicy",
    "from_httpx",
    "from_reading",
    "from_status",
    "timed_out",
]

_MESSAGE_LIMIT = 300


class Failure(NamedTuple):
    """One failed attempt: what the caller sees if it is the last, and whether to retry."""

    error: StabilityError
    worth_retrying: bool


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how long to wait before each retry."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = INITIAL_BACKOFF
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER

    def delay(self, attempt: int, failure: Failure, attempt_timeout: float | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up.

        ``Retry-After`` wins when present and readable, but only up to
        ``max_retry_after`` and the attempt timeout: a longer wait is the
        caller's decision, so the error is raised at once with its
        ``retry_after``. Otherwise the wait doubles each time, with jitter so
        that many clients hit by the same outage do not come back in lockstep.
        """
        if attempt > self.max_retries or not failure.worth_retrying:
            return None
        return self.wait(attempt, failure.error, attempt_timeout)

    def wait(
        self, attempt: int, error: StabilityError, attempt_timeout: float | None
    ) -> float | None:
        """The wait after attempt ``attempt``: Retry-After within the cap, else back-off.

        None when the server asked for longer than the cap.
        """
        asked = error.retry_after if isinstance(error, APIStatusError) else None
        if asked is not None:
            cap = self.cap(attempt_timeout)
            return asked if asked <= cap else None
        return self.backoff(attempt)

    def backoff(self, attempt: int) -> float:
        """The wait after attempt ``attempt`` when the server said nothing."""
        base = min(self.initial_backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return base * (0.5 + random.random() / 2)

    def cap(self, attempt_timeout: float | None) -> float:
        """The longest wait honoured: ``max_retry_after``, and never more than an attempt."""
        if attempt_timeout is None:
            return self.max_retry_after
        return min(self.max_retry_after, attempt_timeout)


def from_status(
    status_code: int, reason: str, headers: Mapping[str, str], body: bytes, secret: str
) -> Failure:
    """An answer with an error status."""
    error = status_error(status_code, reason, headers, body, secret)
    return Failure(error, status_code in RETRYABLE_STATUSES or error.temporary is True)


def from_httpx(exc: httpx.HTTPError, what: str, *, status: int | None = None) -> Failure:
    """An httpx failure: before any answer (``status`` None) or while reading its body."""
    if isinstance(exc, httpx.TimeoutException):
        phase = "" if status is None else " while reading the response"
        return Failure(APITimeoutError(f"{what} timed out{phase} ({type(exc).__name__})"), True)
    if status is not None and isinstance(exc, httpx.RemoteProtocolError) and 200 <= status < 300:
        # A success body that ended early: the next attempt may get all of it.
        message = f"the response to {what} ended early ({_reason(exc)})"
        return Failure(MalformedResponseError(message, status_code=status), True)
    if status is not None and isinstance(exc, httpx.DecodingError):
        message = f"the response body could not be decoded ({_reason(exc)})"
        return Failure(MalformedResponseError(message, status_code=status), False)
    phase = "" if status is None else " while reading the response"
    return Failure(APIConnectionError(f"{what} failed{phase}: {_reason(exc)}"), True)


def timed_out(what: str) -> Failure:
    """The attempt ran past its deadline (the clients' own bound, not httpx's)."""
    return Failure(APITimeoutError(f"{what} timed out (the attempt's deadline passed)"), True)


def from_reading(exc: Exception, what: str, status: int) -> Failure:
    """Whatever stopped the reading of an answer's body, as a failure.

    httpx's failures are mapped as such, this package's errors pass as they
    are, and anything else (a bug, or a body no check foresaw) is a
    malformed answer: never a raw exception.
    """
    if isinstance(exc, httpx.HTTPError):
        return from_httpx(exc, what, status=status)
    if isinstance(exc, StabilityError):  # raised by the readers: retrying would repeat it
        return Failure(exc, False)
    return _unexpected(exc, status)


def _unexpected(exc: Exception, status: int) -> Failure:
    """Any other exception while turning a body into a result: a malformed answer."""
    error = MalformedResponseError(
        f"the response could not be read ({type(exc).__name__}: {_reason(exc)})",
        status_code=status,
    )
    error.__cause__ = exc
    return Failure(error, False)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def status_error(
    status_code: int, reason: str, headers: Mapping[str, str], body: bytes, secret: str
) -> APIStatusError:
    """Build the typed error for a non-success answer.

    Reads the service's error object when there is one (whatever the media
    type says: goa sent ``application/vnd.goa.error``, later releases plain
    JSON) and falls back to the status line and a text excerpt for anything
    else, such as a proxy's HTML page. The API key is scrubbed from every text
    the server sent, in case it echoes it.
    """
    fields = _error_object(body[:ERROR_BODY_LIMIT])
    message = _text(fields.get("message")) or _text(fields.get("detail")) or _excerpt(body, secret)
    message = message or f"HTTP {status_code} {reason}".strip()
    cls = status_error_class(status_code)
    return cls(
        _scrub(message, secret),
        status_code=status_code,
        name=_scrub(_text(fields.get("name")), secret),
        error_id=_scrub(_text(fields.get("id")), secret),
        temporary=_flag(fields.get("temporary")),
        timeout=_flag(fields.get("timeout")),
        fault=_flag(fields.get("fault")),
        headers=headers,
    )


def _error_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _excerpt(body: bytes, secret: str) -> str | None:
    """A short plain-text excerpt of an error page (tags and spacing removed).

    The key is scrubbed before the excerpt is cut: cutting first could leave
    the start of an echoed key at the end of the excerpt.
    """
    text = body[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = "".join(char if char.isprintable() else " " for char in text)
    text = _scrub(" ".join(text.split()), secret)
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 3] + "..."
    return text or None


def _scrub(text: str | None, secret: str) -> Any:
    if text is None or not secret:
        return text
    return text.replace(secret, "[REDACTED]")
