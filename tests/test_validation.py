"""Input hostility: each hostile argument gets a clear InvalidRequestError, and nothing is sent.

Huge prompts, non-UTF-8 bytes, NaN and infinities, negative numbers and
bools where integers belong, paths that do not exist or are directories or
devices, zero-byte and 100 MB images, masks of the wrong size. For each: the
exact exception class, the argument it names (``.field``), a phrase of the
rule in the message, a message short enough to read, and an empty request log
on the fake server. Client settings are checked in ``test_client.py``, the
command line's arguments in ``test_cli_units.py``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from stability_v1alpha import InvalidRequestError, Prompt
from stability_v1alpha.testing import FakeStabilityServer
from support import KINDS, PNG_8, PNG_HEADERS, call, png

HUNDRED_MB = 100 * 1024 * 1024


def refused(
    fake: FakeStabilityServer,
    kind: str,
    method: str,
    *args: Any,
    field: str,
    phrase: str,
    client_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> InvalidRequestError:
    fake.reset()
    with pytest.raises(InvalidRequestError) as info:
        call(kind, fake.base_url, method, *args, client_options=client_options, **kwargs)
    error = info.value
    assert error.field == field, (error.field, str(error))
    assert phrase in str(error), str(error)
    assert str(error).startswith(field)
    assert str(error).count(f"{field}=") == 1, f"nested message: {error}"
    assert len(str(error)) < 400, f"message of {len(str(error))} characters"
    assert len(fake.requests) == 0 and fake.connections_opened == 0
    assert isinstance(error, ValueError)  # also catchable as the builtin
    return error


T2I = "text_to_image"
I2I = "image_to_image"
INPAINT = "inpaint"


# ------------------------------------------------------------------------------------------------
# Prompts
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_huge_prompt(kind: str, fake: FakeStabilityServer) -> None:
    error = refused(fake, kind, T2I, "x" * 10_000_000, field="prompt", phrase="at most 2000")
    assert "10000000" in str(error)  # says how long it was, without printing it


def test_prompt_of_exactly_2000_characters_is_accepted(fake: FakeStabilityServer) -> None:
    fake.reset()
    fake.respond_next(200, PNG_8, PNG_HEADERS)
    call("sync", fake.base_url, T2I, "é" * 1999 + "\U0001f600")  # code points, not bytes
    assert fake.requests.last.validation_errors == ()


@pytest.mark.parametrize(
    ("prompt", "field", "phrase"),
    [
        (b"\xff\xfe not utf-8", "prompt", "must be a string"),
        (b"\xff".decode("utf-8", "surrogateescape"), "prompt", "valid Unicode"),
        (["ok", b"\xc3\x28"], "prompt[1]", "must be a string"),
        ("", "prompt", "must not be empty"),
        ("\u3000\t\n", "prompt", "must not be empty"),
        ([], "prompt", "at least one"),
        (None, "prompt", "must be a string"),
        (("x", float("nan")), "prompt.weight", "finite"),
        (Prompt("x", float("inf")), "prompt.weight", "finite"),
        ([Prompt("a"), ("b", True)], "prompt[1].weight", "must be a number"),
    ],
    ids=[
        "bytes",
        "surrogate-escaped",
        "bytes-in-list",
        "empty",
        "blank",
        "empty-list",
        "none",
        "nan-weight",
        "inf-weight",
        "bool-weight",
    ],
)
def test_bad_prompts(prompt: Any, field: str, phrase: str, fake: FakeStabilityServer) -> None:
    refused(fake, "sync", T2I, prompt, field=field, phrase=phrase)


def test_bad_negative_prompt(fake: FakeStabilityServer) -> None:
    refused(fake, "sync", T2I, "x", negative_prompt=b"\xff", field="negative_prompt", phrase="str")
    refused(
        fake, "async", T2I, "x", negative_prompt="n" * 2001, field="negative_prompt", phrase="2000"
    )


# ------------------------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------------------------

NUMBERS = [
    ("cfg_scale", float("nan"), "finite"),
    ("cfg_scale", float("inf"), "finite"),
    ("cfg_scale", -float("inf"), "finite"),
    ("cfg_scale", -1, "between 0 and 35"),
    ("cfg_scale", True, "must be a number"),
    ("cfg_scale", "7", "must be a number"),
    ("steps", -1, "between 10 and 150"),
    ("steps", 0, "between 10 and 150"),
    ("steps", True, "must be an integer"),
    ("steps", 50.0, "must be an integer"),
    ("steps", float("nan"), "must be an integer"),
    ("seed", -1, "between 0 and 2147483647"),
    ("seed", 2**31, "between 0 and 2147483647"),
    ("seed", False, "must be an integer"),
    ("seed", float("inf"), "must be an integer"),
    ("samples", 0, "between 1 and 10"),
    ("samples", True, "must be an integer"),
    ("samples", None, "must be an integer"),
    ("width", -512, "between 512 and 2048"),
    ("width", True, "must be an integer"),
    ("width", 600, "multiple of 64"),
    ("height", 512.0, "must be an integer"),
    ("height", 10**100, "between 512 and 2048"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("name", "value", "phrase"), NUMBERS, ids=[f"{n}={v!r}" for n, v, _ in NUMBERS]
)
def test_bad_numbers(
    kind: str, name: str, value: Any, phrase: str, fake: FakeStabilityServer
) -> None:
    refused(fake, kind, T2I, "x", field=name, phrase=phrase, **{name: value})


def test_pixel_budget(fake: FakeStabilityServer) -> None:
    refused(fake, "sync", T2I, "x", width=2048, height=1024, field="width*height", phrase="pixels")
    refused(
        fake, "sync", T2I, "x", width=2048, height=576, field="width*height", phrase="1,048,576"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("step_schedule_start", float("nan")),
        ("step_schedule_end", float("-inf")),
        ("step_schedule_start", -0.5),
        ("step_schedule_end", True),
    ],
)
def test_bad_step_schedule(name: str, value: Any, fake: FakeStabilityServer) -> None:
    refused(fake, "sync", I2I, PNG_8, "x", field=name, phrase="", **{name: value})


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("sampler", "k_euler", "must be one of"),
        ("sampler", 3, "must be a string"),
        ("clip_guidance_preset", "FASTEST", "must be one of"),
        ("engine", "", "non-empty"),
        ("engine", None, "non-empty"),
    ],
)
def test_bad_choices(name: str, value: Any, phrase: str, fake: FakeStabilityServer) -> None:
    refused(fake, "async", T2I, "x", field=name, phrase=phrase, **{name: value})


def test_engine_cannot_escape_its_path_segment(fake: FakeStabilityServer) -> None:
    """An engine id with slashes is one (unknown) engine, not another route."""
    from stability_v1alpha import NotFoundError

    fake.reset()
    with pytest.raises(NotFoundError):
        call("sync", fake.base_url, T2I, "x", engine="../../v1alpha/generation/x/text-to-image?")
    (record,) = fake.requests.snapshot()
    assert record.engine_id == "../../v1alpha/generation/x/text-to-image?"


# ------------------------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------------------------


def test_missing_path_and_directory(fake: FakeStabilityServer, tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    refused(fake, "sync", I2I, missing, "x", field="init_image", phrase="does not exist")
    refused(fake, "async", I2I, str(missing), "x", field="init_image", phrase="does not exist")
    refused(fake, "sync", I2I, tmp_path, "x", field="init_image", phrase="is a directory")
    refused(
        fake,
        "sync",
        INPAINT,
        PNG_8,
        "x",
        mask_image=str(tmp_path),
        field="mask_image",
        phrase="directory",
    )


def test_zero_byte_images(fake: FakeStabilityServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    refused(fake, "sync", I2I, empty, "x", field="init_image", phrase="is empty (0 bytes)")
    refused(fake, "sync", I2I, b"", "x", field="init_image", phrase="is empty (0 bytes)")
    refused(fake, "async", I2I, io.BytesIO(), "x", field="init_image", phrase="is empty")
    refused(
        fake, "sync", INPAINT, PNG_8, "x", mask_image=b"", field="mask_image", phrase="is empty"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_100_mb_images(kind: str, fake: FakeStabilityServer, tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:  # sparse: costs no disk and no time
        file.write(PNG_8)
        file.truncate(HUNDRED_MB)
    refused(fake, kind, I2I, huge, "x", field="init_image", phrase="upload limit")
    data = PNG_8 + bytes(HUNDRED_MB - len(PNG_8))
    refused(fake, kind, I2I, data, "x", field="init_image", phrase="upload limit")
    refused(fake, kind, I2I, io.BytesIO(data), "x", field="init_image", phrase="upload limit")
    refused(
        fake,
        kind,
        INPAINT,
        PNG_8,
        "x",
        mask_image=memoryview(data),
        field="mask_image",
        phrase="limit",
    )


def test_upload_limit_is_configurable(fake: FakeStabilityServer) -> None:
    big = png(64, 64)
    refused(
        fake,
        "sync",
        I2I,
        big,
        "x",
        field="init_image",
        phrase="upload limit of 100 bytes",
        client_options={"max_upload_bytes": 100},
    )


def test_a_generous_upload_limit_allocates_nothing_up_front(
    fake: FakeStabilityServer, tmp_path: Path
) -> None:
    """max_upload_bytes of 1 TiB or 10**20: files are read in pieces, not read(limit)."""
    path = tmp_path / "small.png"
    path.write_bytes(PNG_8)
    for limit in (1 << 40, 10**20):
        for image in (path, str(path), io.BytesIO(PNG_8)):
            fake.reset()
            fake.respond_next(200, PNG_8, PNG_HEADERS)
            call("sync", fake.base_url, I2I, image, "x", client_options={"max_upload_bytes": limit})
            assert fake.requests.last.parts["init_image"].data == PNG_8


def test_devices_are_read_with_a_bound(fake: FakeStabilityServer) -> None:
    """/dev/zero says it is 0 bytes long and never ends: read up to the limit, then refuse."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    refused(
        fake,
        "sync",
        I2I,
        "/dev/zero",
        "x",
        field="init_image",
        phrase="upload limit",
        client_options={"max_upload_bytes": 1 << 20},
    )
    refused(fake, "sync", I2I, "/dev/null", "x", field="init_image", phrase="is empty")


@pytest.mark.parametrize(
    ("image", "phrase"),
    [
        (b"GIF89a" + bytes(100), "must be a PNG image"),
        (PNG_8[:20], "truncated"),
        (PNG_8[:16] + b"\x00" * 13 + PNG_8[29:], "CRC"),
        ("x" * 5000, "File name too long"),
        (12345, "must be a path, bytes"),
        (object(), "must be a path, bytes"),
    ],
    ids=["gif", "truncated-header", "bad-crc", "long-path", "int", "object"],
)
def test_not_images(image: Any, phrase: str, fake: FakeStabilityServer) -> None:
    refused(fake, "sync", I2I, image, "x", field="init_image", phrase=phrase)


def test_file_objects(fake: FakeStabilityServer, tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(PNG_8)
    with path.open("r", encoding="latin-1") as text_mode:
        refused(fake, "sync", I2I, text_mode, "x", field="init_image", phrase="binary mode")
    closed = path.open("rb")
    closed.close()
    refused(fake, "sync", I2I, closed, "x", field="init_image", phrase="could not be read")
    with path.open("rb") as binary:  # and the happy path, for contrast
        fake.reset()
        fake.respond_next(200, PNG_8, PNG_HEADERS)
        call("sync", fake.base_url, I2I, binary, "x")
        assert fake.requests.last.parts["init_image"].data == PNG_8


def test_mask_of_the_wrong_size(fake: FakeStabilityServer) -> None:
    error = refused(
        fake,
        "sync",
        INPAINT,
        png(64, 64),
        "x",
        mask_image=png(64, 65),
        field="mask_image",
        phrase="must have the init image's size 64x64",
    )
    assert "64x65" in str(error)


def test_mask_rules(fake: FakeStabilityServer) -> None:
    refused(
        fake,
        "async",
        INPAINT,
        png(8, 8),
        "x",
        mask_source="MASK_IMAGE_BLACK",
        field="mask_image",
        phrase="is required when mask_source is MASK_IMAGE_BLACK",
    )
    refused(fake, "sync", INPAINT, png(8, 8), "x", field="init_image", phrase="alpha channel")
    refused(
        fake,
        "sync",
        INPAINT,
        png(8, 8, alpha=0x80),
        "x",
        mask_source="ALPHA",
        field="mask_source",
        phrase="must be one of",
    )


def test_pil_images(fake: FakeStabilityServer) -> None:
    from PIL import Image

    refused(fake, "sync", I2I, Image.new("CMYK", (8, 8)), "x", field="init_image", phrase="PNG")
    fake.reset()
    fake.respond_next(200, PNG_8, PNG_HEADERS)
    call("sync", fake.base_url, I2I, Image.new("RGB", (8, 8), "red"), "x")
    assert fake.requests.last.validation_errors == ()
