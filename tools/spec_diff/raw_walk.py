"""What the rules cannot see: a plain, key-by-key walk of the two documents as written.

Descriptions, summaries, titles and examples change nothing on the wire, so no
rule judges them; yet a reviewer must be able to tell that such an edit was
seen. Extensions (``x-...``) are tooling metadata. Anything else that differs
and produced no finding at all is an edit the rules do not cover, which is
said rather than reported as "no changes".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .shared_state import SharedState

DOC_KEYS = frozenset({"description", "summary", "title", "example", "examples", "externalDocs"})
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Maps whose keys are names chosen by the author (a property called "description").
_NAMED = frozenset(
    {"properties", "patternProperties", "paths", "schemas", "responses", "parameters",
     "headers", "securitySchemes", "requestBodies", "callbacks", "links", "content",
     "encoding", "webhooks", "definitions", "$defs", "dependentSchemas", "variables"}
)  # fmt: skip
_SHOWN = 8


def differences(
    old: Any, new: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """``(kind, path)`` for each place the documents differ: ``documentation``,
    ``extension`` or ``other``."""
    if isinstance(old, dict) and isinstance(new, dict):
        named = bool(path) and path[-1] in _NAMED
        for key in [*old, *(k for k in new if k not in old)]:
            here = (*path, str(key))
            if key in old and key in new:
                if old[key] == new[key]:
                    continue
                if not named and key in DOC_KEYS:
                    yield "documentation", here
                elif not named and str(key).startswith("x-"):
                    yield "extension", here
                else:
                    yield from differences(old[key], new[key], here)
            elif not named and key in DOC_KEYS:
                yield "documentation", here
            elif not named and str(key).startswith("x-"):
                yield "extension", here
            else:
                yield "other", here
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from differences(a, b, (*path, str(i)))
    elif old != new:
        yield "other", path


def _operation(path: tuple[str, ...]) -> str | None:
    if len(path) >= 3 and path[0] == "paths" and path[2] in METHODS:
        return f"{path[2].upper()} {path[1]}"
    return None


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def used_components(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """``(kind, name)`` of the components reachable from outside ``components``
    (operations, global security) through ``$ref`` chains, plus the security schemes
    that security requirements name."""
    components = doc.get("components") if isinstance(doc.get("components"), dict) else {}
    outside = {k: v for k, v in doc.items() if k != "components"}
    used: set[tuple[str, str]] = set()
    todo = list(_refs(outside))
    for requirements in _security_lists(doc):
        used |= {
            ("securitySchemes", str(name))
            for req in requirements
            if isinstance(req, dict)
            for name in req
        }
    while todo:
        parts = todo.pop().split("/")
        if len(parts) >= 4 and parts[:2] == ["#", "components"]:
            key = (parts[2], parts[3].replace("~1", "/").replace("~0", "~"))
            if key not in used:
                used.add(key)
                node = components.get(key[0], {}) if isinstance(components, dict) else {}
                todo += _refs(node.get(key[1]) if isinstance(node, dict) else None)
    return used


def _security_lists(doc: dict[str, Any]) -> Iterator[list[Any]]:
    if isinstance(doc.get("security"), list):
        yield doc["security"]
    paths = doc.get("paths") if isinstance(doc.get("paths"), dict) else {}
    for item in paths.values():
        for op in item.values() if isinstance(item, dict) else ():
            if isinstance(op, dict) and isinstance(op.get("security"), list):
                yield op["security"]


def report_unjudged(state: SharedState, judged_anything: bool) -> None:
    """Emit documentation and extension edits, edits to components no operation uses,
    and (when no rule fired) the other edits."""
    others: list[tuple[str, ...]] = []
    used = used_components(state.old.doc) | used_components(state.new.doc)
    unused: dict[tuple[str, ...], None] = {}
    for kind, path in differences(state.old.doc, state.new.doc):
        owner = ".".join(path[:-1]) or "the document"
        if kind == "documentation":
            state.emit(
                "documentation-changed", _operation(path), path, f"{path[-1]} of {owner} changed"
            )
        elif kind == "extension":
            state.emit(
                "extension-changed", _operation(path), path, f"{path[-1]} of {owner} changed"
            )
        elif len(path) >= 3 and path[0] == "components" and tuple(path[1:3]) not in used:
            unused.setdefault(path[:3], None)
        else:
            others.append(path)
    for path in unused:
        if path[1] == "schemas" and path[2] not in _components(state.new.doc, "schemas"):
            continue  # reported as api-schema-removed
        state.emit(
            "unused-component-changed",
            None,
            path,
            f"{'.'.join(path)} changed; no operation refers to it",
        )
    if others and not judged_anything:
        shown = ", ".join(".".join(p) for p in others[:_SHOWN])
        more = f" and {len(others) - _SHOWN} more" if len(others) > _SHOWN else ""
        state.emit(
            "unclassified-change",
            None,
            others[0],
            f"the documents differ where no rule looks: {shown}{more}",
        )


def _components(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    components = doc.get("components")
    found = components.get(kind) if isinstance(components, dict) else None
    return found if isinstance(found, dict) else {}
