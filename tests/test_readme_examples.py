"""The README's examples run as written: every Python block, the fake-server recipe, the wheel name.

Each Python block runs in a fresh interpreter in an empty directory, with
``STABILITY_API_KEY`` and ``STABILITY_BASE_URL`` pointing at a fake server, as
the Quick start recipe sets them up. A block that defines ``test_`` functions is
a test file: it is run by pytest, with the fixtures the package registers.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from stability_v1alpha import __version__
from stability_v1alpha.testing import FakeStabilityServer

README = Path(__file__).parents[1] / "README.md"
TEXT = README.read_text("utf-8")
FENCE = re.compile(r"^```(?P<language>\w*)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
BIN = str(Path(sys.executable).parent)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _blocks(language: str) -> list[tuple[int, str]]:
    """(line number, code) of every fenced block in ``language``."""
    return [
        (TEXT.count("\n", 0, match.start()) + 1, match["code"])
        for match in FENCE.finditer(TEXT)
        if match["language"] == language
    ]


PYTHON = _blocks("python")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STABILITY_", "PYTEST_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def readme_server() -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer() as server:
        yield server


def test_the_readme_has_python_examples_to_run() -> None:
    assert len(PYTHON) >= 5, PYTHON


@pytest.mark.parametrize(("line", "code"), PYTHON, ids=[f"line-{line}" for line, _ in PYTHON])
def test_python_example_runs_as_written(
    line: int, code: str, tmp_path: Path, readme_server: FakeStabilityServer
) -> None:
    env = _env(STABILITY_API_KEY=readme_server.api_key, STABILITY_BASE_URL=readme_server.base_url)
    if re.search(r"^(async )?def test_", code, flags=re.MULTILINE):
        (tmp_path / "test_readme_example.py").write_text(code)
        # Hypothesis' plugin only costs start-up time here (about 1 s).
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["-p", "no:hypothesispytest"]
        result = _run(command, tmp_path, env)
        assert re.search(r"^\d+ passed in ", result.stdout, flags=re.MULTILINE), result.stdout
    else:
        (tmp_path / "example.py").write_text(code)
        result = _run([sys.executable, "example.py"], tmp_path, env)
    assert result.returncode == 0, f"README line {line}:\n{result.stdout}\n{result.stderr}"


def test_the_fake_server_recipe_makes_an_image(tmp_path: Path) -> None:
    (recipe,) = [code for _, code in _blocks("sh") if "serve-fake --port 8765\n" in code]
    commands = recipe.strip().splitlines()
    assert len(commands) <= 3
    serve, *rest = commands
    # The first command runs in a terminal of its own: here in the background, on
    # a free port, and the others start once it says it is listening.
    server = subprocess.Popen(
        shlex.split(serve.replace("--port 8765", "--port 0")),
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        listening = re.search(r"listening on (http://\S+)", server.stdout.readline())
        assert listening, "serve-fake did not say where it listens"
        script = "\n".join(rest).replace("http://127.0.0.1:8765", listening[1])
        result = _run(["bash", "-euc", script], tmp_path, _env())
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert result.returncode == 0, result.stderr
    (image,) = tmp_path.glob("*.png")
    assert image.read_bytes().startswith(PNG_SIGNATURE)


def test_the_wheel_named_in_install_is_this_version() -> None:
    named = set(re.findall(r"stability_v1alpha-([\w.]+)-py3-none-any\.whl", TEXT)) - {"VERSION"}
    assert named == {__version__}
