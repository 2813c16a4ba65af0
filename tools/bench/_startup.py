"""Cases 5 and 6: what a user waits for before the first request, and ``make generate``.

Cold start is measured in fresh interpreters, interleaved (httpx, facade,
facade, CLI, httpx, ...) so that a slow moment of the machine hits every
variant alike. The figures come from ``-X importtime``: the cumulative time
of every top-level import done by the statement under test, which leaves out
the interpreter's own start-up.

Bytecode is cached in a private ``PYTHONPYCACHEPREFIX`` that is warmed first,
and ``PYTHONDONTWRITEBYTECODE`` is cleared for the children: otherwise an
editable checkout (no ``.pyc`` files) would be compiled from source on every
run while httpx, installed by pip, has its bytecode, and the comparison would
measure the compiler instead of the imports.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._first_image import first_image
from ._report import Case, Row, median

__all__ = ["cold_start", "generate"]

ROOT = Path(__file__).resolve().parents[2]
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)\s*$")
_MARK = "--bench-mark--"
_IMPORT_TARGET = "<= 1.5"
_GENERATE_TARGET_S = 10.0


def _child_env(pycache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _top_level_us(stderr: str, *, after_mark: bool, skip: frozenset[str] = frozenset()) -> int:
    """Sum of the cumulative times of top-level imports in ``-X importtime`` output."""
    seen_mark = not after_mark
    total = 0
    for line in stderr.splitlines():
        if line.strip() == _MARK:
            seen_mark = True
            continue
        match = _IMPORT_LINE.match(line)
        if not (seen_mark and match) or match.group(3) or match.group(4) in skip:
            continue
        total += int(match.group(2))
    return total


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, done.stderr


def _statement(code: str) -> list[str]:
    mark = f"import sys; sys.stderr.write({_MARK!r} + '\\n'); sys.stderr.flush(); "
    return [sys.executable, "-X", "importtime", "-c", mark + code]


def _cli_path() -> str | None:
    script = Path(sys.executable).with_name("stability-v1alpha")
    return str(script) if script.exists() else shutil.which("stability-v1alpha")


def cold_start(runs: int) -> Case:
    """Case 5: ``import stability_v1alpha``, ``stability-v1alpha --help`` and a first image
    in a fresh process, against ``import httpx`` and the same image with plain httpx."""
    case = Case(5, "cold start", settings={"runs": runs})
    statements = {
        "import httpx (floor)": "import httpx",
        "import stability_v1alpha": "import stability_v1alpha",
        "from stability_v1alpha import Stability": "from stability_v1alpha import Stability",
    }
    cli = _cli_path()
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        env = _child_env(pycache)
        # Warm the bytecode cache (and the OS file cache) for every variant.
        for code in statements.values():
            _run(_statement(code), env)
        _, startup = _run([sys.executable, "-X", "importtime", "-c", "pass"], env)
        startup_modules = frozenset(
            m.group(4) for line in startup.splitlines() if (m := _IMPORT_LINE.match(line))
        )
        cli_ok = False
        if cli is not None:
            try:
                _run([cli, "--help"], env)
                cli_ok = True
            except RuntimeError as exc:
                last = str(exc).strip().splitlines()[-1]
                case.notes.append(f"`stability-v1alpha --help` failed, not measured (n/a): {last}")
        else:
            case.notes.append("`stability-v1alpha` console script not installed: n/a")

        import_us: dict[str, list[float]] = {name: [] for name in statements}
        cli_us: list[float] = []
        cli_wall: list[float] = []
        httpx_wall: list[float] = []
        bare_wall: list[float] = []
        for _ in range(runs):
            for name, code in statements.items():
                _, err = _run(_statement(code), env)
                import_us[name].append(_top_level_us(err, after_mark=True))
            # Whole-process wall times, without -X importtime's own overhead.
            bare_wall.append(_run([sys.executable, "-c", "pass"], env)[0])
            httpx_wall.append(_run([sys.executable, "-c", "import httpx"], env)[0])
            if cli_ok:
                assert cli is not None
                cli_wall.append(_run([cli, "--help"], env)[0])
                profiled = dict(env, PYTHONPROFILEIMPORTTIME="1")
                _, err = _run([cli, "--help"], profiled)
                cli_us.append(_top_level_us(err, after_mark=False, skip=startup_modules))
        first_rows, first_notes = first_image(runs, env)

    floor = median(import_us["import httpx (floor)"]) / 1000
    for name, values in import_us.items():
        ms = median(values) / 1000
        is_floor = name.endswith("(floor)")
        case.rows.append(
            Row(
                name,
                "import (-X importtime)",
                ms,
                "ms",
                ratio=ms / floor,
                target=None if is_floor else _IMPORT_TARGET,
                samples=len(values),
            )
        )
    if cli_ok:
        ms = median(cli_us) / 1000
        case.rows.append(
            Row(
                "stability-v1alpha --help",
                "imports (-X importtime)",
                ms,
                "ms",
                ratio=ms / floor,
                target=_IMPORT_TARGET,
                samples=len(cli_us),
            )
        )
        http_ms = median(httpx_wall) * 1000
        case.rows.append(
            Row('python -c "import httpx"', "process wall", http_ms, "ms", samples=runs)
        )
        case.rows.append(
            Row(
                "stability-v1alpha --help",
                "process wall",
                median(cli_wall) * 1000,
                "ms",
                ratio=median(cli_wall) * 1000 / http_ms,
                samples=runs,
            )
        )
    case.rows.extend(first_rows)
    case.rows.append(Row('python -c "pass"', "process wall", median(bare_wall) * 1000, "ms"))
    case.notes.extend(first_notes)
    case.notes.append(
        "import figures: sum of the cumulative `-X importtime` times of the top-level imports "
        "the statement makes (interpreter start-up excluded); fresh interpreter per run, "
        "bytecode cached beforehand (PYTHONPYCACHEPREFIX) for every package alike"
    )
    case.notes.append(
        "`from stability_v1alpha import Stability` is what a first request needs: it includes "
        "httpx itself, so its ratio to `import httpx` cannot be below 1"
    )
    return case


def _tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts and ".ruff_cache" not in file.parts:
            digest.update(str(file.relative_to(path)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def generate(runs: int) -> Case:
    """Case 6: wall time of ``make generate``, written to a temporary directory.

    The real make target runs with ``GEN_PKG`` pointed elsewhere, so the
    checked-in ``generated/`` is never touched (its digest is compared before
    and after), and the venv stamp is treated as up to date (``-o``) so a
    stale stamp's reinstall is not timed.
    """
    case = Case(6, "make generate", settings={"runs": runs})
    make = shutil.which("make")
    generated = ROOT / "generated" / "stability_v1alpha_api"
    before = _tree_digest(generated)
    venv = Path(sys.prefix)
    times: list[float] = []
    in_sync: bool | None = None
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        out = Path(tmp) / "stability_v1alpha_api"
        if make is not None:
            argv = [
                make,
                "-s",
                "--no-print-directory",
                "-o",
                str(venv / ".installed-stamp"),
                "generate",
                f"VENV={venv}",
                f"GEN_PKG={out}",
            ]
            label = "make generate"
        else:
            argv = [
                str(venv / "bin" / "openapi-python-client"),
                "generate",
                "--path",
                "openapi.yaml",
                "--config",
                "generator-config.yml",
                "--meta",
                "none",
                "--overwrite",
                "--fail-on-warning",
                "--output-path",
                str(out),
            ]
            label = "openapi-python-client generate"
            case.notes.append("`make` not found: timed the generator command the target runs")
        env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                case.notes.append(
                    f"{label} exited {done.returncode}: {done.stderr.decode()[-500:]}"
                )
        if out.exists():
            in_sync = _tree_digest(out) == before
    after = _tree_digest(generated)
    seconds = median(times)
    case.rows.append(
        Row(
            label,
            "wall time",
            seconds,
            "s",
            ratio=seconds / _GENERATE_TARGET_S,
            target="<= 1.0",
            samples=len(times),
            extra={"generated_unchanged": before == after, "output_matches_generated": in_sync},
        )
    )
    case.notes.append(
        f"ratio = wall time / {_GENERATE_TARGET_S:.0f} s budget; output went to a temporary "
        f"directory; generated/ unchanged: {'yes' if before == after else 'NO'}; "
        f"output identical to generated/: {'yes' if in_sync else 'no'}"
    )
    return case
