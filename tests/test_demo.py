"""``python -m stability_v1alpha.demo`` (``make demo``): what it prints and where it saves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stability_v1alpha.demo import PROMPT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stability_v1alpha.demo", "--out", "out", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_prints_the_prompt_and_the_file_it_wrote(tmp_path: Path) -> None:
    result = _demo(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"prompt: {PROMPT}\n" in result.stderr
    assert "got a 768x512 image, seed 1234\n" in result.stderr
    assert result.stdout == "out/demo-1234.png\n"
    assert (tmp_path / "out" / "demo-1234.png").read_bytes().startswith(PNG_SIGNATURE)


def test_a_second_run_keeps_the_first_file_and_says_it_picked_a_new_name(tmp_path: Path) -> None:
    first = _demo(tmp_path, "--prompt", "a red fox in snow")
    assert first.returncode == 0, first.stderr
    kept = (tmp_path / "out" / "demo-1234.png").read_bytes()
    assert "exists" not in first.stderr

    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "out/demo-1234-2.png\n"
    assert "out/demo-1234.png exists and is kept, so the image gets a new name:\n" in second.stderr
    assert (tmp_path / "out" / "demo-1234.png").read_bytes() == kept
    assert (tmp_path / "out" / "demo-1234-2.png").read_bytes() != kept


def test_demo_reports_an_api_error_in_one_line(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--width", "100")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
