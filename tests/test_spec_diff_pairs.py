"""Small spec pairs in tests/spec_pairs/small, judged as a generated Python client feels
them: the verdict of each pair, and no crash on any pair in either direction (an invalid
spec is an input error with a one-line reason, exit status 2, never a traceback)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tools.spec_diff.cli import main

PAIRS = Path(__file__).resolve().parent / "spec_pairs" / "small"
BASE = "pet_base.yaml"

# new file -> (old file, worst level or None for no change at all, rule ids expected)
VERDICTS: dict[str, tuple[str, str | None, set[str]]] = {
    "wrapped_nullable.yaml": (BASE, "info", {"request-body-wrapped-in-one-of-compatible"}),
    "wrapped_ambiguous.yaml": (BASE, "breaking", {"request-body-wrapped-in-one-of-ambiguous"}),
    "read_only_id.yaml": (BASE, "info", {"request-required-read-only-property-added"}),
    "write_only_dropped.yaml": (
        BASE,
        "info",
        {"response-required-write-only-property-removed"},
    ),
    "described.yaml": (BASE, "info", {"documentation-changed"}),
    # relaxations of what the server accepts
    "tag_pattern_dropped.yaml": (
        "tag_pattern_base.yaml",
        "info",
        {"request-property-pattern-removed", "request-property-max-length-increased"},
    ),
    "split_revision.yaml": (
        "split_base.yaml",
        "breaking",
        {"request-property-max-length-decreased"},
    ),
}


def run(capsys: pytest.CaptureFixture[str], old: str, new: str) -> tuple[int, str, str]:
    code = main([str(PAIRS / old), str(PAIRS / new), "--no-code-impact", "--format", "json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("new", sorted(VERDICTS))
def test_verdict(capsys: pytest.CaptureFixture[str], new: str) -> None:
    old, worst, expected = VERDICTS[new]
    code, out, _ = run(capsys, old, new)
    assert code == 0
    changes = json.loads(out)["changes"]
    levels = {c["level"] for c in changes}
    found = max(levels, key=["info", "warning", "breaking"].index) if levels else None
    assert (found, {c["id"] for c in changes}) == (worst, expected)


SPECS = sorted(p.name for p in PAIRS.glob("*.yaml") if not p.name.startswith("common_"))


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(SPECS, 2)))
def test_no_pair_crashes(capsys: pytest.CaptureFixture[str], old: str, new: str) -> None:
    code, out, err = run(capsys, old, new)
    if "broken_ref.yaml" in (old, new):
        assert code == 2 and out == ""
        assert err.startswith("error: ") and "points at nothing" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    else:
        assert code == 0, err
        assert json.loads(out)["summary"]
