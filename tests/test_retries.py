"""The fault matrix: every way the network and the service fail, on both clients.

Each row of :data:`SCENARIOS` is run on the blocking and
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
  ``test_secrets`` covers the client objects and the command line.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import stability_v1alpha
from hostile import RESET, Answer, HostileServer, http_response
from stability_v1alpha import Generation, _client
from stability_v1alpha.testing import FakeStabilityServer
from support import (
    JSON_HEADERS,
    KEY,
    KINDS,
    PNG_8,
    PNG_HEADERS,
    Collector,
    SleepRecorder,
    artifacts_body,
    call,
    is_backoff,
    leaks,
    ok_png,
    texts_of_error,
)

# --------------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------------


def refused_url() -> str:
    """A loopback URL where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Outcome:
    """What one scenario run produced."""

    result: Generation | None
    error: BaseException | None
    requests: int | None  # as the server counted them; None when nothing listens
    delays: list[float]
    records: list[Any]


@dataclass(frozen=True)
class Scenario:
    """One row of the fault matrix.

    ``arrange`` injects faults into the (reset) fake server; ``raw`` replaces
    the fake with a :class:`~hostile.HostileServer` playing those answers; ``refused``
    points the client at a port where nothing listens. ``raises`` is the
    exception class expected (None: success), ``requests`` the number of
    requests the server must have seen, ``delays`` a predicate on the retry
    waits, ``check`` extra assertions.
    """

    name: str
    arrange: Callable[[Any], None] | None = None
    raw: Callable[[], list[Answer]] | None = None
    refused: bool = False
    method: str = "text_to_image"
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    client_options: dict[str, Any] = field(default_factory=dict)
    raises: type[BaseException] | None = None
    requests: int | None = 1
    delays: Callable[[list[float]], bool] = lambda d: d == []
    check: Callable[[Outcome], None] | None = None


def run_scenario(scenario: Scenario, kind: str, fake: Any, sleeps: SleepRecorder) -> Outcome:
    """Run ``scenario`` on a client of ``kind``; the caller checks the outcome."""
    sleeps.delays.clear()
    fake.reset()
    result: Generation | None = None
    error: BaseException | None = None

    def attempt(base_url: str) -> None:
        nonlocal result, error
        try:
            result = call(
                kind,
                base_url,
                scenario.method,
                *scenario.args,
                client_options=scenario.client_options,
                **scenario.kwargs,
            )
        except Exception as exc:
            error = exc

    if scenario.refused:
        attempt(refused_url())
        return Outcome(result, error, None, list(sleeps.delays), [])
    if scenario.raw is not None:
        with HostileServer(scenario.raw()) as raw:
            attempt(raw.base_url)
        return Outcome(result, error, len(raw.requests), list(sleeps.delays), list(raw.requests))
    if scenario.arrange is not None:
        scenario.arrange(fake)
    attempt(fake.base_url)
    records = fake.requests.snapshot()
    fake.reset()
    return Outcome(result, error, len(records), list(sleeps.delays), records)


def _retry_after_date(seconds: float) -> Callable[[Any], None]:
    def arrange(fake: Any) -> None:
        from email.utils import formatdate

        fake.fail_next(429, retry_after=formatdate(time.time() + seconds, usegmt=True))

    return arrange


def _image(outcome: Outcome) -> Any:
    assert outcome.result is not None
    return outcome.result.image


def _check_png_ok(outcome: Outcome) -> None:
    image = _image(outcome)
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.width > 0 and image.height > 0


def _status(expected: int, *, name: str | None = None, temporary: bool | None = None):  # type: ignore[no-untyped-def]
    def check(outcome: Outcome) -> None:
        error = outcome.error
        assert isinstance(error, stability_v1alpha.APIStatusError)
        assert error.status_code == expected
        if name is not None:
            assert error.name == name
        if temporary is not None:
            assert error.temporary is temporary

    return check


def _html_error(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, stability_v1alpha.APIStatusError)
    assert error.name is None and error.error_id is None and error.temporary is None
    assert "502 Bad Gateway" in error.message
    assert "<" not in error.message  # tags stripped


def _rate_limited(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, stability_v1alpha.RateLimitError)
    assert error.retry_after == 2.0
    assert error.name == "too_many_requests" and error.temporary is True


def _rate_limited_for(seconds: float) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert isinstance(outcome.error, stability_v1alpha.RateLimitError)
        assert outcome.error.retry_after == seconds

    return check


def _seed(expected: int) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert _image(outcome).seed == expected

    return check


def _reasons(*expected: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert outcome.result is not None
        assert [i.finish_reason for i in outcome.result.images] == list(expected)
        assert not any(i.content_filtered for i in outcome.result.images)

    return check


def _filtered(outcome: Outcome) -> None:
    image = _image(outcome)
    assert image.finish_reason == "CONTENT_FILTERED" and image.content_filtered


def _short_message(outcome: Outcome) -> None:
    assert outcome.error is not None
    assert len(str(outcome.error)) < 400


def _redacted(outcome: Outcome) -> None:
    error = outcome.error
    assert isinstance(error, stability_v1alpha.APIStatusError)
    assert "[REDACTED]" in str(error)
    assert KEY not in str(error) and KEY not in repr(error)
    assert KEY not in (error.name or "") and KEY not in (error.error_id or "")


def _respond(status: int, body: bytes, headers: dict[str, str], times: int = 1):  # type: ignore[no-untyped-def]
    return lambda fake: fake.respond_next(status, body, headers, times=times)


_TRUNCATED_PNG = http_response(
    200, PNG_8[:30], {"Seed": "1", "Finish-Reason": "SUCCESS"}, content_length=len(PNG_8)
)
_NOT_PNG = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" * 4
# An HTML page that echoes the key right where a 300-character excerpt would cut it.
_ECHO_PAGE = (
    b"<html><body><h1>502 Bad Gateway</h1><p>" + b"x" * 260 + b" " + KEY.encode() + b"</p></body>"
)


def _one_retry(delays: list[float]) -> bool:
    return len(delays) == 1 and is_backoff(delays)


def _two_retries(delays: list[float]) -> bool:
    return len(delays) == 2 and is_backoff(delays)


SCENARIOS: list[Scenario] = [
    # -- rate limiting ------------------------------------------------------------------------
    Scenario(
        "429-retry-after-seconds",
        arrange=lambda f: f.fail_next(429, retry_after=3),
        requests=2,
        delays=lambda d: d == [3.0],
        check=_check_png_ok,
    ),
    Scenario(
        "429-retry-after-http-date",
        arrange=_retry_after_date(30),
        requests=2,
        # An HTTP date has whole seconds: 29-30 s from now, minus the time the test took.
        delays=lambda d: len(d) == 1 and 27.0 <= d[0] <= 30.5,
    ),
    Scenario(
        "429-retry-after-past-date",
        arrange=_retry_after_date(-3600),
        requests=2,
        delays=lambda d: d in ([], [0.0]),  # no wait: a zero sleep, or none
    ),
    Scenario(
        "429-retry-after-over-60s-raised-at-once",
        arrange=lambda f: f.fail_next(429, retry_after=3600),
        raises=stability_v1alpha.RateLimitError,
        requests=1,
        delays=lambda d: d == [],
        check=_rate_limited_for(3600.0),
    ),
    Scenario(
        "429-retry-after-unreadable-falls-back-to-backoff",
        arrange=lambda f: f.fail_next(429, retry_after="soon"),
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "429-retry-after-overflowing-number",
        arrange=lambda f: f.fail_next(429, retry_after="1e309"),
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "429-retry-after-negative-falls-back-to-backoff",
        arrange=lambda f: f.fail_next(429, retry_after="-5"),
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "429-persistent",
        arrange=lambda f: f.fail_next(429, times=3, retry_after=2),
        raises=stability_v1alpha.RateLimitError,
        requests=3,
        delays=lambda d: d == [2.0, 2.0],
        check=_rate_limited,
    ),
    # -- transient server errors --------------------------------------------------------------
    *[
        Scenario(
            f"{status}-once-then-success",
            arrange=lambda f, status=status: f.fail_next(status),
            requests=2,
            delays=_one_retry,
            check=_check_png_ok,
        )
        for status in (408, 500, 502, 503, 504)
    ],
    Scenario(
        "503-retry-after-honoured",
        arrange=lambda f: f.fail_next(503, retry_after=7),
        requests=2,
        delays=lambda d: d == [7.0],
    ),
    Scenario(
        "503-persistent-retries-exhausted",
        arrange=lambda f: f.fail_next(503, times=3),
        raises=stability_v1alpha.InternalServerError,
        requests=3,
        delays=_two_retries,
        check=_status(503, name="service_unavailable", temporary=True),
    ),
    Scenario(
        "503-backoff-grows-and-caps",
        arrange=lambda f: f.fail_next(503, times=7),
        client_options={"max_retries": 6},
        raises=stability_v1alpha.InternalServerError,
        requests=7,
        delays=lambda d: len(d) == 6 and is_backoff(d) and max(d) <= 8.0,
    ),
    Scenario(
        "503-max-retries-0",
        arrange=lambda f: f.fail_next(503),
        client_options={"max_retries": 0},
        raises=stability_v1alpha.InternalServerError,
        requests=1,
    ),
    Scenario(
        "502-html-page-once",
        arrange=lambda f: f.fail_next(502, html=True),
        requests=2,
        delays=_one_retry,
        check=_check_png_ok,
    ),
    Scenario(
        "502-html-page-persistent",
        arrange=lambda f: f.fail_next(502, times=3, html=True),
        raises=stability_v1alpha.InternalServerError,
        requests=3,
        delays=_two_retries,
        check=_html_error,
    ),
    Scenario(
        "500-huge-text-body",
        arrange=_respond(500, b"overloaded " * 1_000_000, {"Content-Type": "text/plain"}, 3),
        raises=stability_v1alpha.InternalServerError,
        requests=3,
        delays=_two_retries,
        check=_short_message,
    ),
    # -- errors that must not be retried ------------------------------------------------------
    Scenario(
        "400-html-page",
        arrange=lambda f: f.fail_next(400, html=True),
        raises=stability_v1alpha.BadRequestError,
        check=_status(400),
    ),
    Scenario(
        "400-goa-temporary-is-retried",
        arrange=lambda f: f.fail_next(400, temporary=True),
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "400-goa-error-vnd-media-type",
        arrange=lambda f: f.fail_next(400, content_type="application/vnd.goa.error"),
        raises=stability_v1alpha.BadRequestError,
        check=_status(400, name="bad_request", temporary=False),
    ),
    Scenario(
        "401-not-retried-even-with-retry-after",
        arrange=lambda f: f.fail_next(401, retry_after=1),
        raises=stability_v1alpha.AuthenticationError,
        check=_status(401, name="unauthorized"),
    ),
    Scenario(
        "403-not-retried",
        arrange=lambda f: f.fail_next(403),
        raises=stability_v1alpha.PermissionDeniedError,
    ),
    Scenario(
        "404-unknown-engine",
        kwargs={"engine": "no-such-engine"},
        raises=stability_v1alpha.NotFoundError,
        check=_status(404, name="not_found"),
    ),
    Scenario(
        "409-unlisted-status",
        arrange=lambda f: f.fail_next(409),
        raises=stability_v1alpha.APIStatusError,
        check=_status(409),
    ),
    Scenario(
        "302-redirect-not-followed",
        arrange=_respond(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"}),
        raises=stability_v1alpha.APIStatusError,
        check=_status(302),
    ),
    Scenario(
        "400-error-echoing-the-key",
        arrange=lambda f: f.fail_next(
            400,
            body={
                "name": KEY,
                "id": KEY,
                "message": f"invalid key {KEY}",
                "temporary": False,
                "timeout": False,
                "fault": False,
            },
        ),
        raises=stability_v1alpha.BadRequestError,
        check=_redacted,
    ),
    Scenario(
        "502-html-page-echoing-the-key",
        arrange=lambda f: f.fail_next(502, times=3, body=_ECHO_PAGE, content_type="text/html"),
        raises=stability_v1alpha.InternalServerError,
        requests=3,
        delays=_two_retries,
        check=_redacted,
    ),
    # -- the network --------------------------------------------------------------------------
    Scenario(
        "connection-refused",
        refused=True,
        raises=stability_v1alpha.APIConnectionError,
        requests=None,
        delays=_two_retries,
    ),
    Scenario(
        "reset-before-answer-once",
        arrange=lambda f: f.reset_next(),
        requests=2,
        delays=_one_retry,
        check=_check_png_ok,
    ),
    Scenario(
        "reset-before-answer-persistent",
        arrange=lambda f: f.reset_next(times=3),
        raises=stability_v1alpha.APIConnectionError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "closed-without-answer",
        raw=lambda: [()],
        raises=stability_v1alpha.APIConnectionError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "reset-mid-body-once",
        raw=lambda: [(_TRUNCATED_PNG, RESET), ok_png()],
        requests=2,
        delays=_one_retry,
        check=_seed(42),
    ),
    Scenario(
        "reset-mid-body-persistent",
        raw=lambda: [(_TRUNCATED_PNG, RESET)],
        raises=stability_v1alpha.APIConnectionError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "truncated-body-once",
        arrange=lambda f: f.truncate_next(),
        requests=2,
        delays=_one_retry,
        check=_check_png_ok,
    ),
    Scenario(
        "truncated-body-persistent",
        arrange=lambda f: f.truncate_next(times=3),
        raises=stability_v1alpha.MalformedResponseError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "truncated-json-body-persistent",
        kwargs={"samples": 2},
        arrange=lambda f: f.truncate_next(times=3),
        raises=stability_v1alpha.MalformedResponseError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "truncated-chunked-body",
        raw=lambda: [
            (
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n10\r\n" + PNG_8[:16] + b"\r\n",
            ),
            ok_png(),
        ],
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "timeout-once",
        arrange=lambda f: f.delay_next(5),
        client_options={"timeout": 0.25},
        requests=2,
        delays=_one_retry,
        check=_check_png_ok,
    ),
    Scenario(
        "timeout-persistent",
        arrange=lambda f: f.delay_next(5, times=3),
        client_options={"timeout": 0.25},
        raises=stability_v1alpha.APITimeoutError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "stalled-mid-body",
        raw=lambda: [(http_response(200, PNG_8[:20], content_length=len(PNG_8)),), ok_png()],
        client_options={"timeout": 0.25},
        requests=2,
        delays=_one_retry,
    ),
    Scenario(
        "garbage-instead-of-http",
        raw=lambda: [(b"SSH-2.0-OpenSSH_9.6\r\n\r\n",)],
        raises=stability_v1alpha.APIConnectionError,
        requests=3,
        delays=_two_retries,
    ),
    Scenario(
        "invalid-content-length-header",
        raw=lambda: [
            (b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: abc\r\n\r\n",),
            ok_png(),
        ],
        requests=2,
        delays=_one_retry,
    ),
    # -- malformed success answers: never retried ---------------------------------------------
    Scenario(
        "corrupt-gzip-encoding",
        arrange=_respond(
            200, b"\x1f\x8bnot really gzip", {**PNG_HEADERS, "Content-Encoding": "gzip"}
        ),
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "invalid-json",
        arrange=_respond(200, b'[{"base64": "iVBO', JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "json-not-utf8",
        arrange=_respond(200, b'[{"base64": "\xff\xfe"}]', JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "json-deeply-nested",
        arrange=_respond(200, b"[" * 200_000 + b"]" * 200_000, JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "json-object-not-array",
        arrange=_respond(200, artifacts_body(PNG_8)[1:-1], JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "json-empty-array",
        arrange=_respond(200, b"[]", JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "invalid-base64",
        arrange=_respond(
            200, b'[{"base64": "iVBORw0K!!!!", "seed": 1, "finishReason": "SUCCESS"}]', JSON_HEADERS
        ),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "base64-of-something-else",
        arrange=_respond(200, artifacts_body(_NOT_PNG), JSON_HEADERS),
        kwargs={"samples": 2},
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "png-that-is-not-a-png",
        arrange=_respond(200, _NOT_PNG, PNG_HEADERS),
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "png-cut-before-iend",
        arrange=_respond(200, PNG_8[:-12], PNG_HEADERS),
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "empty-200",
        arrange=_respond(200, b"", PNG_HEADERS),
        raises=stability_v1alpha.MalformedResponseError,
    ),
    Scenario(
        "wrong-content-type",
        arrange=_respond(200, b"<html>hello</html>", {**PNG_HEADERS, "Content-Type": "text/html"}),
        raises=stability_v1alpha.MalformedResponseError,
    ),
    # -- a newer server -----------------------------------------------------------------------
    Scenario(
        "unknown-finish-reason-header",
        arrange=_respond(200, PNG_8, {**PNG_HEADERS, "Finish-Reason": "RATE_SHAPED"}),
        check=_reasons("RATE_SHAPED"),
    ),
    Scenario(
        "unknown-enum-values-in-artifacts",
        kwargs={"samples": 2},
        arrange=_respond(
            200,
            json.dumps(
                [
                    {"base64": base64.b64encode(PNG_8).decode(), "seed": 1, "finishReason": r}
                    for r in ("UPSCALED", "SUCCESS")
                ]
            ).encode(),
            JSON_HEADERS,
        ),
        check=_reasons("UPSCALED", "SUCCESS"),
    ),
    Scenario(
        "extra-fields-and-headers",
        kwargs={"samples": 2},
        arrange=_respond(
            200,
            artifacts_body(
                PNG_8, PNG_8, seed=9, mime="image/png", nsfw={"score": 0.1, "labels": [None]}
            ),
            {**JSON_HEADERS, "X-New-Header": "1", "Model-Version": "2.1"},
        ),
        check=_seed(9),
    ),
    Scenario(
        "missing-seed-header-uses-requested-seed",
        kwargs={"seed": 1234},
        arrange=_respond(200, PNG_8, {"Content-Type": "image/png"}),
        check=_seed(1234),
    ),
    Scenario(
        "missing-seed-header-unknown-seed-is-0",
        arrange=_respond(200, PNG_8, {"Content-Type": "image/png"}),
        check=_seed(0),
    ),
    Scenario(
        "garbage-seed-header",
        kwargs={"seed": 77},
        arrange=_respond(200, PNG_8, {**PNG_HEADERS, "Seed": "NaN"}),
        check=_seed(77),
    ),
    Scenario("content-filtered", arrange=lambda f: f.content_filter_next(), check=_filtered),
]

SCENARIO_IDS = [s.name for s in SCENARIOS]


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


def test_every_kind_of_fault_is_in_the_matrix() -> None:
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
