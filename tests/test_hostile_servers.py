"""Hostile servers: every answer ends in time, in bounded memory, as images or a typed error.

Both clients, asking for one image (a PNG body) or two (a JSON body), are
driven against :class:`hostile.HostileServer` under a watchdog. The promises
checked, section by section:

* **Deadline.** A number ``timeout`` bounds a whole attempt, connect to last
  byte, even while the status line, the headers, the body or an error body
  arrive one byte at a time; timing out is ``APITimeoutError``. A call takes
  at most ``(max_retries + 1) * timeout`` plus the back-off waits (checked
  with :data:`SLACK` to spare: generous upper bounds only).
* **Memory.** ``max_response_bytes`` caps the decoded size of a success body;
  compression bombs (gzip, deflate, stacked) and oversized bodies end in a
  ``MalformedResponseError`` (or the status error, for an error answer) with
  the call's Python memory within twice the cap (``tracemalloc``) and, with
  the default cap, a fresh process's peak RSS under 200 MB.
* **Content-Encoding.** gzip and deflate are decoded even when not asked for;
  the cap counts decoded bytes; an unknown coding on a success is malformed.
* **Retry-After.** Only ASCII digits or a valid HTTP date count; anything else
  means the normal back-off and never raises. A wait longer than the client
  would do (over 60 s, or over the attempt timeout) is not done: the error is
  raised at once with ``retry_after`` set.
* **Seed.** The ``Seed`` header counts only as ASCII digits.
* **JSON artifacts.** Keys written with escapes are the keys they spell; a
  marker-like value in the body is never trusted.
* **Framing.** Lying lengths, resets, broken status lines and the like end in
  images or a ``StabilityError`` subclass, within the deadline.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

import pytest
import stability_v1alpha as sv
from hostile import (
    MIB,
    RESET,
    Answer,
    Drip,
    HostileServer,
    Run,
    Stall,
    Stream,
    base64_start,
    bomb,
    chunked,
    encoded,
    head,
    http_response,
    repeated,
    run_in_child,
)
from support import (
    JSON_HEADERS,
    KEY,
    KINDS,
    PNG_8,
    PNG_HEADERS,
    SleepRecorder,
    artifacts_body,
    backoff_bounds,
    call,
    is_backoff,
    ok_png,
    png,
)

TIMEOUT = 1.0
# Added to every deadline: thread start-up, a loaded machine, closing the connection.
SLACK = 2.0
# Every (kind, samples) pair, and a pair of pairs that covers each kind and each
# sample count once (where the form of the body does not change the outcome).
EVERY_CASE = list(itertools.product(KINDS, (1, 2)))
TWO_CASES = [("sync", 1), ("async", 2)]
# Digits that are not ASCII: Arabic-Indic and fullwidth twelve.
ARABIC_12 = "\u0661\u0662"
FULLWIDTH_12 = "\uff11\uff12"
# A second image, so that a mix-up between artifacts shows.
PNG_B = png(4, 4, fill=b"\x10\x20\x30")


def deadline(timeout: float = TIMEOUT, retries: int = 0, *, waits: bool = True) -> float:
    """The longest a call may take: every attempt, the longest back-off waits, and slack."""
    backoff = sum(backoff_bounds(n)[1] for n in range(1, retries + 1)) if waits else 0.0
    return (retries + 1) * timeout + backoff + SLACK


def good(samples: int) -> tuple[dict[str, str], bytes]:
    """Headers and body of a correct answer for ``samples`` images."""
    if samples == 1:
        return dict(PNG_HEADERS), PNG_8
    return dict(JSON_HEADERS), artifacts_body(*[PNG_8] * samples)


def good_answer(samples: int, *, content_length: int | None = None) -> Answer:
    headers, body = good(samples)
    return (http_response(200, body, headers, content_length=content_length),)


def drive(
    kind: str,
    answers: list[Answer],
    *,
    samples: int = 1,
    timeout: float = TIMEOUT,
    max_retries: int = 0,
    waits: bool = True,
    trace: bool = False,
    **options: Any,
) -> tuple[Run, HostileServer]:
    """One text-to-image call of ``kind`` against a server playing ``answers``."""
    client_options = {"timeout": timeout, "max_retries": max_retries, **options}
    with HostileServer(answers) as server:
        run = server.drive(
            lambda: call(kind, server.base_url, samples=samples, client_options=client_options),
            deadline(timeout, max_retries, waits=waits),
            trace=trace,
        )
    return run, server


def check_error(run: Run, expected: type[BaseException]) -> None:
    assert run.in_time, f"the call was still running at its deadline (then: {run.error!r})"
    assert isinstance(run.error, expected), (
        f"expected {expected.__name__}, got {run.error!r} (result {run.result!r})"
    )


def check_images(run: Run, *expected: bytes) -> None:
    assert run.in_time, f"the call was still running at its deadline (then: {run.error!r})"
    assert run.error is None, f"unexpected {run.error!r}"
    assert [image.data for image in run.result.images] == list(expected)


# --------------------------------------------------------------------------------------------
# Deadline
# --------------------------------------------------------------------------------------------


def _split(whole: bytes, marker: bytes) -> tuple[bytes, bytes]:
    cut = whole.index(marker) + len(marker)
    return whole[:cut], whole[cut:]


def _slow_status_line(samples: int) -> Answer:
    headers, body = good(samples)
    return (Drip(http_response(200, body, headers)),)


def _slow_headers(samples: int) -> Answer:
    headers, body = good(samples)
    status_line, rest = _split(http_response(200, body, headers), b"\r\n")
    return status_line, Drip(rest)


def _slow_body(samples: int) -> Answer:
    headers, body = good(samples)
    return head(200, {**headers, "Content-Length": str(len(body))}), Drip(body)


def _slow_chunked_body(samples: int) -> Answer:
    headers, body = good(samples)
    pieces = [body[i : i + 8] for i in range(0, len(body), 8)]
    return head(200, {**headers, "Transfer-Encoding": "chunked"}), Drip(b"".join(chunked(pieces)))


def _endless_trailers(samples: int) -> Answer:
    headers, body = good(samples)
    return (
        head(200, {**headers, "Transfer-Encoding": "chunked"})
        + b"%x\r\n%s\r\n0\r\n" % (len(body), body),
        Drip(b"X-Trailer: 1\r\n", endless=True),
    )


def _endless_continue(samples: int) -> Answer:
    return (Drip(b"HTTP/1.1 100 Continue\r\n\r\n", endless=True),)


def _flood_of_processing(samples: int) -> Answer:
    return (Stream(lambda: itertools.repeat(b"HTTP/1.1 102 Processing\r\n\r\n" * 1000)),)


def _goa(name: str, *, temporary: bool = False) -> bytes:
    return (
        b'{"name": "%s", "id": "x1", "message": "hostile", "temporary": %s, "timeout": false, '
        b'"fault": false}' % (name.encode(), b"true" if temporary else b"false")
    )


def _slow_error_body(samples: int) -> Answer:
    body = _goa("boom", temporary=True) + b" " * 200
    fields = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    return head(503, fields), Drip(body)


# Answers too slow for any deadline but in time for every single read, and one that stops
# (a per-read timeout catches it; kept so that the deadline never does worse).
SLOW: dict[str, Callable[[int], Answer]] = {
    "status-line-dripped": _slow_status_line,
    "headers-dripped": _slow_headers,
    "endless-100-continue-dripped": _endless_continue,
    "flood-of-102-processing": _flood_of_processing,
    "error-body-dripped": _slow_error_body,
    "body-dripped": _slow_body,
    "chunked-body-dripped": _slow_chunked_body,
    "endless-trailers-dripped": _endless_trailers,
    "stall-in-headers": lambda s: (b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n", Stall()),
}


def drive_every_case(answer: Callable[[int], Answer], **options: Any) -> list[tuple[str, Run]]:
    """:func:`drive` for every (kind, samples) at the same time, each on a server of its own."""

    def one(case: tuple[str, int]) -> tuple[str, Run]:
        kind, samples = case
        run, _ = drive(kind, [answer(samples)], samples=samples, **options)
        return f"{kind} client, {samples} sample(s)", run

    with ThreadPoolExecutor(len(EVERY_CASE)) as pool:
        return list(pool.map(one, EVERY_CASE))


def check_timed_out(runs: list[tuple[str, Run]], limit: float) -> None:
    problems = []
    for case, run in runs:
        try:
            check_error(run, sv.APITimeoutError)
            assert run.seconds <= limit, f"took {run.seconds:.1f} s, more than {limit} s"
        except AssertionError as exc:
            problems.append(f"{case}: {exc}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SLOW)
def test_slow_answer_times_out_at_the_deadline(name: str) -> None:
    check_timed_out(drive_every_case(SLOW[name]), deadline())


def test_deadline_bounds_the_whole_call_with_retries() -> None:
    """max_retries=1: two attempts and one real back-off wait, within the sum of them."""
    runs = drive_every_case(SLOW["body-dripped"], max_retries=1)
    check_timed_out(runs, deadline(retries=1))


# --------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------

CAP = 4 * MIB
# What a call may hold beyond twice the cap: read buffers, a decoder's window, the parsed skeleton.
MEMORY_SLACK = 8 * MIB
RSS_LIMIT = 200 * 1000 * 1000

# The start of a PNG whose image data never ends, and a JSON artifact whose base64 never ends.
PNG_START = PNG_8[:33] + struct.pack(">I", 0x7FFFFFFF) + b"IDAT"
JSON_START = b'[{"seed": 1, "finishReason": "SUCCESS", "base64": "' + base64_start(PNG_START)
JSON_END = b'"}, {"seed": 2, "finishReason": "SUCCESS", "base64": "AAAA"}]'


def _endless_body(samples: int) -> tuple[str, bytes, bytes, bytes]:
    """Content type, start, repeated fill (1 MiB) and end of a body for ``samples`` images."""
    if samples == 1:
        return "image/png", PNG_START, bytes(MIB), b""
    return "application/json", JSON_START, b"A" * MIB, JSON_END


def _streamed(
    status: int, fields: dict[str, str], make: Callable[[], Iterable[bytes]], framing: str
) -> Answer:
    """A streamed body: chunked, or delimited by the connection's end (or a given length)."""
    if framing == "chunked":
        fields = {**fields, "Transfer-Encoding": "chunked"}
        return head(status, fields), Stream(lambda: chunked(make()))
    return head(status, fields), Stream(make)


def bombed(encoding: str, samples: int, mib: int, *, framing: str = "close") -> Answer:
    """A success answer that ``encoding`` inflates to ``mib`` MiB."""
    ctype, start, fill, end = _endless_body(samples)
    make = bomb(encoding, mib, start=start, fill=fill, end=end)
    return _streamed(200, {"Content-Type": ctype, "Content-Encoding": encoding}, make, framing)


def double_bombed(samples: int, mib: int) -> Answer:
    """deflate, then gzip over it: the decoded size is that of the inner bomb."""
    ctype, start, fill, end = _endless_body(samples)
    inner = bomb("deflate", mib, start=start, fill=fill, end=end)
    fields = {"Content-Type": ctype, "Content-Encoding": "deflate, gzip"}
    return _streamed(200, fields, lambda: encoded("gzip", inner()), "close")


def oversized(samples: int, mib: int, *, framing: str = "length") -> Answer:
    ctype, start, fill, end = _endless_body(samples)
    fields = {"Content-Type": ctype}
    if framing == "length":
        fields["Content-Length"] = str(len(start) + mib * MIB + len(end))
    return _streamed(200, fields, repeated(start, fill, mib, end), framing)


def bombed_error(status: int, encoding: str, mib: int) -> Answer:
    start = b'{"name": "boom", "id": "e1", "temporary": true, "message": "'
    make = bomb(encoding, mib, start=start, fill=b" " * MIB, end=b'"}')
    fields = {"Content-Type": "application/json", "Content-Encoding": encoding}
    return _streamed(status, fields, make, "close")


def oversized_error(status: int, mib: int) -> Answer:
    page = b"overloaded " * (MIB // 11)
    fields = {"Content-Type": "text/html", "Content-Length": str(12 + mib * len(page))}
    return _streamed(status, fields, repeated(b"<html><body>", page, mib), "length")


# name: (samples, answer for a decoded size in MiB, expected error)
HEAVY: dict[str, tuple[int, Callable[[int], Answer], type[sv.StabilityError]]] = {
    "png-gzip-bomb": (1, lambda m: bombed("gzip", 1, m), sv.MalformedResponseError),
    "png-deflate-bomb-chunked": (
        1,
        lambda m: bombed("deflate", 1, m, framing="chunked"),
        sv.MalformedResponseError,
    ),
    "png-stacked-bomb": (1, lambda m: double_bombed(1, m), sv.MalformedResponseError),
    "json-gzip-bomb-chunked": (
        2,
        lambda m: bombed("gzip", 2, m, framing="chunked"),
        sv.MalformedResponseError,
    ),
    "json-deflate-bomb": (2, lambda m: bombed("deflate", 2, m), sv.MalformedResponseError),
    "json-stacked-bomb": (2, lambda m: double_bombed(2, m), sv.MalformedResponseError),
    "png-oversized": (1, lambda m: oversized(1, m), sv.MalformedResponseError),
    "png-oversized-chunked": (
        1,
        lambda m: oversized(1, m, framing="chunked"),
        sv.MalformedResponseError,
    ),
    "json-oversized": (2, lambda m: oversized(2, m), sv.MalformedResponseError),
    "json-oversized-chunked": (
        2,
        lambda m: oversized(2, m, framing="chunked"),
        sv.MalformedResponseError,
    ),
    "error-500-gzip-bomb": (1, lambda m: bombed_error(500, "gzip", m), sv.InternalServerError),
    "error-400-deflate-bomb": (2, lambda m: bombed_error(400, "deflate", m), sv.BadRequestError),
    "error-503-oversized-page": (1, lambda m: oversized_error(503, m), sv.InternalServerError),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", HEAVY)
def test_heavy_answer_stays_within_twice_the_cap(kind: str, name: str) -> None:
    """16 times the cap is sent; the call holds at most about twice the cap (tracemalloc)."""
    samples, answer, expected = HEAVY[name]
    run, _ = drive(
        kind, [answer(16 * CAP // MIB)], samples=samples, trace=True, max_response_bytes=CAP
    )
    check_error(run, expected)
    assert run.seconds <= deadline()
    assert run.traced_peak is not None
    assert run.traced_peak <= 2 * CAP + MEMORY_SLACK, f"{run.traced_peak / MIB:.1f} MiB traced"


# With the default cap (64 MiB), as the service's users run it: bombs inflating to 1 GiB and
# bodies of 300 MB, timeout=2 and max_retries=1, in a fresh process measured by its peak RSS.
# Each kind meets a bomb, and one and two samples (the heaviest runs of the module: a few).
ACCEPTANCE = [
    ("png-gzip-bomb", "sync", 1024),
    ("png-gzip-bomb", "async", 1024),
    ("json-deflate-bomb", "sync", 1024),
    ("png-oversized", "sync", 300),
    ("json-oversized-chunked", "async", 300),
    ("error-500-gzip-bomb", "async", 1024),
]


@pytest.mark.parametrize(("name", "kind", "mib"), ACCEPTANCE)
def test_heavy_answer_with_the_default_cap_peak_rss(name: str, kind: str, mib: int) -> None:
    samples, answer, expected = HEAVY[name]
    timeout, retries = 2.0, 1
    limit = deadline(timeout, retries)
    with HostileServer([answer(mib)]) as server:
        request = {
            "kind": kind,
            "base_url": server.base_url,
            "client_options": {"timeout": timeout, "max_retries": retries},
            "kwargs": {"samples": samples},
        }
        report = run_in_child(request, limit + 20)
    assert report["outcome"] == expected.__name__, report
    assert report["seconds"] <= limit, report
    assert report["peak_rss"] < RSS_LIMIT, f"peak RSS {report['peak_rss'] / 1e6:.0f} MB"


# --------------------------------------------------------------------------------------------
# Content-Encoding
# --------------------------------------------------------------------------------------------

# A PNG that deflate shrinks a thousandfold: an ancillary chunk of zeros.
ROOMY_PNG = png(extra_chunks=((b"zeRo", bytes(200_000)),))


def compressed_answer(encoding: str, headers: dict[str, str], body: bytes) -> Answer:
    data = b"".join(encoded(encoding, [body]))
    fields = {**headers, "Content-Encoding": encoding, "Content-Length": str(len(data))}
    return (head(200, fields) + data,)


@pytest.mark.parametrize(("kind", "samples"), EVERY_CASE)
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_uninvited_compression_is_decoded(kind: str, samples: int, encoding: str) -> None:
    headers, body = good(samples)
    run, _ = drive(kind, [compressed_answer(encoding, headers, body)], samples=samples)
    check_images(run, *[PNG_8] * samples)


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
@pytest.mark.parametrize("encoding", ["compress", "x-hostile", "gzip, x-hostile"])
def test_unknown_content_encoding_is_malformed(kind: str, samples: int, encoding: str) -> None:
    headers, body = good(samples)
    answer = (http_response(200, body, {**headers, "Content-Encoding": encoding}),)
    run, _ = drive(kind, [answer], samples=samples)
    check_error(run, sv.MalformedResponseError)


def _roomy(samples: int) -> tuple[dict[str, str], bytes]:
    if samples == 1:
        return dict(PNG_HEADERS), ROOMY_PNG
    return dict(JSON_HEADERS), artifacts_body(ROOMY_PNG, ROOMY_PNG)


@pytest.mark.parametrize(("kind", "samples"), EVERY_CASE)
@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
def test_cap_counts_decoded_bytes_exactly(kind: str, samples: int, encoding: str | None) -> None:
    """A body of exactly the cap is read; one byte more is malformed, however small on the wire."""
    headers, body = _roomy(samples)
    if encoding is None:
        answer: Answer = (http_response(200, body, headers),)
    else:
        answer = compressed_answer(encoding, headers, body)
        assert len(answer[0]) < len(body) // 10
    run, _ = drive(kind, [answer], samples=samples, max_response_bytes=len(body))
    check_images(run, *[ROOMY_PNG] * samples)
    run, _ = drive(kind, [answer], samples=samples, max_response_bytes=len(body) - 1)
    check_error(run, sv.MalformedResponseError)


@pytest.mark.parametrize("kind", KINDS)
def test_cap_set_by_with_options(kind: str) -> None:
    with HostileServer([(http_response(200, ROOMY_PNG, PNG_HEADERS),)]) as server:
        options = {"api_key": KEY, "base_url": server.base_url, "max_retries": 0}
        if kind == "sync":
            with sv.Stability(**options) as client:
                assert client.with_options(max_response_bytes=len(ROOMY_PNG)).text_to_image("x")
                with pytest.raises(sv.MalformedResponseError):
                    client.with_options(max_response_bytes=len(ROOMY_PNG) - 1).text_to_image("x")
                assert client.text_to_image("x").image.data == ROOMY_PNG
        else:

            async def run() -> None:
                async with sv.AsyncStability(**options) as client:
                    fits = client.with_options(max_response_bytes=len(ROOMY_PNG))
                    assert await fits.text_to_image("x")
                    tight = client.with_options(max_response_bytes=len(ROOMY_PNG) - 1)
                    with pytest.raises(sv.MalformedResponseError):
                        await tight.text_to_image("x")
                    assert (await client.text_to_image("x")).image.data == ROOMY_PNG

            asyncio.run(run())


@pytest.mark.parametrize("client_type", [sv.Stability, sv.AsyncStability])
def test_cap_default_and_checks(client_type: type[Any]) -> None:
    client = client_type(api_key=KEY)
    try:
        assert client.max_response_bytes == 64 * MIB
        assert client.with_options(max_response_bytes=5).max_response_bytes == 5
        for bad in (0, -1, True, 1.5, "1024"):
            with pytest.raises(sv.InvalidRequestError):
                client_type(api_key=KEY, max_response_bytes=bad)
            with pytest.raises(sv.InvalidRequestError):
                client.with_options(max_response_bytes=bad)
    finally:
        closing = client.close()
        if asyncio.iscoroutine(closing):
            asyncio.run(closing)


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
def test_cap_is_for_success_bodies_only(kind: str, samples: int) -> None:
    body = _goa("bad_request") + b" " * 1000
    answer = (http_response(400, body, {"Content-Type": "application/json"}),)
    run, _ = drive(kind, [answer], samples=samples, max_response_bytes=100)
    check_error(run, sv.BadRequestError)
    assert run.error.name == "bad_request"


# --------------------------------------------------------------------------------------------
# Retry-After
# --------------------------------------------------------------------------------------------


def limited(status: int, retry_after: str) -> Answer:
    fields = {"Content-Type": "application/json", "Retry-After": retry_after}
    return (http_response(status, _goa("slow_down", temporary=True), fields),)


UNREADABLE_RETRY_AFTER = [
    ARABIC_12,
    FULLWIDTH_12,
    "1_000",
    "1.5",
    "+3",
    "-5",
    "1e3",
    "0x10",
    "NaN",
    "inf",
    "",
    "12 seconds",
    "Fri, 31 Dec 9999999999999999999999 23:59:59 GMT",
    "Fri, 31 Dec 99999 23:59:59 GMT",
    "Mon, 01 Jan 2024 00:00:00 +99999999999999999999",
    "Mon, 01 Jan 2024 00:00:00 XYZ",
    "Mon, 32 Foo 2024 25:61:61 GMT",
]


@pytest.mark.parametrize(("kind", "samples", "status"), [("sync", 1, 429), ("async", 2, 503)])
@pytest.mark.parametrize("value", UNREADABLE_RETRY_AFTER)
def test_unreadable_retry_after_means_normal_backoff(
    kind: str, samples: int, status: int, value: str, sleeps: SleepRecorder
) -> None:
    headers, body = good(samples)
    answers = [limited(status, value), (http_response(200, body, headers),)]
    run, server = drive(kind, answers, samples=samples, timeout=30, max_retries=2, waits=False)
    check_images(run, *[PNG_8] * samples)
    assert len(server.requests) == 2
    assert len(sleeps.delays) == 1 and is_backoff(sleeps.delays), sleeps.delays


@pytest.mark.parametrize("kind", KINDS)
def test_unreadable_retry_after_is_not_reported(kind: str, sleeps: SleepRecorder) -> None:
    run, server = drive(kind, [limited(429, ARABIC_12)], max_retries=1, waits=False)
    check_error(run, sv.RateLimitError)
    assert run.error.retry_after is None
    assert len(server.requests) == 2 and is_backoff(sleeps.delays)


def _in_a_day() -> str:
    return formatdate(time.time() + 86400, usegmt=True)


# value: (bounds of the retry_after reported)
LONG_RETRY_AFTER: dict[str, tuple[float, float]] = {
    "61": (61, 61),
    "3600": (3600, 3600),
    "99999999999999999999999999": (1e25, float("inf")),
    "in-a-day": (86400 - 60, 86400),
}


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [("sync", 429, sv.RateLimitError), ("async", 503, sv.InternalServerError)],
)
@pytest.mark.parametrize("value", LONG_RETRY_AFTER)
def test_long_retry_after_is_raised_at_once(
    kind: str, status: int, error_type: type[sv.APIStatusError], value: str, sleeps: SleepRecorder
) -> None:
    header = _in_a_day() if value == "in-a-day" else value
    run, server = drive(kind, [limited(status, header)], timeout=120, max_retries=2, waits=False)
    check_error(run, error_type)
    assert len(server.requests) == 1 and sleeps.delays == []
    low, high = LONG_RETRY_AFTER[value]
    assert low <= run.error.retry_after <= high


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_of_60_seconds_is_waited(kind: str, sleeps: SleepRecorder) -> None:
    answers = [limited(429, "60"), ok_png()]
    run, _ = drive(kind, answers, timeout=120, max_retries=1, waits=False)
    check_images(run, PNG_8)
    assert sleeps.delays == [60.0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("value", "waited"), [("1", True), ("2", False)])
def test_retry_after_longer_than_the_timeout_is_not_waited(
    kind: str, value: str, waited: bool, sleeps: SleepRecorder
) -> None:
    run, server = drive(
        kind, [limited(503, value), ok_png()], timeout=1, max_retries=1, waits=False
    )
    if waited:
        check_images(run, PNG_8)
        assert sleeps.delays == [1.0]
    else:
        check_error(run, sv.InternalServerError)
        assert run.error.retry_after == 2.0
        assert len(server.requests) == 1 and sleeps.delays == []


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
def test_long_retry_after_ends_the_call_in_real_time(kind: str, samples: int) -> None:
    run, server = drive(kind, [limited(429, "3600")], samples=samples, max_retries=1)
    check_error(run, sv.RateLimitError)
    assert run.seconds <= TIMEOUT + SLACK
    assert len(server.requests) == 1


# --------------------------------------------------------------------------------------------
# Seed
# --------------------------------------------------------------------------------------------


def seeded(samples: int, seed_header: str) -> Answer:
    """An answer whose only seed is the ``Seed`` header (artifacts carry none)."""
    fields = {"Seed": seed_header, "Finish-Reason": "SUCCESS"}
    if samples == 1:
        return (http_response(200, PNG_8, {"Content-Type": "image/png", **fields}),)
    item = b'{"base64": "%s", "finishReason": "SUCCESS"}' % base64.b64encode(PNG_8)
    body = b"[" + b", ".join([item] * samples) + b"]"
    return (http_response(200, body, {"Content-Type": "application/json", **fields}),)


NOT_A_SEED = [
    ARABIC_12,
    FULLWIDTH_12,
    "\u0663",
    "+7",
    "-3",
    "7_0",
    "1e3",
    "0x1f",
    "12.0",
    "1 2",
    "NaN",
]


def seeds(kind: str, samples: int, seed_header: str, **kwargs: Any) -> list[int]:
    with HostileServer([seeded(samples, seed_header)]) as server:
        result = call(kind, server.base_url, samples=samples, **kwargs)
    return [image.seed for image in result.images]


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
@pytest.mark.parametrize("value", NOT_A_SEED)
def test_seed_header_counts_only_as_ascii_digits(kind: str, samples: int, value: str) -> None:
    """Not a seed: the image carries the requested one."""
    assert seeds(kind, samples, value, seed=5) == [5] * samples


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
def test_seed_header_of_other_digits_is_unknown(kind: str, samples: int) -> None:
    """Not a seed, none requested: 0, the API's "random" (unknown)."""
    assert seeds(kind, samples, ARABIC_12) == [0] * samples


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
@pytest.mark.parametrize(("value", "seed"), [("12", 12), ("0012", 12), ("2147483647", 2147483647)])
def test_seed_header_of_ascii_digits(kind: str, samples: int, value: str, seed: int) -> None:
    assert seeds(kind, samples, value, seed=5) == [seed] * samples


# --------------------------------------------------------------------------------------------
# JSON artifacts
# --------------------------------------------------------------------------------------------

B64_A = base64.b64encode(PNG_8).decode()
B64_B = base64.b64encode(PNG_B).decode()


def artifacts(*members: str) -> bytes:
    """A JSON array of objects, each given as the JSON text of its members."""
    return ("[" + ", ".join("{" + m + "}" for m in members) + "]").encode()


def member(key: str, value: str) -> str:
    """``"key": "value", ...`` with both written exactly as given (escapes and all)."""
    return f'"{key}": "{value}", "seed": 1, "finishReason": "SUCCESS"'


ESCAPED_BASE64 = r"b\u0061se64"
# Keys spelled with escapes, and other bodies a JSON reader may stumble on: each must give
# the right images, in order, or be malformed; nothing else.
ODD_ARTIFACTS = {
    "both-keys-escaped": artifacts(member(ESCAPED_BASE64, B64_A), member(ESCAPED_BASE64, B64_B)),
    "first-key-escaped": artifacts(member(ESCAPED_BASE64, B64_A), member("base64", B64_B)),
    "every-letter-escaped": artifacts(
        member(r"\u0062\u0061\u0073\u0065\u0036\u0034", B64_A), member("base64", B64_B)
    ),
    "escaped-then-plain-duplicate": artifacts(
        f'"{ESCAPED_BASE64}": "junk", ' + member("base64", B64_A), member("base64", B64_B)
    ),
    "plain-then-forged-duplicate": artifacts(
        member("base64", B64_A) + f', "{ESCAPED_BASE64}": "\\u0000blob:1"', member("base64", B64_B)
    ),
    "plain-then-escaped-duplicate": artifacts(
        member("base64", B64_A) + f', "{ESCAPED_BASE64}": "junk"', member("base64", B64_B)
    ),
    "escape-inside-the-value": artifacts(
        member("base64", r"\u0069" + B64_A[1:]), member("base64", B64_B)
    ),
    "escaped-slash-inside-the-value": artifacts(
        member("base64", B64_A.replace("/", r"\/")), member("base64", B64_B.replace("/", r"\/"))
    ),
    "byte-order-mark": b"\xef\xbb\xbf" + artifacts_body(PNG_8, PNG_B),
    "seed-of-5000-digits": artifacts(
        *[f'"base64": "{b64}", "seed": {"9" * 5000}' for b64 in (B64_A, B64_B)]
    ),
    "lone-surrogate-key": artifacts(
        member("base64", B64_A) + r', "\ud800": 1', member("base64", B64_B)
    ),
    "ten-thousand-artifacts": artifacts(*[member("base64", B64_A)] * 10_000),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ODD_ARTIFACTS)
def test_odd_artifacts_give_the_right_images_or_malformed(kind: str, name: str) -> None:
    answer = (http_response(200, ODD_ARTIFACTS[name], JSON_HEADERS),)
    run, _ = drive(kind, [answer], samples=2)
    assert run.in_time
    if run.error is None:
        check_images(run, PNG_8, PNG_B)
    else:
        check_error(run, sv.MalformedResponseError)


MARKERS = ["0", "1", "-1", "x", "", "\u0661", "99999999999999999999"]
# Where the forged value sits (and the client that reads it): under an escaped key in the
# first artifact, or in the second one after a real image.
PLACES = [("first-artifact", "sync"), ("second-artifact", "async")]


def forged(place: str, marker: str) -> bytes:
    value = member(ESCAPED_BASE64, r"\u0000blob:" + marker)
    if place == "first-artifact":
        return artifacts(value, member("base64", B64_B))
    return artifacts(member("base64", B64_A), value)


@pytest.mark.parametrize(("place", "kind"), PLACES)
@pytest.mark.parametrize("marker", MARKERS)
def test_forged_marker_is_never_trusted(place: str, kind: str, marker: str) -> None:
    answer = (http_response(200, forged(place, marker), JSON_HEADERS),)
    run, _ = drive(kind, [answer], samples=2)
    check_error(run, sv.MalformedResponseError)


# --------------------------------------------------------------------------------------------
# Framing: lying lengths, resets, broken HTTP
# --------------------------------------------------------------------------------------------

IMAGES = "images"


def _length_off_by(delta: int) -> Callable[[int], Answer]:
    return lambda samples: good_answer(samples, content_length=len(good(samples)[1]) + delta)


def _length_header(value: str) -> Callable[[int], Answer]:
    def answer(samples: int) -> Answer:
        headers, body = good(samples)
        return (head(200, {**headers, "Content-Length": value}) + body,)

    return answer


def _status_line_then(rest: bytes) -> Callable[[int], Answer]:
    return lambda samples: (b"HTTP/1.1 200 OK\r\n" + rest,)


def _http_10_close_delimited(samples: int) -> Answer:
    headers, body = good(samples)
    return (
        b"HTTP/1.0 200 OK\r\nContent-Type: %s\r\n\r\n" % headers["Content-Type"].encode() + body,
    )


def _bare_line_feeds(samples: int) -> Answer:
    headers, body = good(samples)
    return (
        head(200, {**headers, "Content-Length": str(len(body))}).replace(b"\r\n", b"\n") + body,
    )


def _after_one_continue(samples: int) -> Answer:
    return (b"HTTP/1.1 100 Continue\r\n\r\n" + good_answer(samples)[0],)


# name: (answer, acceptable outcomes: IMAGES and/or exception classes)
FRAMING: dict[str, tuple[Callable[[int], Answer], tuple[Any, ...]]] = {
    "content-length-short": (_length_off_by(-9), (sv.MalformedResponseError,)),
    "content-length-a-petabyte": (_length_off_by(10**15), (sv.MalformedResponseError,)),
    "content-length-arabic-digits": (_length_header("\u0661\u0660"), (sv.StabilityError,)),
    "content-length-negative": (_length_header("-1"), (sv.StabilityError,)),
    "content-length-twice-differing": (
        _status_line_then(b"Content-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg"),
        (sv.StabilityError,),
    ),
    "chunk-size-not-hex": (
        _status_line_then(b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        (sv.StabilityError,),
    ),
    "chunk-size-huge": (
        _status_line_then(b"Transfer-Encoding: chunked\r\n\r\nffffffffffffff\r\nabc"),
        (sv.StabilityError,),
    ),
    "header-without-colon": (
        _status_line_then(b"Content-Type image/png\r\n\r\n"),
        (sv.StabilityError,),
    ),
    "status-code-two-digits": (lambda s: (b"HTTP/1.1 20 OK\r\n\r\n",), (sv.StabilityError,)),
    "status-code-999": (lambda s: (http_response(999),), (sv.StabilityError,)),
    "101-switching-protocols": (
        lambda s: (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", Stall()),
        (sv.StabilityError,),
    ),
    "204-no-content": (
        lambda s: (b"HTTP/1.1 204 No Content\r\n\r\n",),
        (sv.MalformedResponseError,),
    ),
    "reset-in-headers": (
        lambda s: (b"HTTP/1.1 200 OK\r\nContent-Type: image/p", RESET),
        (sv.APIConnectionError,),
    ),
    "reset-in-error-body": (
        lambda s: (
            head(503, {"Content-Type": "application/json", "Content-Length": "900"}) + b'{"na',
            RESET,
        ),
        (sv.StabilityError,),
    ),
    "header-flood": (
        lambda s: (
            b"HTTP/1.1 200 OK\r\n",
            Stream(lambda: itertools.repeat(b"X-Flood: " + b"f" * 1000 + b"\r\n")),
        ),
        (sv.APIConnectionError,),
    ),
    "http-1.0-close-delimited": (_http_10_close_delimited, (IMAGES,)),
    "bare-line-feeds": (_bare_line_feeds, (IMAGES, sv.StabilityError)),
    "one-100-continue-first": (_after_one_continue, (IMAGES,)),
}


@pytest.mark.parametrize(("kind", "samples"), TWO_CASES)
@pytest.mark.parametrize("name", FRAMING)
def test_broken_framing_ends_typed_and_in_time(
    kind: str, samples: int, name: str, sleeps: SleepRecorder
) -> None:
    answer, acceptable = FRAMING[name]
    run, _ = drive(kind, [answer(samples)], samples=samples, max_retries=1, waits=False)
    assert run.in_time, f"the call was still running at its deadline (then: {run.error!r})"
    assert run.seconds <= deadline(retries=1, waits=False)
    if run.error is None:
        assert IMAGES in acceptable, f"unexpected success {run.result!r}"
        assert [image.data for image in run.result.images] == [PNG_8] * samples
    else:
        classes = tuple(c for c in acceptable if c is not IMAGES)
        assert isinstance(run.error, classes), repr(run.error)


# --------------------------------------------------------------------------------------------
# The server itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_bombs_are_valid_streams_of_their_size(encoding: str) -> None:
    unpack = zlib.decompressobj({"gzip": 31, "deflate": 15}[encoding])
    size = 0
    for chunk in bomb(encoding, 40, start=b"<", fill=b"ab" * 500, end=b">")():
        size += len(unpack.decompress(chunk))
    assert unpack.eof and unpack.unused_data == b""  # checksum and length verified by zlib
    assert size == 1 + 40 * 1000 + 1
    compressed = sum(map(len, bomb(encoding, 256)()))
    assert compressed < MIB // 2  # for 256 MiB of zeros


def test_drive_reports_a_call_past_its_limit() -> None:
    with HostileServer([(Stall(),)]) as server:
        options = {"timeout": 60, "max_retries": 0}
        run = server.drive(lambda: call("sync", server.base_url, client_options=options), 0.5)
    assert not run.in_time
    assert isinstance(run.error, sv.APIConnectionError)  # ended by the server shutting down
