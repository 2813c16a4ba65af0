"""Inline ``$ref``s to other files (``common.yaml#/components/schemas/Pet``).

The comparer works on one document. A spec split over files is made one by
replacing each reference to another file with a copy of what it points at;
inside that copy, the other file's own local references (``#/...``) are turned
into references to that file and inlined in turn. Local references of the
main document stay as they are. A cycle through files is cut (the repeated
reference becomes an empty schema) rather than followed forever.

Files are read through a callback, so the same code serves files on disk and
a git revision (``git show REV:path``).
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Callable
from typing import Any

from .loader import JSONObj, SpecError, parse_document, pointer

Reader = Callable[[str], str]  # path relative to the repository or filesystem -> text
_MAX_DEPTH = 32


def has_external_refs(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(has_external_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(has_external_refs(v) for v in node)
    return False


def bundle(doc: JSONObj, path: str, read: Reader) -> JSONObj:
    """``doc`` (read from ``path``) with every reference to another file inlined."""
    if not has_external_refs(doc):
        return doc
    files: dict[str, Any] = {path: doc}

    def load(name: str) -> Any:
        if name not in files:
            try:
                text = read(name)
            except (OSError, SpecError) as exc:
                raise SpecError(f"{path}: cannot read the referenced file {name}: {exc}") from exc
            files[name] = parse_document(text, name)
        return files[name]

    def inline(node: Any, here: str, local_too: bool, active: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [inline(v, here, local_too, active) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and (local_too or not ref.startswith("#")):
            target_file, _, fragment = ref.partition("#")
            name = (
                posixpath.normpath(posixpath.join(posixpath.dirname(here), target_file))
                if target_file
                else here
            )
            key = f"{name}#{fragment}"
            if key in active or len(active) > _MAX_DEPTH:
                return {}
            target = pointer(load(name), f"#{fragment}", name)
            # Inside another file, its local references are to that file.
            return inline(copy.deepcopy(target), name, name != path, active | {key})
        return {k: inline(v, here, local_too, active) for k, v in node.items()}

    result = inline(doc, path, False, frozenset())
    assert isinstance(result, dict)
    return result
