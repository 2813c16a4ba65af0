"""How the facade drives the generated layer: pieces found by role, typed errors for gaps.

A regenerated client may lack something the facade asks for (an ``Accept``
value, an options field); the caller must then get an InvalidRequestError
naming it, not a ValueError or KeyError from the generated code.
"""

from __future__ import annotations

import dataclasses
import enum

import pytest
from stability_v1alpha import InvalidRequestError
from stability_v1alpha._binding import binding

OPERATIONS = ("text_to_image", "image_to_image", "masking")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_offers_png_and_json(operation: str) -> None:
    op = binding(operation)
    assert op.accept("image/png").value == "image/png"
    assert op.accept("application/json").value == "application/json"
    assert {"text_prompts", "samples", "seed", "width", "height"} <= set(op.converters)


def test_an_accept_value_the_api_does_not_offer_is_a_typed_error() -> None:
    class OnlyJSON(enum.Enum):
        APPLICATIONJSON = "application/json"

    op = dataclasses.replace(binding("text_to_image"), accepts={m.value: m for m in OnlyJSON})
    with pytest.raises(InvalidRequestError, match="not offered by this version") as info:
        op.accept("image/png")
    assert info.value.field == "accept"


def test_an_options_field_the_api_does_not_know_is_a_typed_error() -> None:
    op = binding("text_to_image")
    with pytest.raises(InvalidRequestError, match="not supported by this version"):
        op.options({"text_prompts": [{"text": "a kite", "weight": 1.0}], "style": "noir"})
    # None means "not set": nothing is sent for it, known field or not.
    options = op.options({"text_prompts": [{"text": "a kite"}], "seed": None, "style": None})
    assert options.to_dict() == {"text_prompts": [{"text": "a kite"}]}
