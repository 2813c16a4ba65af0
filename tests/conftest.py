"""Shared fixtures: recorded retry waits, every logger at DEBUG, fake servers, raw httpx."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from stability_v1alpha import _client, _pacing
from support import Collector, SleepRecorder, fake_server

if TYPE_CHECKING:
    from stability_v1alpha.testing import FakeStabilityServer


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Make retry waits instant and record how long each would have been.

    The clients' request gates see the time the waits would have taken pass.
    """
    recorder = SleepRecorder()
    monkeypatch.setattr(_client, "_sleep", recorder.sleep)
    monkeypatch.setattr(_client, "_async_sleep", recorder.async_sleep)
    monkeypatch.setattr(_pacing, "monotonic", recorder.now)
    return recorder


@pytest.fixture
def debug_logs() -> Iterator[Collector]:
    """Every record of the client's, httpx's and asyncio's loggers, at DEBUG."""
    collector = Collector()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("stability_v1alpha", "httpx", "httpcore", "asyncio")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(old_level)
        for lg, level in zip(loggers, old, strict=True):
            lg.setLevel(level)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStabilityServer]:
    """A fake server of the module's own that takes :data:`support.KEY`.

    The CLI and pacing tests define their own ``fake``, a server reset around each test.
    """
    with fake_server() as server:
        yield server


@pytest.fixture
def client(stability_server: FakeStabilityServer) -> Iterator[httpx.Client]:
    """httpx on the session's fake server, with its key and ``Accept: image/png``."""
    headers = {"Authorization": stability_server.api_key, "Accept": "image/png"}
    # verify=False only skips loading the CA bundle: the loopback server speaks plain HTTP.
    with httpx.Client(
        base_url=stability_server.base_url, headers=headers, timeout=10, verify=False
    ) as c:
        yield c
