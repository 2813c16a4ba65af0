"""Constructor changes of the generated attrs models, which griffe's API diff misses.

The generated models are ``@define`` classes: attrs writes their ``__init__``
from the annotated fields, in order, a field without a default being a
required argument. griffe sees the fields as attributes only, so a field that
became required, a new required field or a changed annotation goes unreported.
:func:`field_breakages` reads the fields of each model present in both packages
(statically, through the griffe objects already loaded) and reports, in the
shape of :func:`.code_impact._breakage`:

* a new required argument, or an optional one that became required;
* a removed field, or a renamed one (one removed and one added with the same
  annotation at the same position);
* a changed annotation (other than ``X`` becoming ``X | Unset``, which only
  makes the argument optional);
* required arguments in a new order (positional calls pass the wrong values).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import griffe

_ATTRS_DECORATORS = {"_attrs_define", "define", "attrs.define", "attr.s", "attrs.frozen", "frozen"}


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str
    required: bool


def _classes(obj: griffe.Object) -> Iterator[griffe.Class]:
    for member in obj.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Module):
            yield from _classes(member)
        elif isinstance(member, griffe.Class) and any(
            str(d.value).split("(")[0] in _ATTRS_DECORATORS for d in member.decorators
        ):
            yield member


def attrs_models(pkg: griffe.Object) -> dict[str, list[Field]]:
    """Path of each attrs class -> its ``__init__`` fields in order."""
    out: dict[str, list[Field]] = {}
    for cls in _classes(pkg):
        fields = []
        for member in cls.members.values():
            if member.is_alias or not isinstance(member, griffe.Attribute):
                continue
            value = "" if member.value is None else str(member.value)
            if member.annotation is None or "property" in member.labels or "init=False" in value:
                continue
            fields.append(Field(member.name, str(member.annotation), member.value is None))
        fields.sort(key=lambda f: cls.members[f.name].lineno or 0)
        out[cls.path] = fields
    return out


def _only_made_optional(old: Field, new: Field) -> bool:
    """``x: X`` became ``x: X | Unset = UNSET``: only the requiredness changed (the reverse,
    read with the arguments swapped, is reported as "became required" alone)."""
    return old.required != new.required and new.annotation == f"{old.annotation} | Unset"


def field_breakages(old_pkg: griffe.Object, new_pkg: griffe.Object) -> list[dict[str, Any]]:
    old_models, new_models = attrs_models(old_pkg), attrs_models(new_pkg)
    out: list[dict[str, Any]] = []
    for path in sorted(old_models.keys() & new_models.keys()):
        out += _compare(path, old_models[path], new_models[path])
    return out


def covered_paths(old_pkg: griffe.Object, new_pkg: griffe.Object) -> set[str]:
    """Field paths :func:`field_breakages` judges, so griffe's verdicts on them can be dropped."""
    new_models = attrs_models(new_pkg)
    return {
        f"{path}.{f.name}"
        for path, fields in attrs_models(old_pkg).items()
        if path in new_models
        for f in fields
    }


def _compare(path: str, old: list[Field], new: list[Field]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    old_by, new_by = {f.name: f for f in old}, {f.name: f for f in new}
    added = [f for f in new if f.name not in old_by]
    renamed_to: set[str] = set()
    for index, gone in enumerate(old):
        if gone.name in new_by:
            continue
        twin = next(
            (f for f in added if f.annotation == gone.annotation and new.index(f) == index), None
        )
        if twin is not None:
            renamed_to.add(twin.name)
            out.append(_item("field_renamed", f"{path}.{gone.name}", gone.name, twin.name))
        else:
            out.append(_item("field_removed", f"{path}.{gone.name}", gone.annotation, ""))
    for f in added:
        if f.required and f.name not in renamed_to:
            out.append(_item("required_field_added", f"{path}.{f.name}", "", f.annotation))
    for o in old:
        n = new_by.get(o.name)
        if n is None or (_only_made_optional(o, n) and o.required):
            continue
        if not o.required and n.required:
            out.append(_item("field_became_required", f"{path}.{o.name}", "optional", "required"))
        if o.annotation != n.annotation and not _only_made_optional(n, o):
            out.append(_item("field_type_changed", f"{path}.{o.name}", o.annotation, n.annotation))
    old_order = [f.name for f in old if f.required and f.name in new_by]
    new_order = [f.name for f in new if f.required and f.name in old_by]
    if old_order != new_order and sorted(old_order) == sorted(new_order):
        out.append(
            _item("required_fields_reordered", path, ", ".join(old_order), ", ".join(new_order))
        )
    return out


_SENTENCES = {
    "field_renamed": "field renamed",
    "field_removed": "field removed",
    "required_field_added": "new required argument",
    "field_became_required": "argument became required",
    "field_type_changed": "field type changed",
    "required_fields_reordered": "required arguments reordered",
}


def _item(kind: str, obj: str, old: str, new: str) -> dict[str, Any]:
    """One breakage, shaped like the griffe ones in the report."""
    return {
        "kind": kind,
        "object": obj,
        "old": old,
        "new": new,
        "explanation": f"{obj}: {_SENTENCES[kind]} ({old or '-'} -> {new or '-'}) "
        "in the attrs-generated __init__",
    }
