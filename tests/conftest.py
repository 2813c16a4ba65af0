"""Shared fixtures: a no-wait retry clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


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
