from __future__ import annotations

import json
from collections.abc import Mapping
from io import BytesIO
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import File

if TYPE_CHECKING:
    from ..models.image_to_image_options import ImageToImageOptions


T = TypeVar("T", bound="ImageToImageRequestBody")


@_attrs_define
class ImageToImageRequestBody:
    """
    Attributes:
        init_image (File): The PNG image the generation starts from.
        options (ImageToImageOptions): Generation parameters of an image-to-image request, sent as the JSON
            `options` part of the multipart body.
    """

    init_image: File
    options: ImageToImageOptions
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        init_image = self.init_image.to_tuple()

        options = self.options.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "init_image": init_image,
                "options": options,
            }
        )

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("init_image", self.init_image.to_tuple()))

        files.append(
            (
                "options",
                (None, json.dumps(self.options.to_dict()).encode(), "application/json"),
            )
        )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.image_to_image_options import ImageToImageOptions

        d = dict(src_dict)
        init_image = File(payload=BytesIO(d.pop("init_image")))

        options = ImageToImageOptions.from_dict(d.pop("options"))

        image_to_image_request_body = cls(
            init_image=init_image,
            options=options,
        )

        image_to_image_request_body.additional_properties = d
        return image_to_image_request_body

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
