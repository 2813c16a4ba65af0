"""The API key never leaks: not in logs, reprs, messages, tracebacks or CLI output.

The fault matrix itself (``test_retries.test_fault``) runs with a
distinctive key and every logger at DEBUG, and checks each log record, the
exception (str, repr, causes, traceback with and without locals) and the
result for the key or any 12-character piece of it. This module adds:

* the client objects: repr, str, attributes, copies, prepared requests, and
  what a client keeps between calls (its own or a caller's ``http_client``);
* the wire: the key is in the Authorization header and nowhere else;
* keys that cannot be sent (line breaks, NUL, non-ASCII...): refused with an
  ``InvalidRequestError`` that does not quote them;
* the command line, in process for every fault (key from the environment or
  from ``--api-key``, ``--debug`` on, ``--json`` report) and as a real
  subprocess for a few: neither stdout nor stderr nor the report shows the
  key, and no private class name shows up as an error type; the keys the
  command line knows of and how it redacts them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
import stability_v1alpha
from stability_v1alpha import Stability
from stability_v1alpha._cli import _secrets
from stability_v1alpha._cli.parser import redact
from stability_v1alpha.testing import FakeStabilityServer
from support import (
    KEY,
    KINDS,
    PNG_8,
    Collector,
    SleepRecorder,
    call,
    leaks,
    make_client,
    png,
    texts_of_error,
)


@pytest.mark.parametrize("kind", KINDS)
def test_client_reprs_and_attributes_hide_the_key(kind: str) -> None:
    client = make_client(kind, "http://127.0.0.1:9", organization="org-1")
    copy = client.with_options(timeout=3, max_retries=1)
    texts = [repr(client), str(client), repr(copy), repr(vars(client)), repr(vars(copy))]
    texts += [repr(getattr(client, name)) for name in dir(client) if not name.startswith("__")]
    for text in texts:
        assert not leaks(text), text
    prepared = client._prepare("text_to_image", "x", None, {})
    assert prepared.headers["Authorization"] == KEY  # it is sent...
    assert not leaks(repr(prepared))  # ...but never shown
    if kind == "sync":
        client.close()  # type: ignore[unused-coroutine]


@pytest.mark.parametrize(
    "bad_key",
    [KEY + c + KEY for c in ("\n", "\r\nX-Injected: 1\r\n", "\x00", "é", "\t", "\x7f")],
    ids=["newline", "header-injection", "nul", "non-ascii", "tab", "del"],
)
def test_unusable_keys_are_refused_without_echoing_them(bad_key: str) -> None:
    with pytest.raises(stability_v1alpha.InvalidRequestError) as info:
        stability_v1alpha.Stability(api_key=bad_key)
    assert info.value.field == "api_key"
    for text in texts_of_error(info.value, with_locals=False):
        assert not leaks(text), text


def test_surrounding_whitespace_of_a_key_is_dropped() -> None:
    """A key pasted with its trailing newline works (and is sent without it)."""
    client = stability_v1alpha.Stability(api_key=f"  {KEY}\n")
    prepared = client._prepare("text_to_image", "x", None, {})
    assert prepared.headers["Authorization"] == KEY
    client.close()


def test_missing_key_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STABILITY_API_KEY", raising=False)
    with pytest.raises(stability_v1alpha.StabilityError, match="STABILITY_API_KEY"):
        stability_v1alpha.Stability()


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------


def run_cli(args: list[str], *, env_key: bool = True, cwd: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABILITY_")}
    if env_key:
        env["STABILITY_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "stability_v1alpha", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


CLI_FAULTS = {
    "ok": lambda f: None,
    "429-persistent": lambda f: f.fail_next(429, times=3, retry_after=0),
    "503-html": lambda f: f.fail_next(503, times=3, html=True, retry_after=0),
    "401": lambda f: f.fail_next(401),
    "echoed-key": lambda f: f.fail_next(
        400, body={"name": "bad_request", "id": KEY, "message": KEY, "temporary": False}
    ),
    "reset": lambda f: f.reset_next(times=3),
    "truncated": lambda f: f.truncate_next(times=3),
    "not-png": lambda f: f.respond_next(200, b"GIF89a", {"Content-Type": "image/png"}),
    "timeout": lambda f: f.delay_next(3, times=3),
}


def cli_args(base_url: str, out: Any, how: str) -> list[str]:
    args = [
        "text-to-image",
        "a lighthouse",
        "--base-url",
        base_url,
        "--debug",
        "--json",
        "--timeout",
        "0.5",
        "--max-retries",
        "2",
        "--out",
        str(out),
    ]
    return [*args, "--api-key", KEY] if how == "flag" else args


def check_cli_run(fault: str, code: int, stdout: str, stderr: str, out: Any) -> None:
    output = stdout + stderr
    assert not leaks(output), output
    report = json.loads(stdout)  # --json: stdout is always one JSON document
    assert not leaks(json.dumps(report))
    for failure in report["failures"]:
        assert not failure["type"].startswith("_"), failure  # no private class names
    if fault == "ok":
        assert code == 0, output
        assert out.read_bytes().startswith(PNG_8[:8])
    else:
        assert code in (1, 2), output
        assert not out.exists()


@pytest.mark.parametrize("how", ["env", "flag"])
@pytest.mark.parametrize("fault", list(CLI_FAULTS))
def test_cli_never_prints_the_key(
    fault: str,
    how: str,
    fake: FakeStabilityServer,
    sleeps: SleepRecorder,
    debug_logs: Collector,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In process (fast, retry waits recorded): every fault, key from env or flag, --debug."""
    from stability_v1alpha._cli import main

    for name in [k for k in os.environ if k.startswith("STABILITY_")]:
        monkeypatch.delenv(name)
    if how == "env":
        monkeypatch.setenv("STABILITY_API_KEY", KEY)
    fake.reset()
    CLI_FAULTS[fault](fake)
    out = tmp_path / "out.png"
    code = main(cli_args(fake.base_url, out, how))
    fake.reset()
    captured = capsys.readouterr()
    check_cli_run(fault, code, captured.out, captured.err, out)
    for text in debug_logs.texts:
        assert not leaks(text), text
    logging.getLogger("stability_v1alpha").handlers.clear()  # --debug added one


@pytest.mark.parametrize(
    ("fault", "how"), [("ok", "env"), ("echoed-key", "flag"), ("503-html", "env")]
)
def test_cli_process_never_prints_the_key(
    fault: str, how: str, fake: FakeStabilityServer, tmp_path: Any
) -> None:
    """The real command in a subprocess, for a few faults."""
    fake.reset()
    CLI_FAULTS[fault](fake)
    out = tmp_path / "out.png"
    result = run_cli(cli_args(fake.base_url, out, how), env_key=how == "env", cwd=str(tmp_path))
    fake.reset()
    check_cli_run(fault, result.returncode, result.stdout, result.stderr, out)


def test_what_the_client_keeps_between_calls_shows_no_credentials(
    fake: FakeStabilityServer,
) -> None:
    caller = httpx.Client(headers={"Proxy-Authorization": "Basic cHJveHktc2VjcmV0"})
    for http_client in (None, caller):
        with Stability(api_key=KEY, base_url=fake.base_url, http_client=http_client) as client:
            client.text_to_image("a kite")
            client.with_options(max_retries=0).text_to_image("a kite", samples=2)
            kept = repr(vars(client))
        for secret in (KEY, KEY[-6:], "cHJveHktc2VjcmV0"):
            assert secret not in kept
    caller.close()


def test_the_key_is_only_in_the_authorization_header(fake: FakeStabilityServer) -> None:
    fake.reset()
    call("sync", fake.base_url, "image_to_image", png(8, 8), "p")
    (record,) = fake.requests.snapshot()
    assert record.validation_errors == ()
    assert record.headers.get_all("Authorization") == [KEY]
    assert KEY.encode() not in record.body
    assert all(KEY not in v for k, v in record.headers.raw_items() if k.lower() != "authorization")


def test_secrets_are_found_and_redacted(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STABILITY_API_KEY", "sk-env-key")
    found = _secrets(["text-to-image", "x", "--api-key", "sk-flag", "--api-key=sk-eq"])
    assert found == ["sk-env-key", "sk-flag", "sk-eq"]
    assert redact("a SK-FLAG b sk-eq", found) == "a *** b ***"
