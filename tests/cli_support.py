"""Running the ``stability-v1alpha`` command as a user does, for the CLI tests.

Each run starts the installed console script as a subprocess against a fake
server of the test, and checks that the API key shows in neither output stream.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from stability_v1alpha.testing import FakeStabilityServer

KEY = "sk-cli-test-Zq7Wm2Kp9NeverPrinted"
SCRIPT = Path(sys.executable).parent / "stability-v1alpha"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
NO_KEY_MESSAGE = "error: no API key: set STABILITY_API_KEY or pass --api-key\n"


def env(key: str | None = KEY) -> dict[str, str]:
    """The environment for a run: no STABILITY_ variable but the key given."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith("STABILITY_")}
    if key is not None:
        variables["STABILITY_API_KEY"] = key
    return variables


def command(fake: FakeStabilityServer | None, args: tuple[str, ...]) -> list[str]:
    if not SCRIPT.exists():
        pytest.fail(f"console script missing: {SCRIPT} (run: .venv/bin/pip install -e .)")
    base = ["--base-url", fake.base_url] if fake is not None else []
    return [str(SCRIPT), *args, *base]


def cli(
    fake: FakeStabilityServer | None,
    *args: str,
    cwd: Path,
    key: str | None = KEY,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the console script to completion; the key must never show."""
    result = subprocess.run(
        command(fake, args),
        cwd=cwd,
        env=env(key),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert KEY not in result.stdout and KEY not in result.stderr
    return result


def start(fake: FakeStabilityServer, *args: str, cwd: Path) -> subprocess.Popen[str]:
    """Start the console script in the background (to interrupt it)."""
    return subprocess.Popen(
        command(fake, args),
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def is_complete_png(path: Path) -> bool:
    with Image.open(path) as image:
        image.load()  # decodes every row: a truncated file raises
        return image.format == "PNG"


def pngs(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.png"))


def leftovers(directory: Path) -> list[Path]:
    """Temporary files of interrupted writes (atomic_write names them .NAME.*.part)."""
    return [p for p in directory.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")]


def prompts_file(path: Path, count: int) -> Path:
    lines = ["# prompts for the test", ""]
    lines += [f"prompt number {n}" for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the command ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the batch")
        time.sleep(0.02)
