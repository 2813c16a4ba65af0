"""The exceptions the client raises, one class per way a call can fail::

    StabilityError                  no API key, or any failure below
    ├── InvalidRequestError         bad arguments; nothing was sent (also a ValueError)
    ├── APIConnectionError          no answer: refused, reset, DNS, TLS, broken body
    │   └── APITimeoutError         the attempt ran past its timeout
    ├── MalformedResponseError      a success answer that is not images, or too large
    └── APIStatusError              an error status, keyed by status:
        ├── BadRequestError         400
        ├── AuthenticationError     401
        ├── PermissionDeniedError   403
        ├── NotFoundError           404
        ├── RateLimitError          429
        └── InternalServerError     5xx

Callers branch on the class, never on message text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._headers import parse_retry_after

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "InvalidRequestError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "StabilityError",
]

_MAX_VALUE_REPR = 80


class StabilityError(Exception):
    """Base class of every error this package raises."""


class InvalidRequestError(StabilityError, ValueError):
    """The arguments break a rule of the API; nothing was sent.

    ``field`` names the argument, ``value`` is what was given (shortened in the
    message) and ``rule`` says what is allowed.
    """

    def __init__(self, field: str, value: Any, rule: str) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        super().__init__(f"{field}={_short_repr(value)}: {rule}")


class APIConnectionError(StabilityError):
    """The request did not get an answer: refused, reset, DNS, TLS, broken body."""


class APITimeoutError(APIConnectionError):
    """The server did not answer within the client's timeout."""


class MalformedResponseError(StabilityError):
    """A success response that cannot be read as images.

    Raised for invalid JSON, invalid base64, an unexpected content type or
    encoding, a body that ends early or exceeds ``max_response_bytes``, or
    bytes that are not a PNG.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class APIStatusError(StabilityError):
    """The service answered with an error status.

    The attributes mirror the service's error object (``name``, ``error_id``,
    ``message``, ``temporary``, ``timeout``, ``fault``); they are ``None`` when
    the body was not such an object (an HTML page from a proxy, say).
    ``retry_after`` is the wait the server asked for (``Retry-After``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        name: str | None = None,
        error_id: str | None = None,
        temporary: bool | None = None,
        timeout: bool | None = None,
        fault: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.name = name
        self.error_id = error_id
        self.message = message
        self.temporary = temporary
        self.timeout = timeout
        self.fault = fault
        self.headers: dict[str, str] = dict(headers or {})
        label = f"{status_code} {name}" if name else str(status_code)
        suffix = f" (error id {error_id})" if error_id else ""
        super().__init__(f"{label}: {message}{suffix}")

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait, from ``Retry-After``, if readable."""
        return parse_retry_after(self.headers.get("retry-after"))


class BadRequestError(APIStatusError):
    """400: the service rejected the request (see ``message`` for the reason)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not perform this action."""


class NotFoundError(APIStatusError):
    """404: unknown engine or path."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait the server asked for."""


class InternalServerError(APIStatusError):
    """5xx: the service or a proxy in front of it failed."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific exception class for an HTTP error status."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


def _short_repr(value: Any) -> str:
    """A repr that never floods a message with image bytes or long prompts."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 15] + f"...<{len(text)} chars>"
    return text
