from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.finish_reason import FinishReason

T = TypeVar("T", bound="Artifact")


@_attrs_define
class Artifact:
    """One generated image of a JSON response.

    Attributes:
        base64 (str): The PNG bytes of the image, base64-encoded.
        seed (float): The seed this image was generated with. Example: 1229191277.
        finish_reason (FinishReason): How the generation of an image ended. `SUCCESS`: normally.
            `ERROR`: the engine failed. `CONTENT_FILTERED`: the safety filter
            flagged the result, which may come back blurred.
    """

    base64: str
    seed: float
    finish_reason: FinishReason
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        base64 = self.base64

        seed = self.seed

        finish_reason = self.finish_reason.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "base64": base64,
                "seed": seed,
                "finishReason": finish_reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        base64 = d.pop("base64")

        seed = d.pop("seed")

        finish_reason = FinishReason(d.pop("finishReason"))

        artifact = cls(
            base64=base64,
            seed=seed,
            finish_reason=finish_reason,
        )

        artifact.additional_properties = d
        return artifact

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
