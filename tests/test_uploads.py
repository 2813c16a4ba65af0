"""Crafted uploads: images whose bytes look like multipart framing are sent intact.

The generated client fixes the multipart boundary to ``+++``; an image that
contains ``\\r\\n--+++`` plus a forged part would end its own part early and
smuggle in form fields. The facade re-encodes every body with a random
boundary that does not occur in the payload. Here the fake server parses what
arrived and must see exactly the parts the caller meant: the same image
bytes, the intended options, and no other field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stability_v1alpha import _requests
from stability_v1alpha.testing import FakeStabilityServer
from support import KINDS, call, png

INJECTED_OPTIONS = b'{"text_prompts": [{"text": "INJECTED"}], "steps": 150, "samples": 1}'


def forged_parts(boundary: bytes) -> bytes:
    """What an attacker appends to end the image part and add fields of their own."""
    return (
        b"\r\n--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="options"\r\n'
        b"Content-Type: application/json\r\n\r\n" + INJECTED_OPTIONS + b"\r\n"
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="mask_image"; filename="x.png"\r\n'
        b"Content-Type: image/png\r\n\r\nEVIL\r\n"
        b"--" + boundary + b"--\r\n"
    )


def png_with(payload: bytes, *, width: int = 8, height: int = 8, alpha: int | None = None) -> bytes:
    """A valid PNG carrying ``payload`` in an ancillary (private, safe-to-copy) chunk."""
    return png(width, height, alpha=alpha, extra_chunks=((b"prVt", payload),))


def only_request(fake: FakeStabilityServer) -> Any:
    (record,) = fake.requests.snapshot()
    assert record.validation_errors == (), record.validation_errors
    return record


def check_parts(record: Any, expected: dict[str, bytes], prompt: str) -> None:
    assert set(record.parts) == {*expected, "options"}, sorted(record.parts)
    for name, data in expected.items():
        assert record.parts[name].data == data, f"{name} altered in transit"
    options = json.loads(record.parts["options"].data)
    assert [p["text"] for p in options["text_prompts"]] == [prompt]
    assert "steps" not in options  # the forged options did not win
    body = record.body
    boundary = record.headers["Content-Type"].split("boundary=", 1)[1].strip('"').encode()
    assert body.count(b"--" + boundary) == len(expected) + 2  # parts + closing delimiter


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("boundary", [b"+++", b"", b"--", b"0123456789abcdef0123456789abcdef"])
def test_image_containing_a_forged_part_is_sent_intact(
    kind: str, boundary: bytes, fake: FakeStabilityServer
) -> None:
    init = png_with(b"\r\n\r\n--\r\n" + forged_parts(boundary) + b"\r\n--\r\n")
    fake.reset()
    call(kind, fake.base_url, "image_to_image", init, "a honest prompt", step_schedule_start=0.5)
    check_parts(only_request(fake), {"init_image": init}, "a honest prompt")


@pytest.mark.parametrize("kind", KINDS)
def test_init_and_mask_both_crafted(kind: str, fake: FakeStabilityServer) -> None:
    init = png_with(forged_parts(b"+++"), width=16, height=16)
    mask = png(16, 16, fill=b"\xff\xff\xff", extra_chunks=((b"prVt", forged_parts(b"+++")),))
    fake.reset()
    call(kind, fake.base_url, "inpaint", init, "fill it", mask_image=mask)
    record = only_request(fake)
    check_parts(record, {"init_image": init, "mask_image": mask}, "fill it")
    assert json.loads(record.parts["options"].data)["mask_source"] == "MASK_IMAGE_WHITE"


def test_the_boundary_is_drawn_again_when_the_payload_contains_it(
    fake: FakeStabilityServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's boundary is kept until a payload contains it; that one gets another."""
    colliding = "c0ffee" * 5 + "00"
    fresh = "5afe" * 8
    monkeypatch.setattr(_requests, "_BOUNDARY", colliding)
    drawn = iter([colliding, fresh])  # the first redraw collides again
    monkeypatch.setattr(_requests.secrets, "token_hex", lambda n=None: next(drawn))
    plain = png(8, 8)
    crafted = png_with(forged_parts(colliding.encode()))
    fake.reset()
    for init in (plain, crafted, plain):
        call("sync", fake.base_url, "image_to_image", init, "prompt")
    records = fake.requests.snapshot()
    boundaries = [r.headers["Content-Type"].split("boundary=", 1)[1] for r in records]
    assert boundaries == [colliding, fresh, colliding]
    for record, init in zip(records, (plain, crafted, plain), strict=True):
        assert record.validation_errors == ()
        check_parts(record, {"init_image": init}, "prompt")


def test_prompt_text_with_framing_characters_stays_in_the_options(
    fake: FakeStabilityServer,
) -> None:
    prompt = '--+++\r\nContent-Disposition: form-data; name="x"\r\n\r\n"quoted" \\ \x00 end'
    init = png(8, 8)
    fake.reset()
    call("sync", fake.base_url, "image_to_image", init, prompt)
    check_parts(only_request(fake), {"init_image": init}, prompt)


DANGEROUS = [
    b"\r\n",
    b"--",
    b"+++",
    b"\r\n--+++",
    b"\r\n--+++--",
    b'Content-Disposition: form-data; name="options"',
    b"\r\n\r\n",
    b'"',
    b"\x00",
    b"--\r\n",
    b"boundary=",
]
payloads = st.lists(st.sampled_from(DANGEROUS) | st.binary(max_size=16), max_size=24).map(b"".join)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(init_payload=payloads, mask_payload=payloads)
def test_any_bytes_in_the_images_arrive_unchanged(
    init_payload: bytes, mask_payload: bytes, fake: FakeStabilityServer
) -> None:
    init = png_with(init_payload, alpha=0x80)
    mask = png(8, 8, fill=b"\x00\x00\x00", extra_chunks=((b"prVt", mask_payload),))
    fake.reset()
    call(
        "sync", fake.base_url, "inpaint", init, "p", mask_image=mask, mask_source="MASK_IMAGE_BLACK"
    )
    check_parts(only_request(fake), {"init_image": init, "mask_image": mask}, "p")
