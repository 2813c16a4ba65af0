"""Smoke run of ``make bench``'s script: it runs end to end and reports every case.

Benchmarks are not tests: this runs ``python -m tools.bench --quick`` (tiny
sizes, a few rounds) and checks the shape of what it reports. It asserts no
timing and no target: on a loaded CI machine those would only make noise.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {1, 2, 3, 4, 5, 6}


def test_quick_bench_reports_every_case(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| case" in done.stdout  # the table

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["quick"] is True
    assert {"python", "cpus", "httpx"} <= set(report["environment"])
    by_number = {case["case"]: case for case in report["cases"]}
    assert set(by_number) == CASES

    for number, case in by_number.items():
        assert case["rows"], f"case {number} has no rows"
        for row in case["rows"]:
            assert {"variant", "metric", "value", "unit", "ratio", "target", "met"} <= set(row)
            if row["target"] is not None:
                # A verdict exists (its value is not asserted: no timing in tests).
                assert isinstance(row["met"], bool), row
        values = [row["value"] for row in case["rows"]]
        # Every case measured something (case 5's CLI row may be absent, never NaN-only).
        assert any(isinstance(v, float | int) and math.isfinite(v) for v in values), case

    # The variants each case must compare.
    variants = {n: {row["variant"] for row in by_number[n]["rows"]} for n in CASES}
    assert {"facade", "raw httpx (floor)", "generated"} <= variants[1]
    assert {"facade", "raw httpx (floor)", "generated"} <= variants[2]
    assert {"facade", "raw httpx (floor)"} <= variants[3]
    assert any(v.startswith("facade") for v in variants[4])
    assert "import httpx (floor)" in variants[5]
    assert "import stability_v1alpha" in variants[5]

    # Cases 1 and 2 hold the facade's wall time per call to 1.10 of raw httpx's.
    for number in (1, 2):
        (facade_wall,) = [
            row
            for row in by_number[number]["rows"]
            if row["variant"] == "facade" and row["metric"] == "wall per call"
        ]
        assert facade_wall["target"] == "<= 1.10"

    # Case 5 times a first image in a fresh process, facade against plain httpx.
    first = {row["variant"]: row for row in by_number[5]["rows"] if "first PNG" in row["variant"]}
    assert set(first) == {"first PNG, facade", "first PNG, raw httpx (floor)"}
    assert first["first PNG, facade"]["target"] == "<= 1.35"
    assert first["first PNG, raw httpx (floor)"]["ratio"] == 1.0
    assert all(row["metric"] == "process wall" and row["samples"] >= 1 for row in first.values())

    # Case 3 reports both memory figures; case 6 never touches generated/.
    metrics = {row["metric"] for row in by_number[3]["rows"]}
    assert {"tracemalloc peak", "RSS peak delta"} <= metrics
    (generate_row,) = by_number[6]["rows"]
    assert generate_row["extra"]["generated_unchanged"] is True


def test_an_existing_json_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    out.write_text("earlier results\n", encoding="utf-8")
    command = [sys.executable, "-m", "tools.bench", "--quick", "--cases", "6", "--json", str(out)]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert "exists; pass --overwrite" in refused.stderr
    assert "[bench]" not in refused.stderr  # refused before measuring anything
    assert out.read_text(encoding="utf-8") == "earlier results\n"

    replaced = subprocess.run(
        [*command, "--overwrite"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert replaced.returncode == 0, replaced.stderr[-3000:]
    assert json.loads(out.read_text(encoding="utf-8"))["cases"][0]["case"] == 6


def test_a_json_path_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    for where in (tmp_path, tmp_path / "missing" / "bench.json"):
        refused = subprocess.run(
            [sys.executable, "-m", "tools.bench", "--quick", "--cases", "6", "--json", str(where)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode == 2
        assert "not a file in an existing directory" in refused.stderr
        assert "[bench]" not in refused.stderr
