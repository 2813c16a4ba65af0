"""Finding the generated layer's pieces by their role, not by their names.

The facade needs, per operation, the request builder (``_get_kwargs``), the
body model, the options model and the enums of its fields. Class names come
from component names in the spec, which may be renamed without changing a
byte on the wire; so they are read from the builder's type hints instead of
being imported by name. Only the operation modules (named after operationIds)
and the wire field names are fixed points.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._exceptions import InvalidRequestError
from ._validation import check_enum

__all__ = ["OperationBinding", "binding"]

_MODULES = {
    "text_to_image": "text_to_image",
    "image_to_image": "image_to_image",
    "masking": "masking",
}


@dataclass(frozen=True, slots=True)
class OperationBinding:
    """How to drive one generated operation."""

    get_kwargs: Callable[..., dict[str, Any]]
    body_cls: type
    options_cls: type
    accept_cls: type[enum.Enum]
    body_hints: Mapping[str, Any]
    option_hints: Mapping[str, Any]
    unset: Any
    file_cls: type
    option_fields: frozenset[str]

    def options(self, values: Mapping[str, Any]) -> Any:
        """Build the options model from plain values; ``None`` values are left out.

        Every field the caller did not set is passed as UNSET: the generated
        models would otherwise send the spec's defaults on the caller's behalf.
        """
        known = self.option_fields
        for name, value in values.items():
            if value is not None and name not in known:
                raise InvalidRequestError(
                    name, value, "is not supported by this version of the API"
                )
        kwargs = {
            name: self.unset
            if values.get(name) is None
            else _convert(name, values[name], self.option_hints[name])
            for name in known
        }
        return self.options_cls(**kwargs)


@functools.cache
def binding(operation: str) -> OperationBinding:
    """The generated pieces for ``operation`` (text_to_image, image_to_image, masking)."""
    import importlib

    import attrs
    from stability_v1alpha_api import models
    from stability_v1alpha_api import types as generated_types

    module = importlib.import_module(
        f"stability_v1alpha_api.api.v1alphageneration.{_MODULES[operation]}"
    )
    get_kwargs = module._get_kwargs
    hints = typing.get_type_hints(get_kwargs)
    body_cls = hints["body"]
    body_hints = typing.get_type_hints(body_cls, localns=vars(models))
    options_cls = _strip_unset(body_hints["options"]) if "options" in body_hints else body_cls
    option_fields = frozenset(f.name for f in attrs.fields(options_cls)) - {"additional_properties"}
    return OperationBinding(
        get_kwargs=get_kwargs,
        body_cls=body_cls,
        options_cls=options_cls,
        accept_cls=hints["accept"],
        body_hints=body_hints,
        option_hints=typing.get_type_hints(options_cls, localns=vars(models)),
        unset=generated_types.UNSET,
        file_cls=generated_types.File,
        option_fields=option_fields,
    )


def _strip_unset(hint: Any) -> Any:
    """``X | Unset`` -> ``X``."""
    args = [a for a in typing.get_args(hint) if getattr(a, "__name__", "") != "Unset"]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return args[0] if len(args) == 1 else hint
    return hint


def _convert(name: str, value: Any, hint: Any) -> Any:
    """Turn a plain value into what the generated field holds (enums, nested models)."""
    target = _strip_unset(hint)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        check_enum(name, value, [member.value for member in target])
        return target(value)
    if typing.get_origin(target) is list:
        (item_type,) = typing.get_args(target)
        item_type = _strip_unset(item_type)
        if isinstance(item_type, type) and hasattr(item_type, "from_dict"):
            return [item_type.from_dict(item) for item in value]
    return value
