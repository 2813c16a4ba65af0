"""Batches that survive the real world: interrupted, killed, resumed, rate-limited.

Each test runs the console script as a subprocess against a fake server on
loopback and judges what a user would see: exit codes, the ``--json``
summary, the files on disk, and what the server was sent.
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import (
    KEY,
    cli,
    is_complete_png,
    leftovers,
    pngs,
    posix_only,
    prompts_file,
    start,
    wait_for,
)
from stability_v1alpha.testing import FakeStabilityServer

BATCH = ("text-to-image", "--prompts-file", "prompts.txt", "--out", "out", "--json")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture
def fake(server: FakeStabilityServer) -> Iterator[FakeStabilityServer]:
    server.reset()
    yield server
    server.reset()


def summary_of(result: subprocess.CompletedProcess[str] | str) -> dict[str, Any]:
    """The ``--json`` summary, checked to add up."""
    stdout = result if isinstance(result, str) else result.stdout
    summary: dict[str, Any] = json.loads(stdout)["summary"]
    parts = ("succeeded", "failed", "skipped", "not_run")
    assert summary["prompts"] == sum(summary[part] for part in parts), summary
    assert len(summary["failed_lines"]) == summary["failed"]
    assert len(summary["not_run_lines"]) == summary["not_run"]
    return summary


def lines_on_disk(out: Path) -> Counter[int]:
    """How many complete images each prompt line has (names start with the line)."""
    files = pngs(out)
    assert all(is_complete_png(f) for f in files)
    return Counter(int(f.name.split("-", 1)[0]) for f in files)


def prompts_sent(fake: FakeStabilityServer) -> list[str]:
    return [r.json["text_prompts"][0]["text"] for r in fake.requests]


def prompt_of(line: int) -> str:
    return f"prompt number {line - 2}"  # prompts_file() starts the prompts on line 3


def _interrupt(
    fake: FakeStabilityServer, tmp_path: Path, args: tuple[str, ...], how: signal.Signals
) -> tuple[int, str, str]:
    """Start a batch, let some images finish, then signal it with requests in flight."""
    out = tmp_path / "out"
    fake.latency = 0.05
    process = start(fake, *args, cwd=tmp_path)
    try:
        wait_for(lambda: out.is_dir() and len(pngs(out)) >= 3, process)
        fake.latency = 60  # the next requests hang: the signal lands mid-request
        sent = len(fake.requests)
        wait_for(lambda: len(fake.requests) >= sent + 2, process)
        process.send_signal(how)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert KEY not in stdout + stderr
    return process.returncode, stdout, stderr


# -- interrupted and resumed -------------------------------------------------------


@posix_only
def test_ctrl_c_lists_what_is_left_and_resume_finishes_without_resending(
    fake: FakeStabilityServer, tmp_path: Path
):
    prompts_file(tmp_path / "prompts.txt", 40)
    args = (*BATCH, "--concurrency", "2")
    code, stdout, stderr = _interrupt(fake, tmp_path, args, signal.SIGINT)
    assert code == 130, stderr
    summary = summary_of(stdout)
    assert summary["interrupted"] is True and summary["exit_code"] == 130
    done = lines_on_disk(tmp_path / "out")
    assert set(done.values()) == {1} and len(done) >= 3
    left = sorted(set(range(3, 43)) - set(done))
    assert summary["not_run_lines"] == left and summary["succeeded"] == len(done)
    document = json.loads(stdout)
    assert {str(Path("out") / f.name) for f in pngs(tmp_path / "out")} == {
        i["path"] for i in document["images"]
    }
    assert leftovers(tmp_path) == [] and "Traceback" not in stderr
    assert "interrupted: " in stderr and f"{len(left)} not run (lines " in stderr
    assert stderr.endswith(
        "to finish the batch, run:\n  stability-v1alpha "
        f"{' '.join(args)} --base-url {fake.base_url} --resume\n"
    )

    # A server of its own: the killed run's hanging requests still reach the first one.
    with FakeStabilityServer(api_key=KEY) as fresh:
        resumed = cli(fresh, *args, "--resume", cwd=tmp_path)
        sent = prompts_sent(fresh)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(sent) == sorted(prompt_of(line) for line in left)
    assert lines_on_disk(tmp_path / "out") == Counter(range(3, 43))
    again = summary_of(resumed)
    assert (again["skipped"], again["succeeded"], again["not_run"]) == (len(done), len(left), 0)
    assert f"resuming: {len(done)} line(s) already done are skipped" in resumed.stderr


@posix_only
def test_a_killed_batch_resumes_with_exactly_one_set_per_line(
    fake: FakeStabilityServer, tmp_path: Path
):
    prompts_file(tmp_path / "prompts.txt", 30)
    args = (*BATCH, "--concurrency", "4", "--samples", "2")
    code, _, _ = _interrupt(fake, tmp_path, args, signal.SIGKILL)
    assert code == -signal.SIGKILL
    out = tmp_path / "out"
    kept = {f.name: f.read_bytes() for f in pngs(out)}
    done = {line for line, count in lines_on_disk(out).items() if count == 2}
    assert (out / "batch-journal.jsonl").is_file() and done

    # A server of its own: the killed run's hanging requests still reach the first one.
    with FakeStabilityServer(api_key=KEY) as fresh:
        resumed = cli(fresh, *args, "--resume", cwd=tmp_path)
        sent = prompts_sent(fresh)
    assert resumed.returncode == 0, resumed.stderr
    # Nothing that had finished is sent again; everything else is.
    assert sorted(sent) == sorted(prompt_of(line) for line in range(3, 33) if line not in done)
    assert lines_on_disk(out) == Counter({line: 2 for line in range(3, 33)})
    for name, data in kept.items():
        if int(name.split("-", 1)[0]) in done:
            assert (out / name).read_bytes() == data  # finished images are left alone
    assert leftovers(tmp_path) == []
    assert summary_of(resumed)["skipped"] == len(done)


def test_a_directory_with_a_journal_needs_resume(fake: FakeStabilityServer, tmp_path: Path):
    prompts_file(tmp_path / "prompts.txt", 3)
    first = cli(fake, *BATCH, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    sent = len(fake.requests)
    again = cli(fake, *BATCH, cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == (
        "error: out/batch-journal.jsonl records an earlier batch into this directory: "
        "pass --resume to finish it (lines already done are skipped), or choose another --out\n"
    )
    summary = summary_of(again)
    assert (summary["failed"], summary["not_run"], summary["not_run_lines"]) == (0, 3, [3, 4, 5])
    assert len(fake.requests) == sent
    done = cli(fake, *BATCH, "--resume", cwd=tmp_path)
    assert done.returncode == 0 and len(fake.requests) == sent  # all done already
    assert summary_of(done)["skipped"] == 3


def test_resume_generates_changed_and_failed_lines_again(fake: FakeStabilityServer, tmp_path: Path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red fox\na blue bird\na green frog\n", encoding="utf-8")
    fake.fail_next(400)  # one line fails: --resume runs it again
    first = cli(fake, *BATCH, "--concurrency", "1", cwd=tmp_path)
    assert first.returncode == 1
    assert summary_of(first)["failed_lines"] == [1]
    assert "to retry the failed lines, run:\n" in first.stderr

    prompts.write_text("a red fox\na blue whale\na green frog\n", encoding="utf-8")
    fake.reset()
    resumed = cli(fake, *BATCH, "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(prompts_sent(fake)) == ["a blue whale", "a red fox"]
    assert "warning: line 2: the prompt changed since the earlier run; generating it again\n" in (
        resumed.stderr
    )
    summary = summary_of(resumed)
    assert (summary["skipped"], summary["succeeded"], summary["changed_lines"]) == (1, 2, [2])
    names = sorted(p.name.rsplit("-", 1)[0] for p in pngs(tmp_path / "out"))
    # The earlier image of the changed line is kept next to the new one.
    assert names == ["0001-a-red-fox", "0002-a-blue-bird", "0002-a-blue-whale", "0003-a-green-frog"]

    fake.reset()
    other_flags = cli(fake, *BATCH, "--resume", "--steps", "20", cwd=tmp_path)
    assert other_flags.returncode == 0, other_flags.stderr
    assert len(fake.requests) == 3
    assert other_flags.stderr.count("the generation flags changed since the earlier run") == 3


def test_a_cut_short_last_journal_line_is_dropped_on_resume(
    fake: FakeStabilityServer, tmp_path: Path
):
    prompts_file(tmp_path / "prompts.txt", 3)
    assert cli(fake, *BATCH, cwd=tmp_path).returncode == 0
    journal = tmp_path / "out" / "batch-journal.jsonl"
    records = journal.read_bytes().splitlines(keepends=True)
    assert len(records) == 3
    last = json.loads(records[-1])
    for name in last["files"]:
        (tmp_path / "out" / name).unlink()  # as if the crash came before the files
    journal.write_bytes(b"".join(records[:-1]) + records[-1][:25])  # and mid-line
    fake.reset()
    resumed = cli(fake, *BATCH, "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert prompts_sent(fake) == [prompt_of(last["line"])]
    assert lines_on_disk(tmp_path / "out") == Counter({3: 1, 4: 1, 5: 1})
    lines = journal.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])


# -- rate limits -----------------------------------------------------------------------


def _rate_limited_batch(
    tmp_path: Path, prompts: int, limit: tuple[int, float], *extra: str
) -> tuple[subprocess.CompletedProcess[str], FakeStabilityServer, float]:
    prompts_file(tmp_path / "prompts.txt", prompts)
    with FakeStabilityServer(api_key=KEY, rate_limit=limit) as limited:
        started = time.monotonic()
        result = cli(limited, *BATCH, "--concurrency", "16", *extra, cwd=tmp_path, timeout=240)
        return result, limited, time.monotonic() - started


def _check_rides_the_limit(
    tmp_path: Path, prompts: int, limit: tuple[int, float], capsys: pytest.CaptureFixture[str]
) -> None:
    result, limited, elapsed = _rate_limited_batch(tmp_path, prompts, limit)
    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["succeeded"] == prompts and summary["rate_limit_pauses"] >= 1
    assert lines_on_disk(tmp_path / "out") == Counter(range(3, prompts + 3))
    statuses = Counter(r.status for r in limited.requests)
    assert statuses[200] == prompts and set(statuses) <= {200, 429}
    windows = math.ceil(prompts / limit[0])
    ideal = (windows - 1) * limit[1]  # the last window cannot open sooner
    # At most the prompts in flight are refused, once per window: no hammering.
    assert statuses[429] <= 16 * windows
    assert elapsed < 2 * ideal + 10  # generous: the deadline of a batch that waits
    with capsys.disabled():
        print(
            f"\n{prompts} prompts at {limit[0]}/{limit[1]:g}s, --concurrency 16: "
            f"{statuses[429]} x 429, {summary['rate_limit_pauses']} pauses, "
            f"{elapsed:.1f}s (the limit allows {ideal:.0f}s + the last window's work)"
        )


def test_a_batch_over_the_rate_limit_waits_instead_of_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    _check_rides_the_limit(tmp_path, 100, (20, 1.0), capsys)


@pytest.mark.slow
def test_200_prompts_against_the_service_rate_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    _check_rides_the_limit(tmp_path, 200, (150, 10.0), capsys)


def test_max_rate_paces_the_batch_from_the_start(fake: FakeStabilityServer, tmp_path: Path):
    prompts_file(tmp_path / "prompts.txt", 12)
    started = time.monotonic()
    result = cli(fake, *BATCH, "--concurrency", "6", "--max-rate", "30", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 11 / 30  # 12 sends, 1/30 s apart at least
    assert len(fake.requests) == 12
    refused = cli(fake, *BATCH, "--max-rate", "0", cwd=tmp_path)
    assert refused.returncode == 2 and "must be a positive number per second" in refused.stderr
