"""The fake server's rate limit: a fixed window per API key, answered like the gateway."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest
from stability_v1alpha.testing import FakeStabilityServer
from stability_v1alpha.testing._cli import build_parser
from stability_v1alpha.testing._ratelimit import FixedWindowLimit

T2I = "/v1alpha/generation/stable-diffusion-v1-5/text-to-image"
BODY = {"text_prompts": [{"text": "a boat"}], "seed": 1}


def _post(client: httpx.Client, key: str) -> httpx.Response:
    return client.post(T2I, json=BODY, headers={"Accept": "image/png", "Authorization": key})


def test_the_window_opens_with_a_request_and_counts_only_admitted_ones():
    now = [0.0]
    limit = FixedWindowLimit(2, 10.0, clock=lambda: now[0])
    assert limit.admit("a") is None
    now[0] = 4.0
    assert limit.admit("a") is None
    assert limit.admit("a") == 6.0  # refused: the window (0..10) has 6 s left
    assert limit.admit("b") is None  # another key has its own window
    now[0] = 9.5
    assert limit.admit("a") == 0.5
    now[0] = 10.0
    assert limit.admit("a") is None  # a new window opens at 10
    assert limit.admit("a") is None
    assert limit.admit("a") == 10.0
    limit.reset()
    assert limit.admit("a") is None


def test_past_the_limit_the_server_answers_429_rate_limited_with_retry_after():
    with (
        FakeStabilityServer(rate_limit=(3, 60)) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        assert server.rate_limit == (3, 60.0)
        assert [_post(client, "key-one").status_code for _ in range(3)] == [200] * 3
        refused = _post(client, "key-one")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["Content-Type"] == "application/json"
        error = json.loads(refused.content)
        assert set(error) == {"name", "id", "message", "temporary", "timeout", "fault"}
        assert error["name"] == "rate_limited" and error["temporary"] is True
        assert error["timeout"] is False and error["fault"] is False
        assert "3 requests per 60 s" in error["message"]
        assert _post(client, "key-two").status_code == 200  # its own window
        assert [r.status for r in server.requests] == [200, 200, 200, 429, 200]
        server.reset()
        assert _post(client, "key-one").status_code == 200


def test_the_rate_limit_is_checked_after_the_key_and_uses_the_error_media_type():
    with (
        FakeStabilityServer(
            "sk-only", rate_limit=(1, 60), error_content_type="application/vnd.goa.error"
        ) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        assert _post(client, "wrong").status_code == 401  # not counted
        assert _post(client, "sk-only").status_code == 200
        refused = _post(client, "sk-only")
        assert refused.status_code == 429
        assert refused.headers["Content-Type"] == "application/vnd.goa.error"


@pytest.mark.parametrize(
    "bad", [(0, 10), (5, 0), (5, -1), (5, float("inf")), (1.5, 10), (True, 10), 5, (1, 2, 3)]
)
def test_a_bad_rate_limit_is_refused(bad: object):
    with pytest.raises(ValueError, match="rate_limit"):
        FakeStabilityServer(rate_limit=bad)  # type: ignore[arg-type]


def test_serve_fake_reads_the_rate_limit_and_says_the_port_is_picked(
    capsys: pytest.CaptureFixture[str],
):
    parser = build_parser("serve-fake")
    assert parser.parse_args(["--rate-limit", "150/10"]).rate_limit == (150, 10.0)
    assert parser.parse_args(["--rate-limit", "20/0.5"]).rate_limit == (20, 0.5)
    for bad in ("150", "150/", "x/10", "0/10", "10/0"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--rate-limit", bad])
        assert "expected REQUESTS/SECONDS" in capsys.readouterr().err
    assert "a free port the system picks" in " ".join(parser.format_help().split())


def test_serve_fake_enforces_the_rate_limit():
    proc = subprocess.Popen(
        [sys.executable, "-m", "stability_v1alpha.testing", "--rate-limit", "2/60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().split()[-1]
        assert proc.stdout.readline().startswith("API key: ")
        assert proc.stdout.readline() == "Rate limit: 2 requests per 60 s per API key\n"
        with httpx.Client(base_url=base_url) as client:
            assert [_post(client, "k").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
