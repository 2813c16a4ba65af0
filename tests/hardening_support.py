"""Helpers shared by the hardening suite (``tests/test_hardening_*.py``).

* :data:`KEY`: a distinctive API key; the secrets tests look for it (and for
  pieces of it) in every text the client produces.
* :func:`png`: small valid PNGs built with the standard library.
* :class:`SleepRecorder`: replaces the clients' retry waits so that the suite
  never really sleeps, and records every delay asked for.
* :func:`ok_png`: a good answer for :class:`hostile.HostileServer`, the raw
  socket server that plays the faults the fake Stability server cannot express
  (a reset in the middle of a body whose headers already went out, a
  connection closed before any answer, bytes that are not HTTP...).
* :func:`call`: runs one facade call on the blocking or the asyncio client, so
  that every scenario is checked on both.
* :data:`SCENARIOS`: the fault matrix, run by ``test_hardening_faults``.
* :func:`leaks`, :class:`Collector`, :func:`texts_of_error`: looking for the key.
* :func:`fake_server`: the fake with :data:`KEY`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import socket
import struct
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import stability_v1alpha
from hostile import RESET, Answer, HostileServer, http_response
from stability_v1alpha import AsyncStability, Generation, Stability, _pacing
from stability_v1alpha import _client as client_module

# Distinctive, with characters that regexes and URL encoders treat specially.
KEY = "sk-HARDENING-canary-7f3c9e1d+Zq8/x=Kw"
ENGINE = "stable-diffusion-512-v2-1"
KINDS = ("sync", "async")


# --------------------------------------------------------------------------------------------
# PNG images
# --------------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(
    width: int = 8,
    height: int = 8,
    *,
    alpha: bool = False,
    fill: bytes | None = None,
    extra_chunks: tuple[tuple[bytes, bytes], ...] = (),
) -> bytes:
    """A valid 8-bit RGB (or RGBA) PNG filled with one colour.

    ``extra_chunks`` are inserted (as ancillary chunks) before the image data:
    handy to put arbitrary bytes, such as multipart boundaries, inside a PNG
    that every decoder still reads.
    """
    channels = 4 if alpha else 3
    pixel = fill if fill is not None else (b"\x20\x80\xc0\x80" if alpha else b"\x20\x80\xc0")
    assert len(pixel) == channels
    row = b"\x00" + pixel * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    chunks = b"".join(_chunk(kind, data) for kind, data in extra_chunks)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + chunks
        + _chunk(b"IDAT", zlib.compress(raw, 1))
        + _chunk(b"IEND", b"")
    )


PNG_8 = png()


def artifacts_body(*images: bytes, seed: int = 7, reason: str = "SUCCESS", **extra: Any) -> bytes:
    """A JSON array of artifacts, as the service sends for ``Accept: application/json``."""
    items = [
        {"base64": base64.b64encode(data).decode(), "seed": seed, "finishReason": reason, **extra}
        for data in images
    ]
    return json.dumps(items).encode()


# --------------------------------------------------------------------------------------------
# Clients and calls
# --------------------------------------------------------------------------------------------


def make_client(kind: str, base_url: str, **options: Any) -> Stability | AsyncStability:
    options.setdefault("api_key", KEY)
    if kind == "sync":
        return Stability(base_url=base_url, **options)
    return AsyncStability(base_url=base_url, **options)


def call(
    kind: str,
    base_url: str,
    method: str = "text_to_image",
    *args: Any,
    client_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Generation:
    """Open a client of ``kind``, run one call, close the client; return or raise as it did."""
    if not args and method == "text_to_image":
        args = ("a lighthouse at dawn",)
    options = dict(client_options or {})
    if kind == "sync":
        with Stability(base_url=base_url, **{"api_key": KEY, **options}) as client:
            result: Generation = getattr(client, method)(*args, **kwargs)
            return result

    async def run() -> Generation:
        async with AsyncStability(base_url=base_url, **{"api_key": KEY, **options}) as client:
            result: Generation = await getattr(client, method)(*args, **kwargs)
            return result

    return asyncio.run(run())


# --------------------------------------------------------------------------------------------
# Retry waits
# --------------------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for ``_client._sleep`` / ``_client._async_sleep``: records, never waits.

    :meth:`now` is the clock the clients' request gates read: the recorded
    waits pass on it as if they had been slept.
    """

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._now = _pacing.monotonic()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self._now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr(client_module, "_sleep", recorder.sleep)
    monkeypatch.setattr(client_module, "_async_sleep", recorder.async_sleep)
    monkeypatch.setattr(_pacing, "monotonic", recorder.now)
    return recorder


# --------------------------------------------------------------------------------------------
# Answers of the raw server (:mod:`hostile`)
# --------------------------------------------------------------------------------------------


def ok_png(data: bytes = PNG_8, seed: int = 42) -> Answer:
    return (http_response(200, data, {"Seed": str(seed), "Finish-Reason": "SUCCESS"}),)


# --------------------------------------------------------------------------------------------
# The fault matrix
# --------------------------------------------------------------------------------------------


# Back-off before retry n (1-based) is min(0.5 * 2**(n-1), 8) scaled by a jitter in [0.5, 1].
def backoff_bounds(retry: int) -> tuple[float, float]:
    base = min(0.5 * 2.0 ** (retry - 1), 8.0)
    return base * 0.5, base


def is_backoff(delays: list[float]) -> bool:
    return all(
        lo - 1e-9 <= d <= hi + 1e-9
        for d, (lo, hi) in zip(delays, map(backoff_bounds, range(1, len(delays) + 1)), strict=True)
    )


PNG_HEADERS = {"Content-Type": "image/png", "Seed": "42", "Finish-Reason": "SUCCESS"}
JSON_HEADERS = {"Content-Type": "application/json", "Seed": "42", "Finish-Reason": "SUCCESS"}


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


# --------------------------------------------------------------------------------------------
# Looking for the key
# --------------------------------------------------------------------------------------------

WINDOW = 12
PIECES = {KEY[i : i + WINDOW] for i in range(len(KEY) - WINDOW + 1)}


def leaks(text: str) -> list[str]:
    """The pieces of the key found in ``text`` (empty when it is clean)."""
    return sorted(piece for piece in PIECES if piece in text)


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.formatter_ = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.formatter_.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr(record.__dict__))


@pytest.fixture
def debug_logs() -> Iterator[Collector]:
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


def texts_of_error(error: BaseException, *, with_locals: bool = True) -> list[str]:
    """Everything one may read about ``error``.

    ``with_locals`` adds the traceback with local variables (as error trackers
    capture it): fair for errors raised while the client holds the key, not
    for a constructor refusing a key, whose own argument is a local there.
    """
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if with_locals:
        exception = traceback.TracebackException.from_exception(error, capture_locals=True)
        texts.append("".join(exception.format()))
    cause: BaseException | None = error
    while cause is not None:
        texts += [str(cause), repr(cause), repr(getattr(cause, "__dict__", {}))]
        cause = cause.__cause__ or cause.__context__
    return texts


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def fake_server(**options: Any) -> Iterator[Any]:
    """A running fake server that takes :data:`KEY` (and only it)."""
    from stability_v1alpha.testing import FakeStabilityServer

    with FakeStabilityServer(api_key=KEY, **options) as server:
        yield server


# --------------------------------------------------------------------------------------------
# Ports, descriptors, threads
# --------------------------------------------------------------------------------------------


def refused_url() -> str:
    """A loopback URL where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
