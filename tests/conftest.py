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
    """Make retry waits instant and record how long each would have been.

    The clients' request gates see the time the waits would have taken pass.
    """
    from stability_v1alpha import _client, _pacing

    waits: list[float] = []
    clock = [_pacing.monotonic()]

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    async def fake_async_sleep(seconds: float) -> None:
        fake_sleep(seconds)

    monkeypatch.setattr(_client, "_sleep", fake_sleep)
    monkeypatch.setattr(_client, "_async_sleep", fake_async_sleep)
    monkeypatch.setattr(_pacing, "monotonic", lambda: clock[0])
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
