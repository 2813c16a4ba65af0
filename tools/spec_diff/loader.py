"""Loading OpenAPI documents and resolving their local ``$ref``s.

The comparer never follows ``$ref`` by hand: it asks a :class:`Spec` for the
object behind a reference, and for a schema's *effective* shape with
``allOf`` merged (:meth:`Spec.flatten`). Keeping that here means the comparer
sees one plain dict per schema, whether the author wrote it inline, behind a
chain of refs, or as ``allOf: [$ref, {...}]`` as our spec does for
``ImageToImageOptions`` and ``clip_guidance_preset``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import yaml

JSONObj = dict[str, Any]

# Keywords whose values constrain from above or below: merging two of them in
# an allOf keeps the tighter one, because an instance must satisfy both.
_TIGHTEST = {
    "maximum": min,
    "exclusiveMaximum": min,
    "maxLength": min,
    "maxItems": min,
    "maxProperties": min,
    "minimum": max,
    "exclusiveMinimum": max,
    "minLength": max,
    "minItems": max,
    "minProperties": max,
}


def as_map(node: Any) -> dict[str, Any]:
    """A mapping with string keys, or {} when a malformed spec has something else here."""
    return {str(k): v for k, v in node.items()} if isinstance(node, Mapping) else {}


def as_list(node: Any) -> list[Any]:
    """A list, or [] when a malformed spec has something else here."""
    return list(node) if isinstance(node, list) else []


class SpecError(Exception):
    """The document cannot be read or is not an OpenAPI 3 document we can compare."""


def parse_document(text: str, source: str) -> JSONObj:
    """Parse YAML or JSON text (JSON first: its errors are clearer for JSON files)."""
    try:
        doc = json.loads(text)
    except ValueError:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"{source}: not valid YAML or JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise SpecError(f"{source}: expected a mapping at the top level")
    return doc


def parse_text(text: str, source: str) -> JSONObj:
    """Parse an OpenAPI 3 document; anything else is a :class:`SpecError`."""
    doc = parse_document(text, source)
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise SpecError(f"{source}: not an OpenAPI 3.x document (openapi: {version or 'missing'})")
    return doc


def pointer(doc: Any, ref: str, source: str) -> Any:
    """The node a local JSON pointer (``#/components/schemas/Pet``) names in ``doc``."""
    node: Any = doc
    for raw in ref[1:].split("/")[1:]:
        key = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SpecError(f"{source}: $ref {ref!r} points at nothing")
    return node


class Spec:
    """One OpenAPI document plus the helpers to see through ``$ref`` and ``allOf``."""

    def __init__(self, doc: JSONObj, source: str = "<spec>") -> None:
        self.doc = doc
        self.source = source
        # id(node) -> (node, flattened); holding the node keeps its id from being reused.
        self._flat_cache: dict[int, tuple[Any, JSONObj]] = {}

    # -- references ---------------------------------------------------------

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"{self.source}: $ref {ref!r} to another file was not bundled")
        return pointer(self.doc, ref, self.source)

    def resolve(self, node: Any) -> Any:
        """Follow a chain of ``$ref`` objects to the object they name.

        A ``$ref`` that leads back to itself (``A -> B -> A``) is a broken spec;
        it resolves to an empty object instead of looping.
        """
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                return {}
            seen.add(ref)
            node = self._pointer(ref)
        return node

    @staticmethod
    def ref_name(node: Any) -> str | None:
        """The last segment of a ``$ref`` (``#/components/schemas/Artifact`` -> ``Artifact``)."""
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            return str(node["$ref"]).rsplit("/", 1)[-1]
        return None

    # -- schemas ------------------------------------------------------------

    def flatten(self, schema: Any) -> JSONObj:
        """The schema with refs resolved and ``allOf`` members merged into one object.

        Merging follows what an instance must satisfy: properties and required
        names are united, bounds keep the tightest value, enums intersect, and
        the schema's own keywords (for example a ``default`` written next to
        ``allOf: [$ref]``) win over the members'. Nested property schemas are
        left as they are; they are flattened when the comparer reaches them.
        """
        return self._flatten(schema, frozenset())

    def _flatten(self, schema: Any, active: frozenset[int]) -> JSONObj:
        node = self.resolve(schema)
        if not isinstance(node, Mapping):
            return {}
        key = id(node)
        if key in self._flat_cache:
            return self._flat_cache[key][1]
        if key in active:  # allOf cycle: nothing more to merge
            return {}
        members = node.get("allOf")
        if not isinstance(members, list) or not members:
            flat = dict(node)
        else:
            flat = {}
            for member in members:
                flat = _merge(flat, self._flatten(member, active | {key}))
            own = {k: v for k, v in node.items() if k != "allOf"}
            flat = _merge(flat, own, own_wins=True)
        self._flat_cache[key] = (node, flat)
        return flat


def _merge(base: JSONObj, extra: Mapping[str, Any], own_wins: bool = False) -> JSONObj:
    """Merge ``extra`` into a copy of ``base`` as one member of an ``allOf``."""
    out = dict(base)
    for k, v in extra.items():
        if k not in out:
            out[k] = v
        elif k == "properties" and isinstance(v, Mapping):
            props = as_map(out[k])
            for name, sub in v.items():
                # The same property in two members must satisfy both.
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[k] = props
        elif k == "required" and isinstance(v, list):
            names = [x for x in [*as_list(out[k]), *v] if isinstance(x, str)]
            out[k] = list(dict.fromkeys(names))
        elif k in _TIGHTEST and _is_number(out[k]) and _is_number(v):
            out[k] = _TIGHTEST[k](out[k], v)
        elif k == "enum" and isinstance(v, list) and isinstance(out[k], list):
            out[k] = [x for x in out[k] if x in v]
        elif k == "nullable":
            out[k] = bool(out[k]) and bool(v)
        elif own_wins:
            out[k] = v
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
