"""The fault matrix: every way the network and the service fail, on both clients.

Each row of :data:`hardening_support.SCENARIOS` is run on the blocking and
the asyncio client against the fake server (or, for the faults it cannot
express, a raw-socket server) and checked for three things:

* the outcome: success, or exactly the expected exception class;
* how many requests the server saw (retries happen, and only when they should);
* the waits between attempts (``Retry-After`` honoured, back-off growing), read
  from a recorder standing in for the clients' sleep functions, so nothing
  really waits;
* secrets: the run has every logger of the process at DEBUG, with a
  distinctive key, and the key (or any 12-character piece of it) appears in
  no log record, no str or repr of the exception or of its causes, no
  traceback text (with or without local variables) and no repr of the result.
  ``test_hardening_secrets`` covers the client objects and the command line.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stability_v1alpha
from hardening_support import (
    KINDS,
    PNG_8,
    SCENARIO_IDS,
    SCENARIOS,
    Collector,
    Outcome,
    Scenario,
    SleepRecorder,
    call,
    debug_logs,
    fake_server,
    leaks,
    run_scenario,
    sleeps,
    texts_of_error,
)
from hostile import http_response
from stability_v1alpha import _client
from stability_v1alpha.testing import FakeStabilityServer

__all__ = ["debug_logs", "sleeps"]  # fixtures, imported for pytest


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeStabilityServer]:
    with fake_server() as server:
        yield server


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_fault(
    scenario: Scenario,
    kind: str,
    fake: FakeStabilityServer,
    sleeps: SleepRecorder,
    debug_logs: Collector,
) -> None:
    outcome = run_scenario(scenario, kind, fake, sleeps)
    check_no_key(outcome, debug_logs)
    if scenario.raises is None:
        assert outcome.error is None, f"unexpected {outcome.error!r}"
        assert outcome.result is not None and len(outcome.result) >= 1
    else:
        assert outcome.error is not None, "expected an exception, the call succeeded"
        # Exactly the expected class, and a public one (no private subclass leaks out).
        assert isinstance(outcome.error, scenario.raises), repr(outcome.error)
        public = {
            getattr(stability_v1alpha, n)
            for n in stability_v1alpha.__all__
            if isinstance(getattr(stability_v1alpha, n), type)
        }
        assert type(outcome.error) is scenario.raises, repr(outcome.error)
        assert type(outcome.error) in public
    if scenario.requests is not None:
        assert outcome.requests == scenario.requests, f"server saw {outcome.requests} requests"
    assert scenario.delays(outcome.delays), f"retry waits were {outcome.delays}"
    if scenario.check is not None:
        scenario.check(outcome)
    # What the fake recorded was always a valid request (the faults are server-side only).
    for record in outcome.records:
        errors = getattr(record, "validation_errors", ())
        if scenario.name != "404-unknown-engine":
            assert errors == (), errors


def check_no_key(outcome: Outcome, logs: Collector) -> None:
    assert logs.texts, "DEBUG logging captured nothing"
    texts = list(logs.texts)
    if outcome.error is not None:
        texts += texts_of_error(outcome.error)
    if outcome.result is not None:
        texts += [repr(outcome.result), str(outcome.result)]
        texts += [repr(image) for image in outcome.result.images]
    for text in texts:
        assert not leaks(text), f"key pieces {leaks(text)} in: {text[:2000]}"


def test_every_fault_of_the_issue_is_in_the_matrix() -> None:
    names = " ".join(SCENARIO_IDS)
    for needle in (
        "429-retry-after-seconds",
        "429-retry-after-http-date",
        *(f"{s}-once-then-success" for s in (500, 502, 503, 504)),
        "503-persistent",
        "html-page",
        "goa-temporary",
        "connection-refused",
        "reset-mid-body",
        "truncated-body",
        "invalid-json",
        "invalid-base64",
        "png-that-is-not-a-png",
        "wrong-content-type",
        "timeout",
        "unknown-enum-values",
        "extra-fields",
        "missing-seed-header",
    ):
        assert needle in names, needle


@pytest.mark.parametrize("kind", KINDS)
def test_retry_resends_the_identical_request(
    kind: str, fake: FakeStabilityServer, sleeps: SleepRecorder
) -> None:
    """A retried upload carries exactly the same bytes (one serialisation, reused)."""
    fake.reset()
    fake.fail_next(503, times=2)
    call(kind, fake.base_url, "inpaint", PNG_8, "x", mask_image=PNG_8, seed=5)
    first, second, third = fake.requests.snapshot()
    assert first.body == second.body == third.body
    assert first.headers["Content-Type"] == third.headers["Content-Type"]
    assert third.validation_errors == ()
    fake.reset()


def test_real_sleep_functions_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The indirection points really sleep when not replaced (a short wait, measured)."""
    import asyncio
    import time

    started = time.perf_counter()
    _client._sleep(0.05)
    asyncio.run(_client._async_sleep(0.05))
    assert time.perf_counter() - started >= 0.09


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_retry_settings_apply(
    kind: str, fake: FakeStabilityServer, sleeps: SleepRecorder
) -> None:
    fake.reset()
    fake.fail_next(503, times=5)
    with pytest.raises(stability_v1alpha.InternalServerError):
        call(kind, fake.base_url, client_options={"max_retries": 4})
    assert len(fake.requests) == 5
    assert len(sleeps.delays) == 4
    fake.reset()


def test_http_response_helper_lies_about_length() -> None:
    raw = http_response(200, b"abc", content_length=10)
    assert b"Content-Length: 10\r\n" in raw and raw.endswith(b"\r\n\r\nabc")
