from __future__ import annotations

import json
from collections.abc import Mapping
from io import BytesIO
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, FileTypes, Unset

if TYPE_CHECKING:
    from ..models.masking_options import MaskingOptions


T = TypeVar("T", bound="MaskingRequestBody")


@_attrs_define
class MaskingRequestBody:
    """
    Attributes:
        init_image (File): The PNG image to edit.
        options (MaskingOptions): Generation parameters of a masking request, sent as the JSON `options`
            part of the multipart body. There are no step schedule fields here.
        mask_image (File | Unset): PNG mask with the same width and height as `init_image`. Which of
            its pixels are regenerated depends on `options.mask_source`.
            Required unless `mask_source` is `INIT_IMAGE_ALPHA`.
    """

    init_image: File
    options: MaskingOptions
    mask_image: File | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        init_image = self.init_image.to_tuple()

        options = self.options.to_dict()

        mask_image: FileTypes | Unset = UNSET
        if not isinstance(self.mask_image, Unset):
            mask_image = self.mask_image.to_tuple()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "init_image": init_image,
                "options": options,
            }
        )
        if mask_image is not UNSET:
            field_dict["mask_image"] = mask_image

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

        if not isinstance(self.mask_image, Unset):
            files.append(("mask_image", self.mask_image.to_tuple()))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.masking_options import MaskingOptions

        d = dict(src_dict)
        init_image = File(payload=BytesIO(d.pop("init_image")))

        options = MaskingOptions.from_dict(d.pop("options"))

        _mask_image = d.pop("mask_image", UNSET)
        mask_image: File | Unset
        if isinstance(_mask_image, Unset):
            mask_image = UNSET
        else:
            mask_image = File(payload=BytesIO(_mask_image))

        masking_request_body = cls(
            init_image=init_image,
            options=options,
            mask_image=mask_image,
        )

        masking_request_body.additional_properties = d
        return masking_request_body

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
