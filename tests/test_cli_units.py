"""The command line in process: names, ``--out`` rules, progress, exit codes, bad arguments.

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
from stability_v1alpha._cli.batch import resume_command
from stability_v1alpha._cli.errors import failure_from
from stability_v1alpha._cli.inputs import describe_format
from stability_v1alpha._cli.journal import JOURNAL_NAME, Journal
from stability_v1alpha._cli.naming import plan_destination, slugify
from stability_v1alpha._cli.output import Console
from stability_v1alpha._cli.parser import build_parser, parse_arguments
from stability_v1alpha._cli.progress import Progress
from stability_v1alpha._cli.report import (
    Failure,
    Job,
    Report,
    SavedImage,
    UsageError,
    line_ranges,
)
from stability_v1alpha._cli.throttle import AdaptiveConcurrency
from stability_v1alpha._exceptions import InvalidRequestError, RateLimitError
from stability_v1alpha.testing import FakeStabilityServer
from support import KEY, PNG_8, PNG_HEADERS, png


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


def test_concurrency_halves_on_a_rate_limit_and_grows_back_one_at_a_time():
    limit = AdaptiveConcurrency(16)
    assert not limit.succeeded() and limit.limit == 16  # at the ceiling already
    limit.rate_limited()
    assert limit.limit == 8
    for _ in range(7):
        assert not limit.succeeded()
    assert limit.succeeded() and limit.limit == 9  # after a run of 8 successes
    for _ in range(5):
        limit.rate_limited()
    assert limit.limit == 1
    assert limit.succeeded() and limit.limit == 2


def test_line_ranges_and_the_resume_command():
    assert line_ranges([3, 4, 5, 9, 12, 13, None]) == "3-5, 9, 12-13"
    assert line_ranges([]) == ""
    args = ["text-to-image", "--prompts-file", "my prompts.txt", "--out", "o"]
    assert resume_command(args) == (
        "stability-v1alpha text-to-image --prompts-file 'my prompts.txt' --out o --resume"
    )
    assert resume_command([*args, "--resume"]) == resume_command(args)


def test_a_run_level_failure_leaves_every_prompt_not_run():
    report = Report()
    jobs = [Job("a", 1), Job("b", 2), Job("c", 3)]
    report.plan(jobs)
    report.failed(Failure(None, "usage", "UsageError", "out exists"))
    summary = report.summary()
    assert (summary["failed"], summary["not_run"], summary["not_run_lines"]) == (0, 3, [1, 2, 3])
    report.failed(Failure(jobs[1], "usage", "InvalidRequestError", "too long"))
    report.skipped(jobs[0])
    summary = report.summary()
    assert (summary["skipped"], summary["failed_lines"], summary["not_run_lines"]) == (1, [2], [3])


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "is a JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "is a GIF image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "is a WebP image"),
        (b"a cat on a mat\n", "is text, not an image"),
        ("caf\u00e9 cr\u00e8me".encode()[:5], "is text, not an image"),  # cut mid-character
        (b"", "is empty"),
        (b"\x00\x01\x02\x03\xfe", "is in a format other than PNG"),
    ],
)
def test_the_format_of_an_input_file_is_named(head: bytes, found: str | None):
    assert describe_format(head) == found


def test_a_mistyped_flag_gets_a_suggestion(capsys: pytest.CaptureFixture[str]):
    for typo, meant in (("--sample", "--samples"), ("--concurency=3", "--concurrency")):
        with pytest.raises(SystemExit):
            parse_arguments(["text-to-image", "a cat", typo, "2"])
        assert f"(did you mean {meant}?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_arguments(["text-to-image", "a cat", "--zzzz"])
    assert "did you mean" not in capsys.readouterr().err


def test_size_flags_are_refused_where_init_sets_the_size(capsys: pytest.CaptureFixture[str]):
    for command in ("image-to-image", "inpaint"):
        with pytest.raises(SystemExit):
            parse_arguments([command, "init.png", "a door", "--width", "1024"])
        err = capsys.readouterr().err
        assert f"--width/--height do not apply to {command}: the result has the size of INIT" in err
    help_text = build_parser().commands["image-to-image"].format_help()
    assert "--width" not in help_text
    with pytest.raises(SystemExit):
        parse_arguments(["text-to-image", "a cat", "--resume"])
    assert "--resume continues a batch" in capsys.readouterr().err


def test_the_journal_refuses_a_damaged_line_and_a_directory_without_resume(tmp_path: Path):
    (tmp_path / JOURNAL_NAME).write_text('{"format": 1, "line": 1}\n{"format": 1', "utf-8")
    with pytest.raises(UsageError, match="records an earlier batch"):
        Journal.open(tmp_path, resume=False)
    with pytest.raises(UsageError, match=r"line 1: not a journal record"):
        Journal.open(tmp_path, resume=True)
    assert Journal.open(tmp_path / "new", resume=False).records == {}


def test_progress_shows_the_rate_limit_wait():
    now = [0.0]
    stream = _Terminal()
    bar = Progress(4, Console(stream, quiet=False, secrets=()), clock=lambda: now[0])
    bar.rate_limited(3.0, 8)
    assert bar.status().endswith(", waiting on the rate limit (0:03)")
    now[0] = 3.5
    assert "waiting" not in bar.status()
    lines = io.StringIO()
    Progress(4, Console(lines, quiet=False, secrets=())).rate_limited(2.5, 4)
    assert lines.getvalue() == (
        "rate limited: waiting 2.5s before sending more, then at most 4 at once\n"
    )


# Hostile arguments give one error line and exit code 2, never a traceback.


def _cli_cases(tmp: Path) -> list[list[str]]:
    good = tmp / "good.png"
    good.write_bytes(png(64, 64, alpha=0x80))
    empty = tmp / "empty.png"
    empty.write_bytes(b"")
    huge = tmp / "huge.png"
    with huge.open("wb") as file:
        file.write(PNG_8)
        file.truncate(100 * 1024 * 1024)
    return [
        ["text-to-image", "x" * 3000],
        ["text-to-image", ""],
        ["text-to-image", "x", "--width", "abc"],
        ["text-to-image", "x", "--width", "-512"],
        ["text-to-image", "x", "--width", "600"],
        ["text-to-image", "x", "--cfg-scale", "nan"],
        ["text-to-image", "x", "--cfg-scale", "inf"],
        ["text-to-image", "x", "--steps", "1e3"],
        ["text-to-image", "x", "--seed", "-1"],
        ["text-to-image", "x", "--samples", "0"],
        ["text-to-image", "x", "--sampler", "FAST"],
        ["text-to-image", "x", "--timeout", "-1"],
        ["text-to-image", "x", "--timeout", "nan"],
        ["text-to-image", "x", "--max-retries", "-1"],
        ["text-to-image", "x", "--organization", "org\u00e9"],
        ["text-to-image", "x", "--base-url", "ftp://x"],
        ["text-to-image", "x", "--engine", ""],
        ["image-to-image", str(tmp / "missing.png"), "x"],
        ["image-to-image", str(tmp), "x"],
        ["image-to-image", str(empty), "x"],
        ["image-to-image", str(huge), "x"],
        ["image-to-image", "/dev/zero", "x"],
        ["image-to-image", str(good), "x", "--step-schedule-start", "2"],
        ["inpaint", str(good), "x", "--mask", str(tmp / "missing.png")],
        ["inpaint", str(good), "x", "--mask", str(good), "--mask-source", "INIT_IMAGE_ALPHA"],
    ]


def test_cli_hostile_arguments(
    tmp_path: Path,
    fake: FakeStabilityServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from stability_v1alpha._cli import main

    monkeypatch.setenv("STABILITY_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    # The last case (a mask with INIT_IMAGE_ALPHA) is accepted by the facade; answer it.
    fake.reset()
    for args in _cli_cases(tmp_path):
        if "--base-url" not in args:
            args = [*args, "--base-url", fake.base_url]
        fake.respond_next(200, PNG_8, PNG_HEADERS)
        try:
            code = main(args)
        except SystemExit as exit_:  # argparse rejects some flags itself
            code = exit_.code  # type: ignore[assignment]
        captured = capsys.readouterr()
        output = captured.out + captured.err
        assert "Traceback" not in output, (args, output)
        assert KEY not in output
        if code == 0:
            assert args[-3:-2] == ["INIT_IMAGE_ALPHA"], (args, output)
            continue
        assert code == 2, (args, code, output)
        assert "error:" in captured.err, (args, output)
        assert len(captured.err) < 1500, (args, len(captured.err))
    assert all(r.validation_errors == () for r in fake.requests)
    fake.reset()
