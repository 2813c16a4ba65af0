"""Run the working-tree facade on a regenerated client: imports and every public call.

An import check and a scan of the generated names the facade uses cannot see a
model that now needs an argument the facade does not pass, or a part renamed
in a multipart body; calling the facade can. :func:`run_facade` starts
:mod:`.facade_probe` in one fresh interpreter, which imports every facade
module with the regenerated package in place of ``generated/``, serves the new
spec with the fake server and calls each operation (see the probe for which).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PROBE = Path(__file__).with_name("facade_probe.py")
_TIMEOUT = 180


def run_facade(facade_dir: Path, generated_dir: Path, spec_file: Path) -> dict[str, Any]:
    """``{"import_check": {...}, "run": [...], "seconds": float}``, plus ``server_error``
    when the fake server could not serve the spec. Never raises for what the facade does."""
    cmd = [sys.executable, str(PROBE), str(facade_dir), str(generated_dir), str(spec_file)]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=_TIMEOUT, cwd=generated_dir
        )
    except subprocess.TimeoutExpired:
        return _crashed(f"the facade run did not finish within {_TIMEOUT} s", started)
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        detail = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        reason = detail[-1] if detail else f"exit status {proc.returncode}"
        return _crashed(f"the facade run crashed: {reason}", started)
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _crashed(error: str, started: float) -> dict[str, Any]:
    return {
        "import_check": {"ok": False, "error": error},
        "run": [],
        "server_error": error,
        "seconds": round(time.monotonic() - started, 2),
    }


def call_name(entry: dict[str, Any]) -> str:
    """``Stability.inpaint (samples 2)``"""
    return f"{entry['method']} (samples {entry['samples']})"


def grouped(entries: Iterable[dict[str, Any]]) -> list[str]:
    """``Stability.inpaint (samples 1, 2): TypeError: ...``: one line per method and error."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in entries:
        groups.setdefault((r["method"], r["error"]), []).append(str(r["samples"]))
    return [f"{m} (samples {', '.join(s)}): {e}" for (m, e), s in groups.items()]
