"""The binding to the generated layer: its pieces found by their role, not by their names.

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


# Turns a caller's plain value into what a generated field holds.
_Converter = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class OperationBinding:
    """How to drive one generated operation.

    ``converters`` has one entry per field of the options model, worked out
    once from its type hints, so building a request costs no introspection.
    """

    get_kwargs: Callable[..., dict[str, Any]]
    body_cls: type
    options_cls: type
    accepts: Mapping[str, enum.Enum]
    unset: Any
    file_cls: type
    converters: Mapping[str, _Converter]
    # The fields of each model, and those it requires (no default), worked out once.
    fields: Mapping[type, frozenset[str]]
    required: Mapping[type, frozenset[str]]

    def accept(self, media_type: str) -> enum.Enum:
        """The generated ``Accept`` member for ``media_type``."""
        member = self.accepts.get(media_type)
        if member is None:
            raise InvalidRequestError(
                "accept", media_type, "is not offered by this version of the API"
            )
        return member

    def options(self, values: Mapping[str, Any]) -> Any:
        """Build the options model from plain values; ``None`` values are left out.

        Every field the caller did not set is passed as UNSET: the generated
        models would otherwise send the spec's defaults on the caller's behalf.
        """
        kwargs = dict.fromkeys(self.converters, self.unset)
        for name, value in values.items():
            if value is None:
                continue
            convert = self.converters.get(name)
            if convert is None:
                raise InvalidRequestError(
                    name, value, "is not supported by this version of the API"
                )
            kwargs[name] = convert(value)
        self._check_required(self.options_cls, kwargs)  # every name is a field, as checked
        return self.options_cls(**kwargs)

    def build(self, cls: type, values: Mapping[str, Any]) -> Any:
        """``cls(**values)``, refusing first what a regenerated model no longer fits.

        A field the spec made required that the call leaves unset would reach
        the wire as ``UNSET`` and fail deep in serialisation; a part the spec
        renamed would be a ``TypeError``. Both become an
        :class:`InvalidRequestError` naming the field, before anything is sent.
        """
        self._check_required(cls, values)
        for name, value in values.items():
            if name not in self.fields[cls]:
                raise InvalidRequestError(
                    name, value, "is not supported by this version of the API"
                )
        return cls(**values)

    def _check_required(self, cls: type, values: Mapping[str, Any]) -> None:
        for name in sorted(self.required[cls]):
            if values.get(name, self.unset) is self.unset:
                raise InvalidRequestError(
                    name, None, "is required by this version of the API and was not given"
                )


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
    option_hints = typing.get_type_hints(options_cls, localns=vars(models))
    fields: dict[type, frozenset[str]] = {}
    required: dict[type, frozenset[str]] = {}
    for cls in (body_cls, options_cls):
        own = [f for f in attrs.fields(cls) if f.name != "additional_properties"]
        fields[cls] = frozenset(f.name for f in own)
        required[cls] = frozenset(f.name for f in own if f.default is attrs.NOTHING)
    return OperationBinding(
        get_kwargs=get_kwargs,
        body_cls=body_cls,
        options_cls=options_cls,
        accepts={member.value: member for member in hints["accept"]},
        unset=generated_types.UNSET,
        file_cls=generated_types.File,
        converters={
            field.name: _converter(field.name, option_hints[field.name])
            for field in attrs.fields(options_cls)
            if field.name != "additional_properties"
        },
        fields=fields,
        required=required,
    )


def _strip_unset(hint: Any) -> Any:
    """``X | Unset`` -> ``X``."""
    args = [a for a in typing.get_args(hint) if getattr(a, "__name__", "") != "Unset"]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return args[0] if len(args) == 1 else hint
    return hint


def _converter(name: str, hint: Any) -> _Converter:
    """How to turn a plain value into what the generated field holds."""
    target = _strip_unset(hint)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        enum_cls: Any = target
        allowed = [member.value for member in enum_cls]

        def to_enum(value: Any) -> Any:
            check_enum(name, value, allowed)
            return enum_cls(value)

        return to_enum
    if typing.get_origin(target) is list:
        (item_type,) = typing.get_args(target)
        item_type = _strip_unset(item_type)
        if isinstance(item_type, type) and hasattr(item_type, "from_dict"):
            from_dict = item_type.from_dict
            return lambda value: [from_dict(item) for item in value]
    return _identity


def _identity(value: Any) -> Any:
    return value
