"""The client object: its settings, ``with_options``, and how requests go out.

Requests go out on the client's own connection pool or a caller's
``http_client``; they are built with httpx's ``build_request``, so a caller's
client adds its headers, cookies and query parameters as httpx always does.
Unusable settings (given to the constructor or to ``with_options``) are an
``InvalidRequestError`` naming the setting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stability_v1alpha import AsyncStability, InvalidRequestError, Stability
from stability_v1alpha.testing import FakeStabilityServer
from support import KINDS, png

KEY = "sk-transport-test-51c0"
PNG = png(512, 512)
COOKIE_ANSWER = {"Content-Type": "image/png", "Set-Cookie": "session=s3cr3t; Path=/"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean(server: FakeStabilityServer) -> None:
    server.reset()


def headers_seen(server: FakeStabilityServer) -> list[dict[str, str]]:
    return [{k.lower(): v for k, v in r.headers.items()} for r in server.requests]


def test_own_pool_sends_what_the_spec_wants(server: FakeStabilityServer) -> None:
    with Stability(api_key=KEY, base_url=server.base_url) as client:
        client.text_to_image("a kite", seed=1)
        client.text_to_image("a kite", seed=2, samples=2)
        client.image_to_image(PNG, "a kite", seed=3)
    png_call, json_call, upload = headers_seen(server)
    assert png_call["accept"] == upload["accept"] == "image/png"
    for seen, record in zip(headers_seen(server), server.requests, strict=True):
        assert seen["authorization"] == KEY
        assert seen["content-length"] == str(len(record.body))
        assert seen["user-agent"].startswith("stability-v1alpha-python/")
    assert json_call["accept"] == "application/json"
    assert upload["content-type"].startswith("multipart/form-data; boundary=")
    assert not any(r.validation_errors for r in server.requests)


def test_callers_client_keeps_its_headers_cookies_and_params(server: FakeStabilityServer) -> None:
    server.respond_next(200, PNG, COOKIE_ANSWER)
    caller = httpx.Client(
        headers={"X-Trace": "t-1"}, cookies={"pref": "dark"}, params={"tenant": "blue"}
    )
    with caller, Stability(api_key=KEY, base_url=server.base_url, http_client=caller) as client:
        client.text_to_image("a kite")
        client.text_to_image("a kite")
        assert caller.cookies.get("session") == "s3cr3t"  # httpx stored it, as it always does
    first, second = headers_seen(server)
    assert first["x-trace"] == second["x-trace"] == "t-1"
    assert first["cookie"] == "pref=dark"
    assert sorted(second["cookie"].split("; ")) == ["pref=dark", "session=s3cr3t"]
    assert all(r.query == "tenant=blue" for r in server.requests)
    assert all(h["authorization"] == KEY and h["accept"] == "image/png" for h in (first, second))


def test_changes_to_the_callers_client_headers_apply_to_the_next_call(
    server: FakeStabilityServer,
) -> None:
    caller = httpx.Client(headers={"X-Trace": "t-1"})
    with caller, Stability(api_key=KEY, base_url=server.base_url, http_client=caller) as client:
        client.text_to_image("a kite")
        caller.headers["X-Trace"] = "t-2"
        client.text_to_image("a kite")
        del caller.headers["X-Trace"]
        caller.headers["User-Agent"] = "their-app/3"  # the facade's own User-Agent still wins
        client.text_to_image("a kite")
    traces = [h.get("x-trace") for h in headers_seen(server)]
    assert traces == ["t-1", "t-2", None]
    assert headers_seen(server)[2]["user-agent"].startswith("stability-v1alpha-python/")


def test_callers_client_is_not_closed(server: FakeStabilityServer) -> None:
    caller = httpx.Client()
    with Stability(api_key=KEY, base_url=server.base_url, http_client=caller) as client:
        client.text_to_image("a kite")
    assert not caller.is_closed
    caller.close()


def test_timeout_reaches_httpx_per_request(server: FakeStabilityServer) -> None:
    seen: list[Any] = []
    caller = httpx.Client(event_hooks={"request": [lambda r: seen.append(r.extensions)]})
    with caller, Stability(api_key=KEY, base_url=server.base_url, http_client=caller) as client:
        client.text_to_image("a kite")
        client.with_options(timeout=7.5).text_to_image("a kite")
    assert seen[0]["timeout"] == client.timeout.as_dict()
    assert seen[1]["timeout"] == httpx.Timeout(7.5).as_dict()


def test_async_callers_client_keeps_its_headers_cookies_and_params(
    server: FakeStabilityServer,
) -> None:
    server.respond_next(200, PNG, COOKIE_ANSWER)

    async def go() -> None:
        async with (
            httpx.AsyncClient(
                headers={"X-Trace": "t-1"}, cookies={"pref": "dark"}, params={"tenant": "blue"}
            ) as caller,
            AsyncStability(api_key=KEY, base_url=server.base_url, http_client=caller) as client,
        ):
            await client.text_to_image("a kite")
            await client.text_to_image("a kite")

    asyncio.run(go())
    first, second = headers_seen(server)
    assert first["x-trace"] == second["x-trace"] == "t-1"
    assert first["cookie"] == "pref=dark"
    assert sorted(second["cookie"].split("; ")) == ["pref=dark", "session=s3cr3t"]
    assert all(r.query == "tenant=blue" for r in server.requests)


SETTINGS = [
    ("timeout", "10", "number of seconds"),
    ("timeout", -1, "number of seconds"),
    ("timeout", float("nan"), "number of seconds"),
    ("timeout", float("inf"), "number of seconds"),
    ("timeout", 1e12, "number of seconds"),
    ("timeout", 10**400, "number of seconds"),
    ("timeout", True, "number of seconds"),
    ("max_retries", -1, ">= 0"),
    ("max_retries", 2.5, ">= 0"),
    ("max_retries", True, ">= 0"),
    ("max_upload_bytes", 0, "> 0"),
    ("max_upload_bytes", "10MB", "> 0"),
    ("base_url", "ftp://example.com", "http:// or https://"),
    ("base_url", "not a url", "http:// or https://"),
    ("organization", "org-1\r\nX-Injected: 1", "printable ASCII"),
    ("organization", "организация", "printable ASCII"),
    ("organization", 123, "one-line"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("name", "value", "phrase"), SETTINGS, ids=[f"{n}={v!r}" for n, v, _ in SETTINGS]
)
def test_bad_client_settings(kind: str, name: str, value: Any, phrase: str) -> None:
    cls = Stability if kind == "sync" else AsyncStability
    with pytest.raises(InvalidRequestError) as info:
        cls(api_key=KEY, **{name: value})
    assert info.value.field == name and phrase in str(info.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("timeout", "soon"), ("max_retries", -3), ("max_upload_bytes", -1)],
)
def test_bad_settings_in_with_options(name: str, value: Any) -> None:
    client = Stability(api_key=KEY)
    with pytest.raises(InvalidRequestError) as info:
        client.with_options(**{name: value})
    assert info.value.field == name
    client.close()


def test_good_timeouts_are_accepted() -> None:
    given = httpx.Timeout(3.0, connect=1.0)
    expected = [
        (None, httpx.Timeout(None)),
        (0, httpx.Timeout(0)),
        (2.5, httpx.Timeout(2.5)),
        # Connecting keeps its own shorter limit.
        (1_000_000, httpx.Timeout(1_000_000, connect=10.0)),
        (given, given),
    ]
    for timeout, as_httpx in expected:
        client = Stability(api_key=KEY, timeout=timeout)
        assert client.timeout == as_httpx
        client.close()
    asyncio.run(AsyncStability(api_key=KEY, timeout=None).close())


def test_wrong_http_client_types() -> None:
    with pytest.raises(InvalidRequestError):
        Stability(api_key=KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError):
        AsyncStability(api_key=KEY, http_client=httpx.Client())  # type: ignore[arg-type]


def test_http_client_with_auth_is_refused() -> None:
    """Its auth would replace the API key's Authorization header on every request."""
    for client_type, facade_type in (
        (httpx.Client, Stability),
        (httpx.AsyncClient, AsyncStability),
    ):
        http_client = client_type(auth=("user", "password"))
        with pytest.raises(InvalidRequestError, match="must not set auth") as info:
            facade_type(api_key=KEY, http_client=http_client)  # type: ignore[arg-type]
        assert "password" not in str(info.value)
