from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TextPrompt")


@_attrs_define
class TextPrompt:
    """One prompt and how much it pulls the image towards itself.

    Attributes:
        text (str): The prompt text, at most 2000 characters. Example: A lighthouse on a cliff at dawn, oil painting.
        weight (float | Unset): Relative strength of this prompt. A negative weight turns it into a
            negative prompt: the image is steered away from it.
             Example: 0.8.
    """

    text: str
    weight: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        weight = self.weight

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
            }
        )
        if weight is not UNSET:
            field_dict["weight"] = weight

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        text = d.pop("text")

        weight = d.pop("weight", UNSET)

        text_prompt = cls(
            text=text,
            weight=weight,
        )

        text_prompt.additional_properties = d
        return text_prompt

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
