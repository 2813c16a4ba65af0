"""The reviewer's workflow: which base a plain review picks, `make spec-diff` output that is
the report alone, and the pull-request script CI runs, each on a temporary git repository
holding a small spec (two commits: one on main, one on a branch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.spec_diff.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "spec-review"

SPEC = """\
openapi: 3.0.3
info: {title: review, version: "1"}
paths:
  /items:
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name: {type: string, maxLength: 100}
      responses:
        "200": {description: made}
"""
TIGHTER = SPEC.replace("maxLength: 100", "maxLength: 10")  # breaking for requests
LOOSER = SPEC.replace("maxLength: 100", "maxLength: 200")  # harmless


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=review", "-c", "user.email=review@example.invalid", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def commit_spec(repo: Path, text: str, message: str) -> str:
    (repo / "openapi.yaml").write_text(text, encoding="utf-8")
    git(repo, "add", "openapi.yaml")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "--short", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: the spec; branch `change`: a commit tightening it, checked out."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch", "main")
    commit_spec(path, SPEC, "spec")
    git(path, "checkout", "--quiet", "-b", "change")
    commit_spec(path, TIGHTER, "tighten name")
    return path


def review(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> dict:
    code = main(["--repo", str(repo), "--no-code-impact", "--format", "json", *args])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def ids(report: dict) -> list[str]:
    return [c["id"] for c in report["changes"]]


# -- which base a plain review picks ------------------------------------------------------


def test_committed_branch_change_is_compared_with_the_merge_base(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    fork = git(repo, "rev-parse", "--short", "main").strip()
    report = review(capsys, repo)
    assert ids(report) == ["request-property-max-length-decreased"]
    assert report["base"] == {
        "spec": "openapi.yaml",
        "revision": fork,
        "chosen": "merge-base of HEAD and main",
    }
    assert report["head"]["revision"] == git(repo, "rev-parse", "--short", "HEAD").strip()


def test_uncommitted_change_is_compared_with_head(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    head = git(repo, "rev-parse", "--short", "HEAD").strip()
    (repo / "openapi.yaml").write_text(TIGHTER.replace("maxLength: 10", "maxLength: 20"))
    report = review(capsys, repo)
    assert ids(report) == ["request-property-max-length-increased"]  # 10 -> 20, not 100 -> 20
    assert report["base"]["revision"] == head
    assert "uncommitted" in report["base"]["chosen"]
    assert report["head"] == {
        "spec": "openapi.yaml",
        "revision": None,
        "chosen": "uncommitted changes included",
    }


def test_on_main_the_latest_spec_change_is_reviewed(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    git(repo, "checkout", "--quiet", "main")
    git(repo, "merge", "--quiet", "--ff-only", "change")
    (repo / "README").write_text("a later commit that leaves the spec alone\n")
    git(repo, "add", "README")
    git(repo, "commit", "--quiet", "-m", "docs")
    first = git(repo, "rev-list", "--max-parents=0", "--abbrev-commit", "HEAD").strip()
    report = review(capsys, repo)
    assert ids(report) == ["request-property-max-length-decreased"]
    assert report["base"]["revision"] == first
    assert "the commit before the latest change" in report["base"]["chosen"]


def test_a_spec_with_one_version_only_is_an_input_error(
    capsys: pytest.CaptureFixture[str], repo: Path
) -> None:
    git(repo, "checkout", "--quiet", "main")
    assert main(["--repo", str(repo), "--no-code-impact"]) == 2
    assert "no earlier committed version" in capsys.readouterr().err


def test_text_report_states_base_and_head(capsys: pytest.CaptureFixture[str], repo: Path) -> None:
    assert main(["--repo", str(repo), "--no-code-impact"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("Base: openapi.yaml@") and out[1].endswith(
        "(merge-base of HEAD and main)"
    )
    assert out[2].startswith("Head: openapi.yaml@") and out[2].endswith(
        "(HEAD: no uncommitted changes)"
    )


# -- make spec-diff prints the report alone ---------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "markdown", "text"])
def test_make_spec_diff_prints_only_the_report(repo: Path, fmt: str) -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", "spec-diff", f"FORMAT={fmt}",
         f"SPEC_DIFF_ARGS=--repo {repo} --no-code-impact"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    if fmt == "json":
        assert [c["id"] for c in json.loads(proc.stdout)["changes"]] == [
            "request-property-max-length-decreased"
        ]
    else:
        assert proc.stdout.startswith(("OpenAPI spec diff:", "## OpenAPI spec diff:"))


# -- the pull-request script ---------------------------------------------------------------


def run_script(repo: Path, tmp_path: Path, **env: str) -> tuple[int, str]:
    summary = tmp_path / "summary.md"
    summary.write_text("")
    variables = {
        **os.environ,
        "PYTHON": sys.executable,
        "SPEC_REVIEW_BASE_REF": "main",
        "SPEC_REVIEW_ARGS": "--no-code-impact",
        "GITHUB_STEP_SUMMARY": str(summary),
        **env,
    }
    proc = subprocess.run(
        ["sh", str(SCRIPT)], cwd=repo, env=variables, capture_output=True, text=True, timeout=120
    )
    return proc.returncode, summary.read_text()


def test_script_fails_on_a_breaking_change_and_writes_the_summary(
    repo: Path, tmp_path: Path
) -> None:
    code, summary = run_script(repo, tmp_path)
    assert code == 1
    assert summary.startswith("## OpenAPI spec diff:")
    assert "merge-base of HEAD and main" in summary
    assert "`request-property-max-length-decreased`" in summary
    assert "**Breaking changes.**" in summary


def test_script_accepts_an_acknowledged_breaking_change(repo: Path, tmp_path: Path) -> None:
    code, summary = run_script(repo, tmp_path, SPEC_REVIEW_ACKNOWLEDGED="true")
    assert code == 0
    assert "Breaking changes acknowledged" in summary


def test_script_passes_a_harmless_change(repo: Path, tmp_path: Path) -> None:
    commit_spec(repo, LOOSER, "loosen name")
    code, summary = run_script(repo, tmp_path)
    assert code == 0
    assert "`request-property-max-length-increased`" in summary
    assert "Breaking changes" not in summary


def test_script_reports_a_missing_base_as_a_failure(repo: Path, tmp_path: Path) -> None:
    code, summary = run_script(repo, tmp_path, SPEC_REVIEW_BASE_REF="no-such-branch")
    assert code == 2
    assert summary == ""
