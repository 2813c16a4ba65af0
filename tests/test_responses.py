"""Reading success bodies: media type and count checks, artifact scanning edge cases."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from stability_v1alpha import MalformedResponseError
from stability_v1alpha._responses import SuccessReader
from support import png

PNG = png(64, 64)
B64 = base64.b64encode(PNG).decode()


def read(body: bytes, *, content_type: str, accept: str, samples: int = 1, chunk: int = 7) -> Any:
    reader = SuccessReader(
        200,
        {"content-type": content_type, "seed": "11"},
        accept=accept,
        samples=samples,
        requested_seed=None,
    )
    for start in range(0, len(body), chunk):
        reader.feed(body[start : start + chunk])
    return reader.finish()


def artifacts(*items: dict[str, Any]) -> bytes:
    return json.dumps(list(items)).encode()


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [
        ("application/json", "image/png"),
        ("image/png", "application/json"),
        ("", "image/png"),
        ("text/html", "image/png"),
    ],
)
def test_a_body_of_another_type_than_asked_for_is_malformed(content_type: str, accept: str) -> None:
    with pytest.raises(MalformedResponseError) as info:
        read(PNG, content_type=content_type, accept=accept, samples=2 if "json" in accept else 1)
    assert info.value.status_code == 200


def test_the_number_of_artifacts_must_match_the_samples_asked_for() -> None:
    body = artifacts({"base64": B64, "seed": 1, "finishReason": "SUCCESS"})
    with pytest.raises(MalformedResponseError, match="asked for 3 images"):
        read(body, content_type="application/json", accept="application/json", samples=3)


def test_a_nested_base64_field_is_extra_data_not_an_image() -> None:
    body = artifacts(
        {"meta": {"base64": "not base64!"}, "base64": B64, "seed": 4, "finishReason": "SUCCESS"},
        {"base64": B64, "seed": 5, "finishReason": "SUCCESS", "extra": ["base64", {"base64": 1}]},
    )
    generation = read(body, content_type="application/json", accept="application/json", samples=2)
    assert [image.data for image in generation.images] == [PNG, PNG]
    assert [image.seed for image in generation.images] == [4, 5]


@pytest.mark.parametrize("chunk", [1, 3, 64, 10_000])
def test_escaped_slashes_and_line_breaks_in_base64_are_read(chunk: int) -> None:
    wrapped = "\\n".join(B64[i : i + 76] for i in range(0, len(B64), 76)).replace("/", "\\/")
    body = ('[{"base64": "' + wrapped + '", "seed": 2, "finishReason": "SUCCESS"}]').encode()
    generation = read(body, content_type="application/json", accept="application/json", chunk=chunk)
    assert generation.image.data == PNG


@pytest.mark.parametrize(
    "body",
    [b'{"base64": "x"}', b'[{"base64": "' + B64.encode() + b'"', b"[{]", b'[{"base64": "@@@@"}]'],
    ids=["object", "cut", "syntax", "alphabet"],
)
def test_malformed_json_bodies_carry_the_status_code(body: bytes) -> None:
    with pytest.raises(MalformedResponseError) as info:
        read(body, content_type="application/json", accept="application/json")
    assert info.value.status_code == 200
