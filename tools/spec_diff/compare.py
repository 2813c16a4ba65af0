"""Walks two OpenAPI documents side by side and names what changed.

Operations are matched by method and path *template*: ``/gen/{engine_id}`` and
``/gen/{engineId}`` are the same endpoint (path parameters are matched by
position), as in oasdiff. Each operation present in both is compared by
:class:`~.operation.OperationDiffer`, which hands schemas to
:class:`~.schema_diff.SchemaDiffer` with the side they are on. Document-level
security (:mod:`.security`), component schemas and servers are compared once.

Nothing here decides how bad a change is: findings carry a rule id and
:func:`.rules.classify` looks the level up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from .loader import JSONObj, Spec, as_list, as_map
from .model import Change, Finding
from .operation import PATH_PARAM, OperationDiffer
from .raw_walk import METHODS, report_unjudged
from .rules import classify
from .schema_diff import SchemaDiffer
from .security import compare_security, compare_security_schemes
from .shared_state import SharedState


def diff_specs(
    old: Spec, new: Spec, media_aliases: Mapping[str, str] | None = None
) -> list[Change]:
    """Every classified change from ``old`` to ``new``, most severe first (stable otherwise).

    ``media_aliases`` is the generator's ``content_type_overrides`` (for us
    ``application/vnd.goa.error -> application/json``): it does not change any
    level, but a removed media type whose alias remains is annotated, because
    the generated client parses the two the same way.
    """
    collector = _Collector()
    schemas = SchemaDiffer(old, new, collector.add)
    state = SharedState(old, new, schemas, collector.add, dict(media_aliases or {}))
    _DocumentDiffer(state).run()
    report_unjudged(state, judged_anything=bool(collector.merged()))
    changes = [classify(f) for f in collector.merged()]
    return sorted(changes, key=lambda c: -c.level.rank)


class _Collector:
    """Merges findings that differ only in the response status / media type they were seen under."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str | None, str], Finding] = {}

    def add(self, f: Finding) -> None:
        key = (f.rule_id, f.operation, f.message)
        prev = self._items.get(key)
        if prev is None:
            self._items[key] = f
        else:
            where = tuple(dict.fromkeys((*prev.where, *f.where)))
            self._items[key] = Finding(
                prev.rule_id, prev.operation, prev.location, prev.message, where
            )

    def merged(self) -> list[Finding]:
        return list(self._items.values())


def _template(path: str) -> str:
    return PATH_PARAM.sub("{}", path)


def _sunset_in_future(op: Mapping[str, Any]) -> bool:
    raw = op.get("x-sunset")
    if raw is None:
        return False
    try:
        when = dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return False
    return when > dt.date.today()


class _DocumentDiffer:
    def __init__(self, state: SharedState) -> None:
        self.state = state
        self.old, self.new = state.old, state.new
        self.emit = state.emit

    def run(self) -> None:
        self._paths()
        self._global_security()
        compare_security_schemes(self.state)
        self._component_schemas()
        self._servers()

    # -- paths and operations --------------------------------------------------

    def _path_items(self, spec: Spec) -> dict[str, tuple[str, JSONObj]]:
        out: dict[str, tuple[str, JSONObj]] = {}
        paths = as_map(spec.doc.get("paths"))
        for raw, item in paths.items():
            resolved = spec.resolve(item)
            if isinstance(resolved, Mapping):
                out.setdefault(_template(raw), (raw, dict(resolved)))
        return out

    @staticmethod
    def _operations(item: JSONObj) -> Iterator[tuple[str, JSONObj]]:
        for method in METHODS:
            if isinstance(item.get(method), Mapping):
                yield method, item[method]

    def _paths(self) -> None:
        old_items, new_items = self._path_items(self.old), self._path_items(self.new)
        for key, (old_raw, old_item) in old_items.items():
            if key in new_items:
                continue
            for method, op in self._operations(old_item):
                self._removed(old_raw, method, op, whole_path=True)
        for key, (new_raw, new_item) in new_items.items():
            if key not in old_items:
                for method, _ in self._operations(new_item):
                    name = f"{method.upper()} {new_raw}"
                    self.emit(
                        "endpoint-added", name, ("paths", new_raw, method), f"endpoint {name} added"
                    )
                continue
            old_raw, old_item = old_items[key]
            old_ops, new_ops = dict(self._operations(old_item)), dict(self._operations(new_item))
            for method, op in old_ops.items():
                if method not in new_ops:
                    self._removed(old_raw, method, op, whole_path=False)
            for method in new_ops:
                name = f"{method.upper()} {new_raw}"
                if method not in old_ops:
                    self.emit(
                        "endpoint-added", name, ("paths", new_raw, method), f"endpoint {name} added"
                    )
                else:
                    OperationDiffer(
                        self.state,
                        name,
                        (old_raw, old_item, old_ops[method]),
                        (new_raw, new_item, new_ops[method]),
                        method,
                    ).run()

    def _removed(self, raw: str, method: str, op: Mapping[str, Any], whole_path: bool) -> None:
        name = f"{method.upper()} {raw}"
        prefix = "api-path-removed" if whole_path else "api-removed"
        if not op.get("deprecated"):
            rule, text = f"{prefix}-without-deprecation", "removed without deprecation"
        elif _sunset_in_future(op):
            rule, text = (
                f"{prefix}-before-sunset",
                f"removed before its sunset date {op.get('x-sunset')}",
            )
        else:
            rule, text = f"{prefix}-with-deprecation", "removed after deprecation"
        what = "path and endpoint" if whole_path else "endpoint"
        self.emit(rule, name, ("paths", raw, method), f"{what} {name} {text}")

    # -- document-level security, schemes, components, servers -------------------

    def _global_security(self) -> None:
        """The document-wide ``security`` list, reported once (api-global-security-*).

        Operations that define their own security in either version are compared
        per operation instead (api-security-*, see :class:`~.operation.OperationDiffer`); when
        every operation does, the global list does not apply to any of them.
        """
        every = self._all_ops(self.old)
        overriding = self._ops_with_own_security(self.old) | self._ops_with_own_security(self.new)
        if every and every <= overriding:
            return
        compare_security(
            self.state,
            None,
            ("security",),
            self.old.doc.get("security"),
            self.new.doc.get("security"),
            "api-global-security",
        )

    def _all_ops(self, spec: Spec) -> set[str]:
        return {
            f"{m} {k}"
            for k, (_, item) in self._path_items(spec).items()
            for m, _ in self._operations(item)
        }

    def _ops_with_own_security(self, spec: Spec) -> set[str]:
        return {
            f"{m} {k}"
            for k, (_, item) in self._path_items(spec).items()
            for m, op in self._operations(item)
            if "security" in op
        }

    def _component_schemas(self) -> None:
        old = as_map(as_map(self.old.doc.get("components")).get("schemas"))
        new = as_map(as_map(self.new.doc.get("components")).get("schemas"))
        for name in old:
            if name not in new:
                self.emit(
                    "api-schema-removed",
                    None,
                    ("components", "schemas", name),
                    f"schema '{name}' removed",
                )

    def _servers(self) -> None:
        def urls(spec: Spec) -> list[str]:
            return [
                str(s.get("url"))
                for s in as_list(spec.doc.get("servers"))
                if isinstance(s, Mapping)
            ]

        old, new = urls(self.old), urls(self.new)
        for url in old:
            if url not in new:
                self.emit("api-server-removed", None, ("servers",), f"server {url} removed")
        for url in new:
            if url not in old:
                self.emit("api-server-added", None, ("servers",), f"server {url} added")
