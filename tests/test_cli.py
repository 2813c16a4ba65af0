"""The ``stability-v1alpha`` command, run as a user runs it.

Every test starts the installed console script as a subprocess against a
:class:`FakeStabilityServer` running in this process, then looks at what a
user would: exit code, stdout, stderr and the files on disk. Every run also
checks that the API key appears in neither output stream.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import (
    KEY,
    NO_KEY_MESSAGE,
    cli,
    command,
    env,
    is_complete_png,
    leftovers,
    pngs,
    posix_only,
    prompts_file,
)
from PIL import Image
from stability_v1alpha.testing import FakeStabilityServer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture
def fake(server: FakeStabilityServer) -> Iterator[FakeStabilityServer]:
    server.reset()
    yield server
    server.reset()


# -- start-up ----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("--help",), ("text-to-image", "--help"), ("image-to-image", "--help"), ("inpaint", "-h")],
)
def test_help_imports_neither_httpx_nor_the_generated_package_nor_pillow(args: tuple[str, ...]):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stability_v1alpha", *args],
        capture_output=True,
        text=True,
        env=env(None),
        timeout=30,
    )
    assert result.returncode == 0
    assert "usage: stability-v1alpha" in result.stdout
    imported = result.stderr
    for heavy in ("httpx", "stability_v1alpha_api", "PIL", "asyncio"):
        assert f" {heavy}\n" not in imported and f" {heavy}." not in imported, heavy


def test_console_script_help_and_version(tmp_path: Path):
    assert "text-to-image" in cli(None, "--help", cwd=tmp_path).stdout
    version = cli(None, "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.startswith("stability-v1alpha ")


# -- single prompts ------------------------------------------------------------


def test_one_image_goes_to_the_current_directory_named_after_prompt_and_seed(
    fake: FakeStabilityServer, tmp_path: Path
):
    result = cli(fake, "text-to-image", "A Lighthouse at Dawn!", "--seed", "1234", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # stdout is reserved for --json
    (image,) = pngs(tmp_path)
    assert image.name == "a-lighthouse-at-dawn-1234.png"
    assert is_complete_png(image)
    assert f"saved {image.name} (seed 1234)" in result.stderr
    assert fake.requests[-1].operation == "textToImage"


def test_several_samples_with_json(fake: FakeStabilityServer, tmp_path: Path):
    result = cli(
        fake,
        "text-to-image",
        "red fox",
        "--samples",
        "3",
        "--out",
        "foxes",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # exactly one JSON document
    images = document["images"]
    assert [Path(i["path"]).parent.name for i in images] == ["foxes"] * 3
    for index, image in enumerate(images, start=1):
        assert image["path"] == f"foxes/red-fox-{image['seed']}-{index}.png"
        assert image["finish_reason"] == "SUCCESS" and image["content_filtered"] is False
        assert image["prompt"] == "red fox"
        assert is_complete_png(tmp_path / image["path"])
    assert document["failures"] == []
    assert document["summary"]["images"] == 3 and document["summary"]["exit_code"] == 0


def test_several_samples_with_a_png_file_name_are_numbered(
    fake: FakeStabilityServer, tmp_path: Path
):
    result = cli(fake, "text-to-image", "owl", "--samples", "2", "--out", "owl.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in pngs(tmp_path)] == ["owl-1.png", "owl-2.png"]


def test_existing_output_file_is_refused_before_sending_and_replaced_with_overwrite(
    fake: FakeStabilityServer, tmp_path: Path
):
    target = tmp_path / "cat.png"
    target.write_bytes(b"precious")
    refused = cli(fake, "text-to-image", "cat", "--out", "cat.png", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: cat.png exists; pass --overwrite to replace, or choose another --out\n"
    )
    assert target.read_bytes() == b"precious"
    assert len(fake.requests) == 0  # nothing spent

    replaced = cli(fake, "text-to-image", "cat", "--out", "cat.png", "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert is_complete_png(target)
    assert leftovers(tmp_path) == []


def test_seed_named_file_that_exists_is_refused_before_sending(
    fake: FakeStabilityServer, tmp_path: Path
):
    first = cli(fake, "text-to-image", "same prompt", "--seed", "7", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (path,) = pngs(tmp_path)
    assert path.name == "same-prompt-7.png"
    sent = len(fake.requests)
    again = cli(fake, "text-to-image", "same prompt", "--seed", "7", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.startswith("error: same-prompt-7.png exists; pass --overwrite")
    assert len(fake.requests) == sent


def test_a_collision_found_after_generation_skips_that_file_and_keeps_the_others(
    fake: FakeStabilityServer, tmp_path: Path
):
    mine = tmp_path / "pair-100-1.png"  # the fake numbers sample seeds 100, 101
    mine.write_bytes(b"the user's file")
    result = cli(
        fake, "text-to-image", "pair", "--seed", "100", "--samples", "2", "--json", cwd=tmp_path
    )
    assert result.returncode == 2
    document = json.loads(result.stdout)
    (failure,) = document["failures"]
    assert failure["type"] == "FileExistsError" and failure["path"] == "pair-100-1.png"
    assert "pair-100-1.png exists; pass --overwrite" in result.stderr
    assert [i["path"] for i in document["images"]] == ["pair-101-2.png"]
    assert mine.read_bytes() == b"the user's file"
    assert is_complete_png(tmp_path / "pair-101-2.png")
    assert leftovers(tmp_path) == []


def test_content_filtered_image_is_saved_and_flagged(fake: FakeStabilityServer, tmp_path: Path):
    fake.content_filter_next()
    result = cli(fake, "text-to-image", "a beach", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (image,) = json.loads(result.stdout)["images"]
    assert image["content_filtered"] is True and image["finish_reason"] == "CONTENT_FILTERED"
    assert is_complete_png(tmp_path / image["path"])
    assert "warning:" in result.stderr and "CONTENT FILTERED" in result.stderr


def _write_png(path: Path, mode: str, color: object, size: tuple[int, int] = (512, 512)) -> Path:
    Image.new(mode, size, color).save(path, format="PNG")  # type: ignore[arg-type]
    return path


def test_image_to_image_with_a_real_png(fake: FakeStabilityServer, tmp_path: Path):
    _write_png(tmp_path / "start.png", "RGB", (200, 80, 40))
    result = cli(
        fake,
        "image-to-image",
        "start.png",
        "a watercolour",
        "--step-schedule-start",
        "0.4",
        "--out",
        "result.png",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert is_complete_png(tmp_path / "result.png")
    request = fake.requests[-1]
    assert request.operation == "imageToImage" and request.validation_errors == ()
    assert request.options["step_schedule_start"] == 0.4


def test_inpaint_with_a_mask_file_and_with_alpha(fake: FakeStabilityServer, tmp_path: Path):
    _write_png(tmp_path / "room.png", "RGB", (90, 90, 90))
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (128, 128, 384, 384))
    mask.save(tmp_path / "mask.png")
    with_mask = cli(
        fake,
        "inpaint",
        "room.png",
        "a red sofa",
        "--mask",
        "mask.png",
        "--out",
        "a.png",
        cwd=tmp_path,
    )
    assert with_mask.returncode == 0, with_mask.stderr
    assert fake.requests[-1].options["mask_source"] == "MASK_IMAGE_WHITE"

    _write_png(tmp_path / "hole.png", "RGBA", (90, 90, 90, 0))
    with_alpha = cli(fake, "inpaint", "hole.png", "a window", "--out", "b.png", cwd=tmp_path)
    assert with_alpha.returncode == 0, with_alpha.stderr
    assert fake.requests[-1].options["mask_source"] == "INIT_IMAGE_ALPHA"
    assert is_complete_png(tmp_path / "a.png") and is_complete_png(tmp_path / "b.png")

    no_alpha = cli(fake, "inpaint", "room.png", "a window", cwd=tmp_path)
    assert no_alpha.returncode == 2
    assert "INIT" in no_alpha.stderr and "--mask FILE" in no_alpha.stderr
    assert len(no_alpha.stderr.splitlines()) == 1


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("text-to-image", "cat", "--width", "wide"), "argument --width: invalid int value"),
        (("text-to-image", "cat", "--sampler", "FASTEST"), "invalid choice"),
        (("text-to-image", "cat", "--no-such-flag"), "unrecognized arguments"),
        (("text-to-image",), "give a PROMPT"),
        (("text-to-image", "cat", "--prompts-file", "p.txt"), "not both"),
        (("text-to-image", "cat", "--concurrency", "0"), "must be at least 1"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_flags_exit_2_with_usage(fake: FakeStabilityServer, tmp_path: Path, args, message):
    result = cli(fake, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "usage:" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(fake.requests) == 0


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("text-to-image", "cat", "--width", "100"), "error: --width=100: must be between"),
        (("text-to-image", "cat", "--steps", "5"), "error: --steps=5: must be between"),
        (("image-to-image", "missing.png", "cat"), "error: INIT='missing.png': does not exist"),
        (("text-to-image", "cat", "--out", "x.png", "--prompts-file", "-"), "not both"),
    ],
)
def test_invalid_values_exit_2_with_one_line(fake: FakeStabilityServer, tmp_path: Path, args, line):
    result = cli(fake, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert line in result.stderr.splitlines()[-1]
    if result.stderr.startswith("error:"):
        assert len(result.stderr.splitlines()) == 1
    assert len(fake.requests) == 0


def test_bad_base_url_exits_2(tmp_path: Path):
    result = cli(None, "text-to-image", "cat", "--base-url", "ftp://example.com", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: --base-url='ftp://example.com': must be an http:// or https:// URL\n"
    )


def test_missing_key_is_one_line_and_exit_2(fake: FakeStabilityServer, tmp_path: Path):
    result = cli(fake, "text-to-image", "cat", cwd=tmp_path, key=None)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", NO_KEY_MESSAGE)
    blank = cli(fake, "text-to-image", "cat", cwd=tmp_path, key="  ")
    assert (blank.returncode, blank.stderr) == (2, NO_KEY_MESSAGE)
    assert len(fake.requests) == 0


def test_api_failure_is_one_line_exit_1_and_debug_shows_the_traceback(
    fake: FakeStabilityServer, tmp_path: Path
):
    fake.fail_next(503, times=2, html=True)
    plain = cli(fake, "text-to-image", "cat", "--max-retries", "0", cwd=tmp_path)
    assert plain.returncode == 1
    assert plain.stderr.startswith("error: 503") and len(plain.stderr.splitlines()) == 1
    debug = cli(fake, "text-to-image", "cat", "--max-retries", "0", "--debug", cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "InternalServerError" in debug.stderr
    assert pngs(tmp_path) == []


def test_unreachable_server_is_exit_1(tmp_path: Path):
    result = cli(
        None,
        "text-to-image",
        "cat",
        "--base-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


def test_the_key_is_never_printed(fake: FakeStabilityServer, tmp_path: Path):
    wrong = "sk-wrong-Hx81QpLm5Distinctive"
    for args in (
        ("text-to-image", "cat", "--api-key", wrong, "--debug", "--json"),
        ("text-to-image", "cat", f"--api-key={wrong}", "--width", "100", "--json"),
        ("--api-key", wrong, "text-to-image", "cat"),  # flag before the command: usage error
        ("text-to-image", "cat", "--api-key", wrong, "--sampler", wrong),
    ):
        result = cli(fake, *args, cwd=tmp_path)
        assert result.returncode in (1, 2), args
        output = (result.stdout + result.stderr).lower()
        assert wrong.lower() not in output, args  # not even upper-cased by --sampler
    # The key that is accepted, with debug logging of every request.
    ok = cli(fake, "text-to-image", "cat", "--debug", "--json", cwd=tmp_path)
    assert ok.returncode == 0 and "debug:" in ok.stderr


# -- batches -------------------------------------------------------------------


def test_batch_of_50_with_failures_keeps_going_and_reports_them(
    fake: FakeStabilityServer, tmp_path: Path
):
    prompts_file(tmp_path / "prompts.txt", 50)
    fake.fail_next(400, times=3)
    fake.fail_next(429, times=2, retry_after=0)  # waited out and sent again, never failed
    result = cli(
        fake,
        "text-to-image",
        "--prompts-file",
        "prompts.txt",
        "--out",
        "batch",
        "--concurrency",
        "5",
        "--max-retries",
        "0",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)
    failures = document["failures"]
    assert [f["type"] for f in failures] == ["BadRequestError"] * 3
    summary = document["summary"]
    assert 1 <= summary.pop("rate_limit_pauses") <= 2
    failed_lines = sorted(f["line"] for f in failures)
    assert summary == {
        "prompts": 50,
        "succeeded": 47,
        "failed": 3,
        "skipped": 0,
        "not_run": 0,
        "images": 47,
        "content_filtered": 0,
        "interrupted": False,
        "exit_code": 1,
        "failed_lines": failed_lines,
        "not_run_lines": [],
        "changed_lines": [],
    }
    assert [r.status for r in fake.requests].count(429) == 2
    assert len(fake.requests) == 52  # the two refused prompts were sent once more
    files = pngs(tmp_path / "batch")
    assert len(files) == 47 and all(is_complete_png(f) for f in files)
    assert {str(Path("batch") / f.name) for f in files} == {i["path"] for i in document["images"]}
    # Names start with the line number (prompts begin on line 3 of the file).
    for image in document["images"]:
        line = image["line"]
        assert image["prompt"] == f"prompt number {line - 2}"
        assert Path(image["path"]).name.startswith(f"{line:04d}-prompt-number-{line - 2}-")
    # Not a terminal: plain lines, one per prompt, and a summary listing the failures.
    assert "\r" not in result.stderr
    assert "[50/50]" in result.stderr
    assert "done: 47 of 50 prompts succeeded, 3 failed" in result.stderr
    assert "rate limited: waiting" in result.stderr
    summary_text = result.stderr.split("failures (3):\n", 1)[1]
    listed, _, hint = summary_text.partition("to retry the failed lines, run:\n")
    assert sorted(listed.splitlines()) == sorted(
        f"  line {f['line']}: {f['error']}" for f in failures
    )
    assert hint == (
        "  stability-v1alpha text-to-image --prompts-file prompts.txt --out batch "
        f"--concurrency 5 --max-retries 0 --json --base-url {fake.base_url} --resume\n"
    )


def test_batch_from_stdin(fake: FakeStabilityServer, tmp_path: Path):
    result = cli(
        fake,
        "text-to-image",
        "--prompts-file",
        "-",
        "--samples",
        "2",
        "-q",
        cwd=tmp_path,
        stdin="first\n\nsecond\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet
    names = [p.name for p in pngs(tmp_path)]
    assert len(names) == 4
    assert sum(n.startswith("0001-first-") for n in names) == 2
    assert sum(n.startswith("0003-second-") and n.endswith(("-1.png", "-2.png")) for n in names)


def test_batch_with_an_invalid_prompt_sends_nothing(fake: FakeStabilityServer, tmp_path: Path):
    (tmp_path / "p.txt").write_text("fine\n" + "x" * 2001 + "\nalso fine\n", encoding="utf-8")
    result = cli(fake, "text-to-image", "--prompts-file", "p.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert "line 2: PROMPT=" in result.stderr and "at most 2000 characters" in result.stderr
    assert len(fake.requests) == 0


# -- serve-fake ----------------------------------------------------------------


@posix_only
def test_serve_fake_runs_a_server_the_command_can_use(tmp_path: Path):
    own_key = "sk-serve-fake-key-1234567890"
    server = subprocess.Popen(
        command(None, ("serve-fake", "--port", "0", "--api-key", own_key)),
        env=env(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert "listening on http://" in first, first + server.stderr.read()
        base_url = first.split()[-1]
        result = cli(
            None,
            "text-to-image",
            "cat",
            "--base-url",
            base_url,
            "--out",
            "cat.png",
            cwd=tmp_path,
            key=own_key,
        )
        assert result.returncode == 0, result.stderr
        assert is_complete_png(tmp_path / "cat.png")
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()


# -- output names and inputs -----------------------------------------------------------


def test_out_dash_writes_the_png_to_stdout(fake: FakeStabilityServer, tmp_path: Path):
    result = subprocess.run(
        command(fake, ("text-to-image", "cat", "--seed", "3", "--out", "-")),
        cwd=tmp_path,
        env=env(),
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(io.BytesIO(result.stdout)) as image:
        image.load()  # the complete PNG, every row of it
        assert image.format == "PNG" and image.size == (512, 512)
    assert b"wrote the PNG to stdout (seed 3)" in result.stderr
    assert list(tmp_path.iterdir()) == []
    for extra in (("--samples", "2"), ("--json",)):
        refused = cli(fake, "text-to-image", "cat", "--out", "-", *extra, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stderr.startswith("error: --out -")
    assert len(fake.requests) == 1


def test_a_name_without_png_gets_the_suffix(fake: FakeStabilityServer, tmp_path: Path):
    result = cli(fake, "text-to-image", "cat", "--out", "catfile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["catfile.png"]
    assert "saved catfile.png (seed " in result.stderr


def test_a_non_png_input_is_named_for_what_it_is(fake: FakeStabilityServer, tmp_path: Path):
    Image.new("RGB", (512, 512), (1, 2, 3)).save(tmp_path / "photo.png", format="JPEG")
    (tmp_path / "notes.png").write_text("not a picture\n", encoding="utf-8")
    for name, what in (("photo.png", "is a JPEG image"), ("notes.png", "is text, not an image")):
        result = cli(fake, "image-to-image", name, "a watercolour", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == (
            f"error: INIT {name}: {what}; the API takes PNG images only (convert it first)\n"
        )
    _write_png(tmp_path / "room.png", "RGB", (9, 9, 9))
    _write_png(tmp_path / "small.png", "L", 255, (256, 256))
    masked = cli(fake, "inpaint", "room.png", "a sofa", "--mask", "small.png", cwd=tmp_path)
    assert masked.stderr == (
        "error: --mask='small.png' (256x256): must have the init image's size 512x512\n"
    )
    no_alpha = cli(fake, "inpaint", "room.png", "a sofa", cwd=tmp_path)
    assert no_alpha.stderr.startswith(
        "error: INIT='room.png' (512x512, no alpha): needs an alpha channel"
    )
    assert len(fake.requests) == 0


def test_every_kind_of_stop_adds_up_in_the_summary(fake: FakeStabilityServer, tmp_path: Path):
    (tmp_path / "cat.png").write_bytes(b"mine")
    fake.fail_next(400)
    runs = {
        "existing file": ("text-to-image", "cat", "--out", "cat.png"),
        "bad flag value": ("text-to-image", "cat", "--width", "100"),
        "bad prompt": ("text-to-image", "x" * 2001),
        "API failure": ("text-to-image", "cat", "--out", "dog.png"),
    }
    counts = {}
    for what, args in runs.items():
        summary = json.loads(cli(fake, *args, "--json", cwd=tmp_path).stdout)["summary"]
        counts[what] = (summary["failed"], summary["not_run"], summary["exit_code"])
    assert counts == {
        "existing file": (0, 1, 2),  # the run stopped: the prompt was not run
        "bad flag value": (0, 1, 2),
        "bad prompt": (1, 0, 2),  # the prompt itself failed
        "API failure": (1, 0, 1),
    }
