"""pytest fixtures for code that calls the Stability v1alpha API.

Registered through the ``pytest11`` entry point, so pytest loads this module
in every session of everyone who installs the package: it imports nothing
but pytest at import time. The server, openapi-core and the client classes
are imported inside the fixtures, only when a test asks for them.

Fixtures:

``stability_server_session``
    One running :class:`~stability_v1alpha.testing.FakeStabilityServer` per
    test session (starting one costs a few milliseconds, but sharing it keeps
    big suites fast).
``stability_server``
    That server, wiped (:meth:`reset`: faults, recorded requests, connection
    count, latency) before and after each test.
``stability_client`` / ``async_stability_client``
    ``Stability`` / ``AsyncStability`` clients pointed at it with its key and
    ``max_retries=0``, so that each injected fault surfaces as one error;
    closed after the test. The async fixture is an async generator: use it
    from tests run by anyio (``@pytest.mark.anyio``) or pytest-asyncio.

Without the ``testing`` extra, a test that asks for a fixture fails with one
line naming the extra; tests that use none of them are not affected.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from stability_v1alpha import AsyncStability, Stability
    from stability_v1alpha.testing import FakeStabilityServer


@pytest.fixture(scope="session")
def stability_server_session() -> Iterator[FakeStabilityServer]:
    """A fake Stability server shared by the whole test session."""
    with _server_class()() as server:
        yield server


def _server_class() -> type[FakeStabilityServer]:
    """The server class; without the ``testing`` extra, fail the test with one line."""
    from stability_v1alpha.testing._extra import MissingExtraError

    try:
        from stability_v1alpha.testing import FakeStabilityServer
    except MissingExtraError as exc:
        missing = str(exc)
    else:
        return FakeStabilityServer
    pytest.fail(missing, pytrace=False)  # outside the except: no chained traceback


@pytest.fixture
def stability_server(
    stability_server_session: FakeStabilityServer,
) -> Iterator[FakeStabilityServer]:
    """The session's fake server, with a clean slate for this test."""
    stability_server_session.reset()
    yield stability_server_session
    stability_server_session.reset()


@pytest.fixture
def stability_client(stability_server: FakeStabilityServer) -> Iterator[Stability]:
    """A ``Stability`` client talking to :func:`stability_server`."""
    from stability_v1alpha import Stability

    client = Stability(
        api_key=stability_server.api_key, base_url=stability_server.base_url, max_retries=0
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
async def async_stability_client(
    stability_server: FakeStabilityServer,
) -> AsyncIterator[AsyncStability]:
    """An ``AsyncStability`` client talking to :func:`stability_server`."""
    from stability_v1alpha import AsyncStability

    client = AsyncStability(
        api_key=stability_server.api_key, base_url=stability_server.base_url, max_retries=0
    )
    try:
        yield client
    finally:
        await client.close()
