"""How requests go out: the client's own connection pool and a caller's ``http_client``.

Requests are built with httpx's ``build_request``, so a caller's client adds
its headers, cookies and query parameters as httpx always does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stability_v1alpha import AsyncStability, Stability
from stability_v1alpha.testing import FakeStabilityServer
from support import png

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


def test_what_the_client_keeps_between_calls_shows_no_credentials(
    server: FakeStabilityServer,
) -> None:
    caller = httpx.Client(headers={"Proxy-Authorization": "Basic cHJveHktc2VjcmV0"})
    for http_client in (None, caller):
        with Stability(api_key=KEY, base_url=server.base_url, http_client=http_client) as client:
            client.text_to_image("a kite")
            client.with_options(max_retries=0).text_to_image("a kite", samples=2)
            kept = repr(vars(client))
        for secret in (KEY, KEY[-6:], "cHJveHktc2VjcmV0"):
            assert secret not in kept
    caller.close()


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
