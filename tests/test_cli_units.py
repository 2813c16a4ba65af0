"""The command line's pieces, in process: names, ``--out`` rules, progress, exit codes.

``test_cli.py`` runs the real command end to end; these tests pin the rules
it is built from, including the cases too fiddly to stage through a subprocess
(a terminal's progress bar, the precedence of exit codes).
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import stability_v1alpha
from stability_v1alpha._cli import _secrets
from stability_v1alpha._cli.errors import failure_from
from stability_v1alpha._cli.naming import plan_destination, slugify
from stability_v1alpha._cli.output import Console
from stability_v1alpha._cli.parser import parse_arguments, redact
from stability_v1alpha._cli.progress import Progress
from stability_v1alpha._cli.report import Failure, Job, Report, SavedImage, UsageError
from stability_v1alpha._exceptions import InvalidRequestError, RateLimitError


@pytest.mark.parametrize(
    ("prompt", "slug"),
    [
        ("A Lighthouse at Dawn!", "a-lighthouse-at-dawn"),
        ("  café crème, 4K  ", "cafe-creme-4k"),
        ("日本の城", "image"),
        ("!!!", "image"),
        (
            "one two three four five six seven eight nine ten",
            "one-two-three-four-five-six-seven-eight",
        ),
        ("x" * 60, "x" * 40),
    ],
)
def test_slugify(prompt: str, slug: str):
    assert slugify(prompt) == slug
    assert len(slug) <= 40


def test_out_rules(tmp_path: Path):
    job = Job("A cat", None)
    default = plan_destination(None, samples=1, batch_lines=None)
    assert default.is_dir and default.name_for(job, 42, 1, 1) == Path("a-cat-42.png")

    file = plan_destination(str(tmp_path / "x.png"), samples=1, batch_lines=None)
    assert file.fixed_names(1) == [tmp_path / "x.png"]
    bare = plan_destination(str(tmp_path / "result"), samples=1, batch_lines=None)
    assert bare.fixed_names(1) == [tmp_path / "result.png"]  # one image: the suffix is added
    dotted = plan_destination(str(tmp_path / "cat.v2"), samples=1, batch_lines=None)
    assert dotted.fixed_names(1) == [tmp_path / "cat.v2.png"]
    upper = plan_destination(str(tmp_path / "CAT.PNG"), samples=1, batch_lines=None)
    assert upper.fixed_names(1) == [tmp_path / "CAT.PNG"]
    stdout = plan_destination("-", samples=1, batch_lines=None)
    assert stdout.to_stdout and stdout.predicted_names(job, 42, 1) == []
    for samples, lines in ((2, None), (1, 3)):
        with pytest.raises(UsageError, match="writes one image to stdout"):
            plan_destination("-", samples=samples, batch_lines=lines)

    numbered = plan_destination(str(tmp_path / "x.png"), samples=3, batch_lines=None)
    assert [p.name for p in numbered.fixed_names(3) or []] == ["x-1.png", "x-2.png", "x-3.png"]

    several = plan_destination(str(tmp_path / "new"), samples=2, batch_lines=None)
    assert several.is_dir and several.name_for(job, 7, 2, 2) == tmp_path / "new" / "a-cat-7-2.png"
    trailing = plan_destination("somewhere/", samples=1, batch_lines=None)
    assert trailing.is_dir and trailing.fixed_names(1) is None
    existing = plan_destination(str(tmp_path), samples=1, batch_lines=None)
    assert existing.is_dir

    batch = plan_destination(str(tmp_path / "b"), samples=1, batch_lines=12345)
    assert batch.name_for(Job("dog", 7), 9, 1, 1) == tmp_path / "b" / "00007-dog-9.png"
    with pytest.raises(UsageError, match="give a directory"):
        plan_destination("all.png", samples=1, batch_lines=3)
    for name in ("photo.jpg", "photo.JPEG", "frames.webp"):
        with pytest.raises(UsageError, match="returns PNG images"):
            plan_destination(str(tmp_path / name), samples=1, batch_lines=None)
    (tmp_path / "plain").write_text("")
    with pytest.raises(UsageError, match="not a directory"):
        plan_destination(str(tmp_path / "plain"), samples=2, batch_lines=None)


def _failure(kind: str) -> Failure:
    return Failure(Job("p", 1), kind, "X", "x")  # type: ignore[arg-type]


def test_exit_code_precedence():
    report = Report()
    assert report.exit_code() == 0
    report.failed(_failure("usage"))
    assert report.exit_code() == 2
    report.failed(_failure("api"))
    assert report.exit_code() == 1
    report.interrupted = True
    assert report.exit_code() == 130


def test_errors_are_worded_for_the_command_line():
    width = failure_from(InvalidRequestError("width", 100, "must be between 512 and 2048"), None)
    assert (width.kind, width.error) == ("usage", "--width=100: must be between 512 and 2048")
    prompt = failure_from(InvalidRequestError("prompt[0]", "", "must not be empty"), Job("", 3))
    assert prompt.describe() == "line 3: PROMPT[0]='': must not be empty"
    limited = failure_from(RateLimitError("slow down", status_code=429), Job("p", 2))
    assert limited.kind == "api" and "lower --concurrency" in limited.error
    exists = failure_from(FileExistsError("x"), None, path=Path("a.png"))
    assert (exists.kind, exists.error) == ("usage", "a.png exists; pass --overwrite to replace it")


def test_secrets_are_found_and_redacted(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STABILITY_API_KEY", "sk-env-key")
    found = _secrets(["text-to-image", "x", "--api-key", "sk-flag", "--api-key=sk-eq"])
    assert found == ["sk-env-key", "sk-flag", "sk-eq"]
    assert redact("a SK-FLAG b sk-eq", found) == "a *** b ***"


def test_parser_rejects_abbreviated_api_key():
    with pytest.raises(SystemExit):
        parse_arguments(["text-to-image", "x", "--api-k", "sk-secret"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal():
    stream = _Terminal()
    now = [0.0]
    progress = Progress(4, Console(stream, quiet=False, secrets=()), clock=lambda: now[0])
    progress.start()
    now[0] = 2.0
    progress.finished(
        Job("a", 1), [SavedImage(Job("a", 1), Path("a.png"), 1, "SUCCESS", False)], []
    )
    failure = _failure("api")
    progress.finished(Job("p", 1), [], [failure])
    progress.close()
    text = stream.getvalue()
    assert "\r[------------------------] 0/4 done, 0 failed" in text
    assert "[2/4] FAILED line 1: x\n" in text  # failures are printed above the bar
    assert "2/4 done, 1 failed, 1.0/s, ETA 0:02" in text
    assert "a.png" not in text  # plain successes only move the bar
    assert text.endswith("\n")


def test_progress_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(2, Console(stream, quiet=False, secrets=()))
    progress.start()
    progress.finished(
        Job("a", 5), [SavedImage(Job("a", 5), Path("a.png"), 1, "SUCCESS", False)], []
    )
    progress.close()
    assert stream.getvalue() == "[1/2] line 5: saved a.png (seed 1)\n"


def test_package_exports_are_lazy_and_complete():
    for name in stability_v1alpha.__all__:
        assert getattr(stability_v1alpha, name) is not None
    assert set(stability_v1alpha.__all__) <= set(dir(stability_v1alpha))
    with pytest.raises(AttributeError):
        stability_v1alpha.NoSuchName  # noqa: B018
    code = "import sys, stability_v1alpha; print('httpx' in sys.modules)"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert fresh.stdout.strip() == "False"


def test_an_unknown_flag_is_reported_against_its_subcommand(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        parse_arguments(["inpaint", "init.png", "a door", "--bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "stability-v1alpha inpaint: error: unrecognized arguments: --bogus" in err
    assert "usage: stability-v1alpha inpaint" in err
