"""A client's settings: every constructor argument checked once, in one place.

:class:`Settings` is built only by :meth:`Settings.build`, which both the
constructors and ``with_options`` go through, so a copy of a client can never
hold a value its constructor would refuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    MAX_TIMEOUT,
)
from ._exceptions import InvalidRequestError, StabilityError
from ._pacing import check_rate
from ._requests import RequestSettings
from ._version import __version__

__all__ = ["Settings", "check_http_client"]

USER_AGENT = f"stability-v1alpha-python/{__version__}"


@dataclass(frozen=True, slots=True)
class Settings:
    """What a client was configured with, after the checks."""

    # Kept out of repr: a traceback that shows locals must not show the key.
    api_key: str = field(repr=False)
    organization: str | None
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    max_upload_bytes: int
    max_response_bytes: int
    max_requests_per_second: float | None
    # Derived from ``timeout`` when built (see :func:`_attempt_bound`).
    attempt_timeout: float | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attempt_timeout", _attempt_bound(self.timeout))

    @classmethod
    def build(
        cls,
        *,
        api_key: Any,
        organization: Any,
        base_url: Any,
        timeout: Any,
        max_retries: Any,
        max_upload_bytes: Any,
        max_response_bytes: Any,
        max_requests_per_second: Any,
    ) -> Settings:
        """Check every argument (environment fallbacks applied) and build the settings."""
        return cls(
            api_key=_api_key(api_key),
            organization=_organization(organization),
            base_url=_base_url(base_url),
            timeout=_timeout(timeout),
            max_retries=_count("max_retries", max_retries, low=0),
            max_upload_bytes=_count("max_upload_bytes", max_upload_bytes, low=1),
            max_response_bytes=_count("max_response_bytes", max_response_bytes, low=1),
            max_requests_per_second=check_rate(max_requests_per_second),
        )

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments that build these settings again."""
        return {item.name: getattr(self, item.name) for item in fields(self) if item.init}

    def for_requests(self) -> RequestSettings:
        return RequestSettings(
            api_key=self.api_key,
            base_url=self.base_url,
            organization=self.organization,
            user_agent=USER_AGENT,
        )


def _attempt_bound(timeout: httpx.Timeout) -> float | None:
    """The most one attempt may take, connecting to last byte; None: no bound.

    The largest of the ``httpx.Timeout`` phases (a number ``t`` is
    ``httpx.Timeout(t, connect=min(10, t))``, so ``t`` itself); unbounded
    when any phase is.
    """
    phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    if any(phase is None for phase in phases):
        return None
    return max(phase for phase in phases if phase is not None)


def check_http_client(http_client: Any, expected: type) -> None:
    """A caller's ``http_client``: of the client's kind, and without ``auth``."""
    if http_client is None:
        return
    if not isinstance(http_client, expected):
        raise InvalidRequestError(
            "http_client", http_client, f"must be an httpx.{expected.__name__}"
        )
    if getattr(http_client, "auth", None) is not None:
        # httpx would apply it after the facade sets Authorization, replacing the key.
        raise InvalidRequestError(
            "http_client",
            http_client,
            "must not set auth: the API key is sent as the Authorization header",
        )


def _is_header_text(value: str) -> bool:
    """True for text httpx can send as a header value unchanged (printable ASCII)."""
    return value.isascii() and value.isprintable()


def _api_key(api_key: Any) -> str:
    api_key = api_key if api_key is not None else os.environ.get("STABILITY_API_KEY")
    if not isinstance(api_key, str) or not api_key.strip():
        raise StabilityError(
            "No API key: pass api_key=... or set the STABILITY_API_KEY environment variable"
        )
    if not _is_header_text(api_key.strip()):
        # Never echo the key, not even in part (the value is "<hidden>").
        raise InvalidRequestError(
            "api_key", "<hidden>", "must be printable ASCII (no line breaks or control chars)"
        )
    return api_key.strip()


def _organization(organization: Any) -> str | None:
    if organization is not None and (
        not isinstance(organization, str) or not _is_header_text(organization)
    ):
        raise InvalidRequestError(
            "organization", organization, "must be a one-line printable ASCII string"
        )
    return organization


def _base_url(base_url: Any) -> str:
    base_url = base_url or os.environ.get("STABILITY_BASE_URL") or DEFAULT_BASE_URL
    try:
        scheme = httpx.URL(base_url).scheme
    except (httpx.InvalidURL, TypeError):
        scheme = ""
    if scheme not in ("http", "https"):
        raise InvalidRequestError("base_url", base_url, "must be an http:// or https:// URL")
    return str(base_url).rstrip("/")


def _timeout(timeout: Any) -> httpx.Timeout:
    """``None`` (wait forever), 0 to 1,000,000 seconds, or an ``httpx.Timeout``.

    The bound keeps NaN, infinities and values the OS timers overflow on
    (1e12 s fails deep inside the socket layer) from reaching httpx.
    """
    if isinstance(timeout, httpx.Timeout):
        phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if all(phase is None or _seconds(phase) for phase in phases):
            return timeout
    elif timeout is None:
        return httpx.Timeout(None)
    elif _seconds(timeout):
        return httpx.Timeout(timeout, connect=min(DEFAULT_CONNECT_TIMEOUT, timeout))
    raise InvalidRequestError(
        "timeout", timeout, "must be None, an httpx.Timeout or a number of seconds (0 to 1e6)"
    )


def _seconds(value: Any) -> bool:
    # The comparison also refuses NaN and the infinities (and never overflows).
    return (
        not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= MAX_TIMEOUT
    )


def _count(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        rule = "must be an integer >= 0" if low == 0 else f"must be an integer > {low - 1}"
        raise InvalidRequestError(name, value, rule)
    return value
