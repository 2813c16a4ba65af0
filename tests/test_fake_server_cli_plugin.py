"""Running the fake server by hand (CLI) and through the pytest plugin."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest
from stability_v1alpha.testing import FakeStabilityServer
from stability_v1alpha.testing.__main__ import serve_main

pytest_plugins = ["pytester"]

T2I = "/v1alpha/generation/stable-diffusion-v1-5/text-to-image"
BODY = {"text_prompts": [{"text": "a boat"}], "seed": 1}


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Start the CLI; return the process, its base URL and its key line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stability_v1alpha.testing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "STABILITY_FAKE_API_KEY": ""},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", first)
    if match is None:
        proc.kill()
        raise AssertionError(f"unexpected first line {first!r}: {proc.communicate()}")
    return proc, match.group(1), proc.stdout.readline()


def test_cli_with_a_given_key_never_prints_it() -> None:
    key = "sk-given-secret-0123456789"
    proc, base_url, key_line = _start_cli("--port", "0", "--api-key", key)
    try:
        assert key not in key_line and "sk-" in key_line
        headers = {"Accept": "image/png"}
        with httpx.Client(base_url=base_url, verify=False) as c:
            assert c.post(T2I, json=BODY, headers={**headers, "Authorization": key}).is_success
            assert (
                c.post(T2I, json=BODY, headers={**headers, "Authorization": "x"}).status_code == 401
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Stopped." in out
    assert key not in out + err


def test_cli_prints_a_generated_key_that_works() -> None:
    proc, base_url, key_line = _start_cli()
    try:  # stopped with Ctrl-C (SIGINT) this time
        match = re.search(r"(sk-fake-[0-9a-f]+)", key_line)
        assert match, key_line
        with httpx.Client(base_url=base_url, verify=False) as c:
            response = c.post(
                T2I, json=BODY, headers={"Accept": "image/png", "Authorization": match.group(1)}
            )
            assert response.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve_main(["--port", str(port)]) == 2
    assert "cannot start" in capsys.readouterr().err


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, stability_v1alpha.testing.pytest_plugin\n"
        "heavy = [m for m in ('openapi_core', 'yaml', 'httpx',"
        " 'stability_v1alpha.testing._server') "
        "if m in sys.modules]\n"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_plugin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            import httpx
            import pytest

            T2I = "/v1alpha/generation/stable-diffusion-v1-5/text-to-image"


            def test_first(stability_server, stability_server_session):
                assert stability_server is stability_server_session
                print("PORT", stability_server.port)
                stability_server.fail_next(503, times=5)
                with httpx.Client(base_url=stability_server.base_url) as c:
                    r = c.post(T2I, json={}, headers={"Authorization": "k"})
                assert r.status_code == 503


            def test_second_starts_clean(stability_server):
                assert stability_server.pending_faults() == []
                assert len(stability_server.requests) == 0
                assert stability_server.connections_opened == 0


            def test_client(stability_client, stability_server):
                assert stability_client.base_url.rstrip("/") == stability_server.base_url


            @pytest.mark.anyio
            async def test_async_client(async_stability_client, stability_server):
                assert async_stability_client.base_url.rstrip("/") == stability_server.base_url
            """
        )
    )
    # Hypothesis' plugin makes each in-process pytest run take a second or more.
    result = pytester.runpytest("-s", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=4)
    # The session's server is stopped when the session ends.
    match = re.search(r"PORT (\d+)", result.stdout.str())
    assert match is not None
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(match.group(1)))) != 0


def test_fixtures_can_be_used_next_to_an_own_server(stability_server: FakeStabilityServer) -> None:
    from stability_v1alpha import Stability

    stability_server.reset()
    with FakeStabilityServer("sk-own") as own, Stability("sk-own", base_url=own.base_url) as client:
        client.text_to_image("a kite")
        assert len(own.requests) == 1  # the own server answered...
        assert len(stability_server.requests) == 0  # ...and the session's saw nothing
