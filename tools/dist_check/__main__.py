"""``python -m tools.dist_check DIST_DIR``: see the package docstring."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[2]
USER_PROJECT = Path(__file__).parent / "user_project"
TESTING_HINT = "pip install 'stability-v1alpha[testing]'"
PIL_HINT = "pip install 'stability-v1alpha[pil]'"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 300  # seconds for one command; installs from the registry are the slow ones
TO_PIL = (
    "from stability_v1alpha import GeneratedImage\n"
    "from stability_v1alpha.testing import make_png\n"
    "image = GeneratedImage(make_png(8, 4, bytes(96)), seed=1, finish_reason='SUCCESS')\n"
    "try:\n"
    "    print(image.to_pil().size)\n"
    "except ImportError as exc:\n"
    "    print(exc)\n"
)


class CheckFailed(Exception):
    """One check's expectation did not hold; the message says what happened."""


class Installation:
    """A virtualenv of its own and a working directory outside the checkout."""

    def __init__(self, artifact: Path, base: Path) -> None:
        self.artifact = artifact
        self.venv = base / "venv"
        self.work = base / "elsewhere"
        # A copy, so that no configuration of the checkout (pyproject.toml) applies.
        shutil.copytree(USER_PROJECT, self.work, ignore=shutil.ignore_patterns("__pycache__"))
        self.bin = self.venv / "bin"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
            and not key.startswith("STABILITY_")
        }
        self.env["PATH"] = f"{self.bin}{os.pathsep}{self.env.get('PATH', '')}"

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command),
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )

    def ok(self, *command: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*command)
        if result.returncode != 0:
            raise CheckFailed(_describe(result))
        return result

    def python(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.bin / "python"), *args)

    def pytest(self) -> subprocess.CompletedProcess[str]:
        return self.python("-m", "pytest", "-q", "-p", "no:cacheprovider")

    def pip_install(self, *requirements: str) -> None:
        self.ok(str(self.bin / "python"), "-m", "pip", "install", "--quiet", *requirements)


def _describe(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"`{' '.join(map(str, result.args))}` exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )


def _dev_pins(*names: str) -> list[str]:
    """The ``dev`` extra's requirement for each name, so the check uses the project's pins."""
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
    return [next(r for r in dev if re.match(rf"{name}\b(?![-\w])", r)) for name in names]


def _one_line(result: subprocess.CompletedProcess[str], hint: str) -> None:
    """A failed command whose whole output is one ``error:`` line naming the extra."""
    lines = (result.stdout + result.stderr).splitlines()
    if result.returncode == 0 or len(lines) != 1 or hint not in lines[0]:
        raise CheckFailed(f"expected one line naming {hint!r}\n{_describe(result)}")


# Checks without the extras -----------------------------------------------------------


def check_imports_from_the_venv(inst: Installation) -> None:
    code = (
        "import stability_v1alpha as f, stability_v1alpha_api as g; print(f.__file__, g.__file__)"
    )
    paths = inst.ok(str(inst.bin / "python"), "-c", code).stdout.split()
    if len(paths) != 2 or not all(Path(p).is_relative_to(inst.venv) for p in paths):
        raise CheckFailed(f"imported from outside the virtualenv: {paths}")


def check_version(inst: Installation) -> None:
    code = "import importlib.metadata as m; print(m.version('stability-v1alpha'))"
    metadata = inst.ok(str(inst.bin / "python"), "-c", code).stdout.strip()
    shown = inst.ok(str(inst.bin / "stability-v1alpha"), "--version").stdout
    if shown != f"stability-v1alpha {metadata}\n" or f"-{metadata}" not in inst.artifact.name:
        raise CheckFailed(f"--version {shown!r}, metadata {metadata!r}, file {inst.artifact.name}")


def check_serve_fake_names_the_extra(inst: Installation) -> None:
    _one_line(inst.run(str(inst.bin / "stability-v1alpha"), "serve-fake"), TESTING_HINT)


def check_demo_names_the_extra(inst: Installation) -> None:
    _one_line(inst.python("-m", "stability_v1alpha.demo"), TESTING_HINT)


def check_fixtures_name_the_extra_and_other_tests_pass(inst: Installation) -> None:
    result = inst.pytest()
    output = result.stdout + result.stderr
    counts = re.search(r"^1 passed, 2 errors\b", output, flags=re.MULTILINE)
    if counts is None or TESTING_HINT not in output or "Traceback" in output:
        raise CheckFailed(f"expected 1 passed, 2 errors naming the extra\n{_describe(result)}")


def check_to_pil_names_the_extra(inst: Installation) -> None:
    result = inst.python("-c", TO_PIL)
    if result.stdout.splitlines() != [f"to_pil() needs Pillow: {PIL_HINT}"]:
        raise CheckFailed(_describe(result))


# Checks with the extras --------------------------------------------------------------


def check_demo_writes_a_png(inst: Installation) -> None:
    result = inst.ok(str(inst.bin / "python"), "-m", "stability_v1alpha.demo", "--out", "out")
    path = inst.work / result.stdout.strip()
    if path.parent != inst.work / "out" or not path.read_bytes().startswith(PNG_SIGNATURE):
        raise CheckFailed(f"no PNG at {path}\n{_describe(result)}")


def check_user_tests_pass(inst: Installation) -> None:
    result = inst.pytest()
    if result.returncode != 0 or not re.search(r"^3 passed\b", result.stdout, flags=re.MULTILINE):
        raise CheckFailed(_describe(result))


def check_mypy_strict(inst: Installation) -> None:
    inst.ok(str(inst.bin / "python"), "-m", "mypy", "--strict", "--no-incremental", "typed_use.py")


def check_to_pil_works(inst: Installation) -> None:
    result = inst.python("-c", TO_PIL)
    if result.stdout != "(8, 4)\n":
        raise CheckFailed(_describe(result))


BARE = [
    check_imports_from_the_venv,
    check_version,
    check_serve_fake_names_the_extra,
    check_demo_names_the_extra,
    check_fixtures_name_the_extra_and_other_tests_pass,
    check_to_pil_names_the_extra,
]
WITH_EXTRAS = [
    check_demo_writes_a_png,
    check_user_tests_pass,
    check_mypy_strict,
    check_to_pil_works,
]


def _timed(label: str, step: Callable[[], None], failures: list[str]) -> bool:
    started = time.monotonic()
    try:
        step()
    except (CheckFailed, subprocess.TimeoutExpired) as exc:
        print(f"FAIL {label} ({time.monotonic() - started:.1f} s)\n{exc}", flush=True)
        failures.append(label)
        return False
    print(f"ok   {label} ({time.monotonic() - started:.1f} s)", flush=True)
    return True


def check_artifact(artifact: Path, failures: list[str]) -> int:
    """Run every check on one artifact; returns how many ran."""
    kind = "wheel" if artifact.suffix == ".whl" else "sdist"
    ran = 0
    with tempfile.TemporaryDirectory(prefix=f"dist-check-{kind}-") as base:
        inst = Installation(artifact, Path(base))

        def install_bare() -> None:
            inst.ok(sys.executable, "-m", "venv", str(inst.venv))
            inst.pip_install(str(artifact), *_dev_pins("pytest", "mypy"))

        def install_extras() -> None:
            inst.pip_install(f"{artifact}[testing,pil]")

        for label, step, checks in [
            ("install without extras", install_bare, BARE),
            ("install [testing,pil]", install_extras, WITH_EXTRAS),
        ]:
            ran += 1
            if not _timed(f"{kind}: {label}", step, failures):
                return ran  # nothing to check in a failed installation
            for check in checks:
                ran += 1
                name = check.__name__.removeprefix("check_").replace("_", " ")
                _timed(f"{kind}: {name}", lambda check=check: check(inst), failures)
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dist_check", description=__doc__)
    parser.add_argument("dist", type=Path, help="the directory `make dist` wrote")
    args = parser.parse_args(argv)
    artifacts = sorted(args.dist.glob("*.whl")) + sorted(args.dist.glob("*.tar.gz"))
    if [a.suffix for a in artifacts] != [".whl", ".gz"]:
        print(f"error: expected one wheel and one sdist in {args.dist}, found {artifacts}")
        return 2
    started = time.monotonic()
    failures: list[str] = []
    ran = sum(check_artifact(artifact.resolve(), failures) for artifact in artifacts)
    print(f"dist-check took {time.monotonic() - started:.0f} s")
    print(f"dist-check: {ran - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
