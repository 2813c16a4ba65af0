"""Comparison of one operation present in both specs: metadata, parameters,
request body (per media type, multipart encodings included), responses (per
status, header and media type) and its own security requirements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .loader import JSONObj, Spec, as_list, as_map
from .model import Side
from .schema_diff import Ctx, judge_type, nullable_of, types_of
from .security import compare_security
from .shared_state import SharedState

PATH_PARAM = re.compile(r"\{([^}/]+)\}")
_FORM_MEDIA = ("multipart/", "application/x-www-form-urlencoded")


def _is_success(status: str) -> bool:
    return status.startswith("2")


class OperationDiffer:
    """Compares one operation present in both specs."""

    def __init__(
        self,
        state: SharedState,
        name: str,
        old: tuple[str, JSONObj, JSONObj],
        new: tuple[str, JSONObj, JSONObj],
        method: str,
    ) -> None:
        self.state = state
        self.name = name
        self.old_path, self.old_item, self.old_op = old
        self.new_path, self.new_item, self.new_op = new
        self.loc: tuple[str, ...] = ("paths", self.new_path, method)

    def emit(
        self, rule_id: str, location: tuple[str, ...], message: str, where: tuple[str, ...] = ()
    ) -> None:
        self.state.emit(rule_id, self.name, location, message, where)

    def run(self) -> None:
        self._metadata()
        self._parameters()
        self._request_body()
        self._responses()
        if "security" in self.old_op or "security" in self.new_op:
            old = self.old_op.get("security", self.state.old.doc.get("security"))
            new = self.new_op.get("security", self.state.new.doc.get("security"))
            compare_security(
                self.state, self.name, (*self.loc, "security"), old, new, "api-security"
            )

    def _metadata(self) -> None:
        o, n = self.old_op, self.new_op
        if bool(o.get("deprecated")) != bool(n.get("deprecated")):
            rule = "endpoint-deprecated" if n.get("deprecated") else "endpoint-reactivated"
            self.emit(rule, (*self.loc, "deprecated"), f"endpoint {self.name} {rule.split('-')[1]}")
        oid, nid = o.get("operationId"), n.get("operationId")
        if oid and oid != nid:
            text = f"operationId '{oid}' " + (f"changed to '{nid}'" if nid else "removed")
            self.emit("api-operation-id-removed", (*self.loc, "operationId"), text)
        elif nid and not oid:
            self.emit(
                "api-operation-id-added", (*self.loc, "operationId"), f"operationId '{nid}' added"
            )
        otags, ntags = as_list(o.get("tags")), as_list(n.get("tags"))
        for tag in otags:
            if tag not in ntags:
                self.emit("api-tag-removed", (*self.loc, "tags"), f"tag '{tag}' removed")
        for tag in ntags:
            if tag not in otags:
                self.emit("api-tag-added", (*self.loc, "tags"), f"tag '{tag}' added")

    # -- parameters ---------------------------------------------------------------

    def _params(
        self, spec: Spec, path: str, item: JSONObj, op: JSONObj
    ) -> dict[tuple[str, str], JSONObj]:
        """Parameters keyed by (in, name); path parameters by their position in the template."""
        positions = {name: str(i) for i, name in enumerate(PATH_PARAM.findall(path))}
        merged: dict[tuple[str, str], JSONObj] = {}
        for source in (as_list(item.get("parameters")), as_list(op.get("parameters"))):
            for raw in source:
                p = spec.resolve(raw)
                if not isinstance(p, Mapping) or "name" not in p:
                    continue
                where, name = str(p.get("in")), str(p["name"])
                p = {**p, "in": where, "name": name}
                if where == "path":
                    key = ("path", positions.get(name, name))
                elif where == "header":
                    key = ("header", name.lower())
                else:
                    key = (where, name)
                merged[key] = dict(p)
        return merged

    def _parameters(self) -> None:
        old = self._params(self.state.old, self.old_path, self.old_item, self.old_op)
        new = self._params(self.state.new, self.new_path, self.new_item, self.new_op)
        for key, p in old.items():
            if key not in new:
                label = f"{p['in']} parameter '{p['name']}'"
                self.emit(
                    "request-parameter-removed",
                    (*self.loc, "parameters", p["in"], p["name"]),
                    f"{label} removed",
                )
        for key, n in new.items():
            label = f"{n['in']} parameter '{n['name']}'"
            loc = (*self.loc, "parameters", str(n["in"]), str(n["name"]))
            required = bool(n.get("required")) or n.get("in") == "path"
            if key not in old:
                rule = (
                    "new-required-request-parameter"
                    if required
                    else "new-optional-request-parameter"
                )
                self.emit(rule, loc, f"{label} added ({'required' if required else 'optional'})")
                continue
            o = old[key]
            if o["name"] != n["name"]:
                self.emit(
                    "request-path-parameter-renamed",
                    loc,
                    f"path parameter '{o['name']}' renamed to '{n['name']}'",
                )
            was_required = bool(o.get("required")) or o.get("in") == "path"
            if was_required != required:
                rule = (
                    "request-parameter-became-required"
                    if required
                    else "request-parameter-became-optional"
                )
                self.emit(
                    rule,
                    (*loc, "required"),
                    f"{label} became {'required' if required else 'optional'}",
                )
            if bool(o.get("deprecated")) != bool(n.get("deprecated")):
                rule = (
                    "request-parameter-deprecated"
                    if n.get("deprecated")
                    else "request-parameter-reactivated"
                )
                self.emit(rule, (*loc, "deprecated"), f"{label} {rule.rsplit('-', 1)[1]}")
            ctx = Ctx(Side.REQUEST, "parameter", self.name, (*loc, "schema"), label)
            self.state.schemas.compare(_param_schema(o), _param_schema(n), ctx)

    # -- request body ---------------------------------------------------------------

    def _request_body(self) -> None:
        o = self.state.old.resolve(self.old_op.get("requestBody"))
        n = self.state.new.resolve(self.new_op.get("requestBody"))
        loc = (*self.loc, "requestBody")
        if not isinstance(o, Mapping) and not isinstance(n, Mapping):
            return
        if not isinstance(o, Mapping):
            rule = (
                "request-body-added-required"
                if n.get("required")
                else "request-body-added-optional"
            )
            self.emit(
                rule,
                loc,
                "request body added" + (" (required)" if n.get("required") else " (optional)"),
            )
            return
        if not isinstance(n, Mapping):
            self.emit("request-body-removed", loc, "request body removed")
            return
        if bool(o.get("required")) != bool(n.get("required")):
            rule = (
                "request-body-became-required"
                if n.get("required")
                else "request-body-became-optional"
            )
            self.emit(rule, (*loc, "required"), f"request body became {rule.rsplit('-', 1)[1]}")
        oc, nc = as_map(o.get("content")), as_map(n.get("content"))
        for mt in oc:
            if mt not in nc:
                self.emit(
                    "request-body-media-type-removed",
                    (*loc, "content", mt),
                    f"request media type {mt} removed",
                )
        for mt in nc:
            if mt not in oc:
                self.emit(
                    "request-body-media-type-added",
                    (*loc, "content", mt),
                    f"request media type {mt} added",
                )
                continue
            mloc = (*loc, "content", mt)
            os_, ns = as_map(oc[mt]).get("schema"), as_map(nc[mt]).get("schema")
            if os_ is None and ns is not None:
                self.emit(
                    "request-body-media-type-schema-added",
                    (*mloc, "schema"),
                    f"request {mt}: schema added",
                )
            elif os_ is not None and ns is None:
                self.emit(
                    "request-body-media-type-schema-removed",
                    (*mloc, "schema"),
                    f"request {mt}: schema removed",
                )
            elif os_ is not None:
                ctx = Ctx(
                    Side.REQUEST, "body", self.name, (*mloc, "schema"), f"request body ({mt})"
                )
                self.state.schemas.compare(os_, ns, ctx)
                if mt.startswith(_FORM_MEDIA):
                    self._encodings(as_map(oc[mt]), as_map(nc[mt]), mloc)

    def _encodings(self, old_media: JSONObj, new_media: JSONObj, loc: tuple[str, ...]) -> None:
        """Compare the effective content type of each multipart part (explicit or defaulted)."""
        old_parts = _part_types(self.state.old, old_media)
        new_parts = _part_types(self.state.new, new_media)
        for name, new_type in new_parts.items():
            old_type = old_parts.get(name)
            if old_type is not None and old_type != new_type:
                self.emit(
                    "request-body-part-content-type-changed",
                    (*loc, "encoding", name, "contentType"),
                    f"multipart part '{name}': content type changed from {old_type} to {new_type}",
                )

    # -- responses ------------------------------------------------------------------

    def _responses(self) -> None:
        oresp = {str(k): v for k, v in (as_map(self.old_op.get("responses"))).items()}
        nresp = {str(k): v for k, v in (as_map(self.new_op.get("responses"))).items()}
        base = (*self.loc, "responses")
        for status in oresp:
            if status not in nresp:
                kind = "success" if _is_success(status) else "non-success"
                self.emit(
                    f"response-{kind}-status-removed",
                    (*base, status),
                    f"response status {status} removed",
                )
        for status in nresp:
            if status not in oresp:
                kind = "success" if _is_success(status) else "non-success"
                self.emit(
                    f"response-{kind}-status-added",
                    (*base, status),
                    f"response status {status} added",
                )
                continue
            o, n = self.state.old.resolve(oresp[status]), self.state.new.resolve(nresp[status])
            if isinstance(o, Mapping) and isinstance(n, Mapping):
                self._response(status, o, n, (*base, status))

    def _response(
        self, status: str, o: Mapping[str, Any], n: Mapping[str, Any], loc: tuple[str, ...]
    ) -> None:
        self._headers(status, as_map(o.get("headers")), as_map(n.get("headers")), (*loc, "headers"))
        oc, nc = as_map(o.get("content")), as_map(n.get("content"))
        for mt in oc:
            if mt not in nc:
                text = f"response media type {mt} removed" + (
                    "" if nc else "; the response has no body any more"
                )
                alias = self.state.media_aliases.get(mt)
                if alias in nc:
                    text += (
                        f"; {alias} remains, which the generator config treats as the same type, "
                        "so the generated client parses these responses as before"
                    )
                self.emit(
                    "response-media-type-removed", (*loc, "content", mt), text, (f"{status} {mt}",)
                )
        for mt in nc:
            where = (f"{status} {mt}",)
            mloc = (*loc, "content", mt)
            if mt not in oc:
                text = f"response media type {mt} added" + (
                    "" if oc else " where the response had no body"
                )
                self.emit("response-media-type-added", mloc, text, where)
                continue
            os_, ns = as_map(oc[mt]).get("schema"), as_map(nc[mt]).get("schema")
            if os_ is None and ns is not None:
                self.emit(
                    "response-body-media-type-schema-added",
                    (*mloc, "schema"),
                    f"response {mt}: schema added",
                    where,
                )
            elif os_ is not None and ns is None:
                self.emit(
                    "response-body-media-type-schema-removed",
                    (*mloc, "schema"),
                    f"response {mt}: schema removed",
                    where,
                )
            elif os_ is not None:
                ctx = Ctx(
                    Side.RESPONSE,
                    "body",
                    self.name,
                    (*mloc, "schema"),
                    "response body",
                    where=where,
                )
                self.state.schemas.compare(os_, ns, ctx)

    def _headers(
        self, status: str, oh: Mapping[str, Any], nh: Mapping[str, Any], loc: tuple[str, ...]
    ) -> None:
        def norm(spec: Spec, headers: Mapping[str, Any]) -> dict[str, tuple[str, JSONObj]]:
            out: dict[str, tuple[str, JSONObj]] = {}
            for name, h in headers.items():
                r = spec.resolve(h)
                if name.lower() != "content-type" and isinstance(r, Mapping):
                    out[name.lower()] = (name, dict(r))
            return out

        old, new = norm(self.state.old, oh), norm(self.state.new, nh)
        where = (status,)
        for key, (name, h) in old.items():
            if key not in new:
                rule = (
                    "required-response-header-removed"
                    if h.get("required")
                    else "optional-response-header-removed"
                )
                state = "required" if h.get("required") else "optional"
                self.emit(rule, (*loc, name), f"{state} response header '{name}' removed", where)
        for key, (name, h) in new.items():
            hloc = (*loc, name)
            if key not in old:
                self.emit("response-header-added", hloc, f"response header '{name}' added", where)
                continue
            o = old[key][1]
            if bool(o.get("required")) != bool(h.get("required")):
                rule = (
                    "response-header-became-required"
                    if h.get("required")
                    else "response-header-became-optional"
                )
                self.emit(
                    rule,
                    (*hloc, "required"),
                    f"response header '{name}' became {rule.rsplit('-', 1)[1]}",
                    where,
                )
            os_ = self.state.old.flatten(as_map(o.get("schema")))
            ns = self.state.new.flatten(as_map(h.get("schema")))
            verdict = judge_type(os_, ns)
            if verdict:
                action, text = verdict
                self.emit(
                    f"response-header-type-{action}",
                    (*hloc, "schema", "type"),
                    f"response header '{name}': {text}",
                    where,
                )
            if nullable_of(os_) != nullable_of(ns):
                rule = (
                    "response-header-became-nullable"
                    if nullable_of(ns)
                    else "response-header-became-not-nullable"
                )
                self.emit(
                    rule,
                    (*hloc, "schema", "nullable"),
                    f"response header '{name}': {rule[16:].replace('-', ' ')}",
                    where,
                )


def _param_schema(p: Mapping[str, Any]) -> Any:
    if "schema" in p:
        return p["schema"]
    content = p.get("content")
    if isinstance(content, Mapping) and content:
        first = next(iter(content.values()))
        if isinstance(first, Mapping):
            return as_map(first.get("schema"))
    return {}


def _default_part_type(spec: Spec, schema: Any) -> str:
    """The content type OpenAPI assumes for a multipart part without ``encoding.contentType``."""
    s = spec.flatten(schema)
    types = types_of(s) or frozenset()
    if "array" in types and s.get("items") is not None:
        return _default_part_type(spec, s["items"])
    if "object" in types:
        return "application/json"
    if "string" in types and s.get("format") in ("binary", "base64"):
        return "application/octet-stream"
    return "text/plain"


def _part_types(spec: Spec, media: Mapping[str, Any]) -> dict[str, str]:
    schema = spec.flatten(as_map(media.get("schema")))
    encoding = as_map(media.get("encoding"))
    out: dict[str, str] = {}
    for name, prop in (as_map(schema.get("properties"))).items():
        explicit = as_map(encoding.get(name)).get("contentType")
        out[name] = str(explicit) if explicit else _default_part_type(spec, prop)
    return out
