"""Shared fixtures: a no-wait retry clock, raw httpx against the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from stability_v1alpha.testing import FakeStabilityServer


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Make retry waits instant and record how long each would have been."""
    from stability_v1alpha import _client

    waits: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(_client, "_sleep", waits.append)
    monkeypatch.setattr(_client, "_async_sleep", fake_async_sleep)
    yield waits


@pytest.fixture
def client(stability_server: FakeStabilityServer) -> Iterator[httpx.Client]:
    """httpx on the session's fake server, with its key and ``Accept: image/png``."""
    headers = {"Authorization": stability_server.api_key, "Accept": "image/png"}
    # verify=False only skips loading the CA bundle: the loopback server speaks plain HTTP.
    with httpx.Client(
        base_url=stability_server.base_url, headers=headers, timeout=10, verify=False
    ) as c:
        yield c
