"""The httpx clients the facade creates when the caller passes none.

They differ from a plain ``httpx.Client`` in two ways, both chosen for an API
that authenticates every request with a header and keeps no session:

* Every pooled connection is kept alive. With httpx's default of 20 idle
  connections, more than 20 concurrent calls (easy with asyncio) would close
  and reopen a connection for nearly every request.
* Cookies the service sets are not stored. The API has no use for them, a
  client that keeps none behaves the same on its thousandth call as on its
  first, and reading ``Set-Cookie`` through the standard library's cookie jar
  costs about 20 us per response, a visible share of a fast call.

A caller's own ``http_client`` is used as it is, cookies and all.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["AsyncPool", "Pool"]

_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


class _DiscardedCookies(httpx.Cookies):
    """A cookie store that ignores every ``Set-Cookie`` it is shown."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _NoCookieStore:
    """Mixin: a client's cookie store that keeps nothing (set up by ``__init__``)."""

    _discarded_cookies: httpx.Cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._discarded_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._discarded_cookies = _DiscardedCookies(cookies)


class Pool(_NoCookieStore, httpx.Client):
    """The blocking client's own connection pool."""

    def __init__(self) -> None:
        super().__init__(follow_redirects=False, limits=_LIMITS)
        self.cookies = None


class AsyncPool(_NoCookieStore, httpx.AsyncClient):
    """The async client's own connection pool."""

    def __init__(self) -> None:
        super().__init__(follow_redirects=False, limits=_LIMITS)
        self.cookies = None
