"""Fault injection of the fake Stability server: each fault kind, queueing, recording."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import httpx
import pytest
from stability_v1alpha._png import read_png_info
from stability_v1alpha.testing import (
    DelayFault,
    FailFault,
    FakeStabilityServer,
    ResetFault,
    TruncateFault,
    http_date,
)
from stability_v1alpha.testing._images import decode_png

T2I = "/v1alpha/generation/stable-diffusion-v1-5/text-to-image"
BODY: dict[str, Any] = {"text_prompts": [{"text": "a red fox"}], "seed": 11}


def test_fail_next_sends_a_goa_error_then_recovers(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.fail_next(503, times=2)
    for _ in range(2):
        response = client.post(T2I, json=BODY)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        error = response.json()
        assert error["name"] == "service_unavailable"
        assert error["temporary"] is True and error["fault"] is True
    assert client.post(T2I, json=BODY).status_code == 200
    assert stability_server.pending_faults() == []


@pytest.mark.parametrize("retry_after", [7, http_date(time.time() + 30)])
def test_rate_limit_with_retry_after(
    stability_server: FakeStabilityServer, client: httpx.Client, retry_after: int | str
) -> None:
    stability_server.fail_next(429, retry_after=retry_after)
    response = client.post(T2I, json=BODY)
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(retry_after)
    assert response.json()["name"] == "too_many_requests"
    assert response.json()["temporary"] is True


def test_html_error_page(stability_server: FakeStabilityServer, client: httpx.Client) -> None:
    stability_server.fail_next(502, html=True)
    response = client.post(T2I, json=BODY)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert b"<html>" in response.content and b"502 Bad Gateway" in response.content


def test_custom_error_bodies(stability_server: FakeStabilityServer, client: httpx.Client) -> None:
    stability_server.fail_next(500, body={"detail": "boom"})
    stability_server.fail_next(500, body="plain text", content_type="text/plain")
    stability_server.fail_next(403, temporary=False, content_type="application/vnd.goa.error")
    first, second, third = (client.post(T2I, json=BODY) for _ in range(3))
    assert first.json() == {"detail": "boom"}
    assert second.text == "plain text" and second.headers["content-type"] == "text/plain"
    assert third.headers["content-type"] == "application/vnd.goa.error"
    assert third.json()["name"] == "permission_denied"


def test_faults_are_consumed_in_fifo_order(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.fail_next(500)
    stability_server.inject(FailFault(502), times=2)
    stability_server.fail_next(429)
    pending = stability_server.pending_faults()
    assert [f.status for f in pending if isinstance(f, FailFault)] == [500, 502, 502, 429]
    assert len(pending) == 4
    statuses = [client.post(T2I, json=BODY).status_code for _ in range(5)]
    assert statuses == [500, 502, 502, 429, 200]


def test_delay_next_trips_a_client_timeout(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.delay_next(0.5)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(T2I, json=BODY, timeout=0.1)
    assert time.monotonic() - started < 0.4
    assert client.post(T2I, json=BODY).status_code == 200
    assert stability_server.requests[0].fault == DelayFault(0.5)


def test_delayed_answer_arrives_intact(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.delay_next(0.15)
    started = time.monotonic()
    response = client.post(T2I, json=BODY)
    assert time.monotonic() - started >= 0.15
    assert response.status_code == 200 and read_png_info(response.content).width == 512


def test_latency_applies_to_every_call_and_reset_restores_it(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.latency = 0.1
    for _ in range(2):
        started = time.monotonic()
        client.post(T2I, json=BODY)
        assert time.monotonic() - started >= 0.1
    stability_server.reset()
    assert stability_server.latency == 0.0
    with pytest.raises(ValueError):
        stability_server.latency = -1


def test_truncate_next_cuts_the_body(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.truncate_next()
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(T2I, json=BODY)
    assert stability_server.requests[0].status == 200
    assert stability_server.requests[0].fault == TruncateFault()
    assert client.post(T2I, json=BODY).status_code == 200


def test_truncate_with_streaming_read_sees_a_short_body(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.truncate_next()
    received = b""
    with client.stream("POST", T2I, json=BODY) as response:
        declared = int(response.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_raw():
                received += chunk
    assert 0 < len(received) < declared


def test_reset_next_resets_the_connection(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.reset_next()
    with pytest.raises(httpx.ReadError):  # ECONNRESET, not an orderly close
        client.post(T2I, json=BODY)
    record = stability_server.requests[0]
    assert record.status is None and record.fault == ResetFault()
    assert client.post(T2I, json=BODY).status_code == 200
    assert stability_server.connections_opened == 2


def test_content_filter_next(stability_server: FakeStabilityServer, client: httpx.Client) -> None:
    stability_server.content_filter_next()
    response = client.post(T2I, json={**BODY, "samples": 2}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["finish-reason"] == "CONTENT_FILTERED"
    artifacts = response.json()
    assert [a["finishReason"] for a in artifacts] == ["CONTENT_FILTERED"] * 2
    raster = decode_png(base64.b64decode(artifacts[0]["base64"]))
    assert len(set(raster.rgb[i : i + 3] for i in range(0, len(raster.rgb), 3))) == 1  # flat
    assert client.post(T2I, json=BODY).headers["finish-reason"] == "SUCCESS"


def test_content_filter_does_not_hide_a_bad_request(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.content_filter_next()
    assert client.post(T2I, json={**BODY, "steps": 1}).status_code == 400
    assert stability_server.pending_faults() == []


@pytest.mark.parametrize(
    ("status", "content", "headers"),
    [
        (200, b"[{not json", {"Content-Type": "application/json", "Seed": "1"}),
        (200, b"GIF89a", {"Content-Type": "image/png", "Finish-Reason": "SUCCESS", "Seed": "1"}),
        (200, b"<png>", {"Content-Type": "image/png"}),  # no Seed, no Finish-Reason
        (
            200,
            b'[{"base64": "!!", "seed": 1, "finishReason": "NEW_REASON", "extra": 1}]',
            {"Content-Type": "application/json", "Finish-Reason": "NEW_REASON", "Seed": "1"},
        ),
        (418, b"teapot", {"Content-Type": "text/plain"}),
    ],
)
def test_respond_next_sends_exactly_what_it_is_given(
    stability_server: FakeStabilityServer,
    client: httpx.Client,
    status: int,
    content: bytes,
    headers: dict[str, str],
) -> None:
    stability_server.respond_next(status, content, headers)
    response = client.post(T2I, json=BODY)
    assert response.status_code == status
    assert response.content == content
    for name, value in headers.items():
        assert response.headers[name] == value
    assert "seed" in response.headers or "Seed" not in headers
    assert int(response.headers["content-length"]) == len(content)


def test_faulted_requests_are_still_validated_and_recorded(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    stability_server.fail_next(500)
    stability_server.reset_next()
    assert client.post(T2I, json={"text_prompts": []}).status_code == 500
    with pytest.raises(httpx.ReadError):
        client.post(T2I, json={**BODY, "cfg_scale": 99})
    first, second = stability_server.requests
    assert first.status == 500 and any("text_prompts" in e for e in first.validation_errors)
    assert second.status is None and any("cfg_scale" in e for e in second.validation_errors)


def test_reset_clears_faults_and_requests(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    client.post(T2I, json=BODY)
    stability_server.fail_next(500, times=3)
    stability_server.reset()
    assert stability_server.pending_faults() == []
    assert len(stability_server.requests) == 0
    assert client.post(T2I, json=BODY).status_code == 200


def test_inject_rejects_nonsense(stability_server: FakeStabilityServer) -> None:
    with pytest.raises(ValueError):
        stability_server.fail_next(500, times=0)
    with pytest.raises(TypeError):
        stability_server.inject("500")  # type: ignore[arg-type]


def test_stop_cuts_a_pending_delay_short() -> None:
    server = FakeStabilityServer().start()
    server.delay_next(30)
    with httpx.Client(base_url=server.base_url, verify=False) as c:
        errors: list[BaseException] = []

        def call() -> None:
            try:
                c.post(T2I, json=BODY, headers={"Authorization": "k", "Accept": "image/png"})
            except httpx.HTTPError as exc:
                errors.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 5
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        caller.join(5)
        assert errors and isinstance(errors[0], httpx.RemoteProtocolError)
