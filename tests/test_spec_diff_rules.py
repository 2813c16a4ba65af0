"""Every rule of the spec differ's classification table, one small spec pair each.

Each case starts from the same minimal spec (:func:`base_spec`), edits the old
and/or new copy, runs the differ and checks that the rule fires with the level
written *here*. The expected levels are written out independently of
``tools/spec_diff/rules.py`` (double entry): changing a level in the table
without meaning to fails a test. ``test_every_rule_has_a_case`` keeps the two
in step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tools.spec_diff import Level, Spec, diff_specs
from tools.spec_diff.rules import ABSENT, ALL_RULES, RULES_BY_ID, SAME

B, W, I = Level.BREAKING, Level.WARNING, Level.INFO  # noqa: E741

Doc = dict[str, Any]
Edit = Callable[[Doc], None]

OP = ("paths", "/items/{id}", "post")
REQ = ("components", "schemas", "Req")
RESP = ("components", "schemas", "Resp")
RESP_200 = (*OP, "responses", "200")


def base_spec() -> Doc:
    """One operation with a path and a query parameter, a JSON body, a 200 and a 400."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "rules", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "security": [{"key": []}],
        "paths": {
            "/items/{id}": {
                "post": {
                    "operationId": "createItem",
                    "tags": ["items"],
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "q", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Req"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "headers": {"X-Rate": {"schema": {"type": "integer"}}},
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Resp"}
                                }
                            },
                        },
                        "400": {
                            "description": "bad",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Req": {"type": "object", "properties": {"x": {"type": "integer"}}},
                "Resp": {
                    "type": "object",
                    "required": ["x"],
                    "properties": {"x": {"type": "integer"}},
                },
            },
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "Authorization"},
                "other": {"type": "http", "scheme": "bearer"},
                "oauth": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {"tokenUrl": "https://t", "scopes": {"a": "", "b": ""}}
                    },
                },
            },
        },
    }


# -- editing helpers ----------------------------------------------------------------


def _walk(doc: Doc, path: tuple[Any, ...]) -> Any:
    node: Any = doc
    for key in path:
        node = node[key]
    return node


def put(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(doc: Doc) -> None:
        parent = _walk(doc, path[:-1])
        if isinstance(parent, list) and path[-1] == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[path[-1]] = copy.deepcopy(value)

    return edit


def drop(path: tuple[Any, ...]) -> Edit:
    def edit(doc: Doc) -> None:
        del _walk(doc, path[:-1])[path[-1]]

    return edit


def both(*edits: Edit) -> Edit:
    def edit(doc: Doc) -> None:
        for e in edits:
            e(doc)

    return edit


def rename_path(old: str, new: str, param_old: str, param_new: str) -> Edit:
    def edit(doc: Doc) -> None:
        doc["paths"][new] = doc["paths"].pop(old)
        for p in doc["paths"][new]["post"]["parameters"]:
            if p["name"] == param_old:
                p["name"] = param_new

    return edit


@dataclass(frozen=True)
class Case:
    level: Level
    old: Edit | None = None
    new: Edit | None = None


# -- structural rules ----------------------------------------------------------------

GET = {"responses": {"200": {"description": "ok"}}}
DEPRECATED_GET = {**GET, "deprecated": True}
FUTURE = "2999-01-01"
MULTIPART = (*OP, "requestBody", "content", "multipart/form-data")


def _multipart(part_type: str) -> Edit:
    return put(
        MULTIPART,
        {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            },
            "encoding": {"file": {"contentType": part_type}},
        },
    )


def _flag_cases() -> dict[str, Case]:
    """readOnly / writeOnly flips, for optional and required properties on both sides."""
    out: dict[str, Case] = {}
    for side, schema in (("request", REQ), ("response", RESP)):
        for kind in ("optional", "required"):
            required = put((*schema, "required"), ["x"] if kind == "required" else [])
            for keyword, name in (("readOnly", "read-only"), ("writeOnly", "write-only")):
                flag = put((*schema, "properties", "x", keyword), True)
                level = W if (side, kind, name) == ("response", "required", "write-only") else I
                out[f"{side}-{kind}-property-became-{name}"] = Case(
                    I, required, both(required, flag)
                )
                out[f"{side}-{kind}-property-became-not-{name}"] = Case(
                    level, both(required, flag), required
                )
    return out


def _direction_cases() -> dict[str, Case]:
    """Properties flagged for the other direction: readOnly in requests, writeOnly in responses."""
    ro = {"type": "string", "readOnly": True}
    wo = {"type": "integer", "writeOnly": True}
    req_x, resp_x = (*REQ, "properties", "x"), (*RESP, "properties", "x")
    return {
        "request-optional-read-only-property-added": Case(
            I, new=put((*REQ, "properties", "y"), ro)
        ),
        "request-required-read-only-property-added": Case(
            I, new=both(put((*REQ, "properties", "y"), ro), put((*REQ, "required"), ["y"]))
        ),
        "request-optional-read-only-property-removed": Case(
            I, old=put((*REQ, "properties", "y"), ro)
        ),
        "request-required-read-only-property-removed": Case(
            I, old=both(put((*REQ, "properties", "y"), ro), put((*REQ, "required"), ["y"]))
        ),
        "request-read-only-property-became-required": Case(
            I, put(req_x, ro), both(put(req_x, ro), put((*REQ, "required"), ["x"]))
        ),
        "request-read-only-property-became-optional": Case(
            I, both(put(req_x, ro), put((*REQ, "required"), ["x"])), put(req_x, ro)
        ),
        "response-optional-write-only-property-added": Case(
            I, new=put((*RESP, "properties", "y"), wo)
        ),
        "response-required-write-only-property-added": Case(
            I, new=both(put((*RESP, "properties", "y"), wo), put((*RESP, "required"), ["x", "y"]))
        ),
        "response-optional-write-only-property-removed": Case(
            I, old=put((*RESP, "properties", "y"), wo)
        ),
        "response-required-write-only-property-removed": Case(
            I, put(resp_x, wo), both(drop(resp_x), put((*RESP, "required"), []))
        ),
        "response-write-only-property-became-optional": Case(
            I, put(resp_x, wo), both(put(resp_x, wo), put((*RESP, "required"), []))
        ),
        "response-write-only-property-became-required": Case(
            I, both(put(resp_x, wo), put((*RESP, "required"), [])), put(resp_x, wo)
        ),
    }


STRUCTURAL: dict[str, Case] = {
    # paths and operations
    "endpoint-added": Case(I, new=put(("paths", "/items/{id}", "get"), GET)),
    "api-path-removed-without-deprecation": Case(B, new=drop(("paths", "/items/{id}"))),
    "api-path-removed-with-deprecation": Case(
        I, put((*OP, "deprecated"), True), drop(("paths", "/items/{id}"))
    ),
    "api-path-removed-before-sunset": Case(
        B,
        both(put((*OP, "deprecated"), True), put((*OP, "x-sunset"), FUTURE)),
        drop(("paths", "/items/{id}")),
    ),
    "api-removed-without-deprecation": Case(B, old=put(("paths", "/items/{id}", "get"), GET)),
    "api-removed-with-deprecation": Case(
        I, old=put(("paths", "/items/{id}", "get"), DEPRECATED_GET)
    ),
    "api-removed-before-sunset": Case(
        B, old=put(("paths", "/items/{id}", "get"), {**DEPRECATED_GET, "x-sunset": FUTURE})
    ),
    "endpoint-deprecated": Case(I, new=put((*OP, "deprecated"), True)),
    "endpoint-reactivated": Case(I, old=put((*OP, "deprecated"), True)),
    "api-operation-id-removed": Case(W, new=put((*OP, "operationId"), "makeItem")),
    "api-operation-id-added": Case(I, old=drop((*OP, "operationId"))),
    "api-tag-removed": Case(W, new=put((*OP, "tags"), [])),
    "api-tag-added": Case(I, new=put((*OP, "tags"), ["items", "extra"])),
    "api-schema-removed": Case(I, old=put(("components", "schemas", "Unused"), {"type": "string"})),
    # parameters
    "new-required-request-parameter": Case(
        B, new=put((*OP, "parameters", 2), {"name": "X-Key", "in": "header", "required": True})
    ),
    "new-optional-request-parameter": Case(
        I, new=put((*OP, "parameters", 2), {"name": "page", "in": "query"})
    ),
    "request-parameter-removed": Case(W, new=drop((*OP, "parameters", 1))),
    "request-parameter-became-required": Case(B, new=put((*OP, "parameters", 1, "required"), True)),
    "request-parameter-became-optional": Case(I, old=put((*OP, "parameters", 1, "required"), True)),
    "request-parameter-deprecated": Case(I, new=put((*OP, "parameters", 1, "deprecated"), True)),
    "request-parameter-reactivated": Case(I, old=put((*OP, "parameters", 1, "deprecated"), True)),
    "request-path-parameter-renamed": Case(
        I, new=rename_path("/items/{id}", "/items/{itemId}", "id", "itemId")
    ),
    # request bodies
    "request-body-added-required": Case(B, old=drop((*OP, "requestBody"))),
    "request-body-added-optional": Case(
        I, old=drop((*OP, "requestBody")), new=put((*OP, "requestBody", "required"), False)
    ),
    "request-body-removed": Case(B, new=drop((*OP, "requestBody"))),
    "request-body-became-required": Case(B, old=put((*OP, "requestBody", "required"), False)),
    "request-body-became-optional": Case(I, new=put((*OP, "requestBody", "required"), False)),
    "request-body-media-type-added": Case(
        I, new=put((*OP, "requestBody", "content", "text/plain"), {})
    ),
    "request-body-media-type-removed": Case(
        B, old=put((*OP, "requestBody", "content", "text/plain"), {})
    ),
    "request-body-media-type-schema-added": Case(
        B,
        put((*OP, "requestBody", "content", "text/plain"), {}),
        put((*OP, "requestBody", "content", "text/plain"), {"schema": {"type": "string"}}),
    ),
    "request-body-media-type-schema-removed": Case(
        I,
        put((*OP, "requestBody", "content", "text/plain"), {"schema": {"type": "string"}}),
        put((*OP, "requestBody", "content", "text/plain"), {}),
    ),
    "request-body-part-content-type-changed": Case(
        W, _multipart("image/png"), _multipart("image/jpeg")
    ),
    # request properties
    "new-required-request-property": Case(
        B,
        new=both(
            put((*REQ, "properties", "y"), {"type": "string"}), put((*REQ, "required"), ["y"])
        ),
    ),
    "new-required-request-property-with-default": Case(
        B,
        new=both(
            put((*REQ, "properties", "y"), {"type": "string", "default": "a"}),
            put((*REQ, "required"), ["y"]),
        ),
    ),
    "new-optional-request-property": Case(
        I, new=put((*REQ, "properties", "y"), {"type": "string"})
    ),
    "request-property-removed": Case(W, new=drop((*REQ, "properties", "x"))),
    "request-property-became-required": Case(B, new=put((*REQ, "required"), ["x"])),
    "request-property-became-optional": Case(I, old=put((*REQ, "required"), ["x"])),
    "request-property-deprecated": Case(I, new=put((*REQ, "properties", "x", "deprecated"), True)),
    "request-property-reactivated": Case(I, old=put((*REQ, "properties", "x", "deprecated"), True)),
    # responses
    "response-success-status-added": Case(
        I, new=put((*OP, "responses", "201"), {"description": "made"})
    ),
    "response-success-status-removed": Case(
        B, old=put((*OP, "responses", "201"), {"description": "made"})
    ),
    "response-non-success-status-added": Case(
        I, new=put((*OP, "responses", "404"), {"description": "gone"})
    ),
    "response-non-success-status-removed": Case(I, new=drop((*OP, "responses", "400"))),
    "response-media-type-added": Case(I, new=put((*RESP_200, "content", "image/png"), {})),
    "response-media-type-removed": Case(B, new=drop((*RESP_200, "content", "application/json"))),
    "response-body-media-type-schema-added": Case(
        I,
        put((*RESP_200, "content", "text/plain"), {}),
        put((*RESP_200, "content", "text/plain"), {"schema": {}}),
    ),
    "response-body-media-type-schema-removed": Case(
        B,
        put((*RESP_200, "content", "text/plain"), {"schema": {}}),
        put((*RESP_200, "content", "text/plain"), {}),
    ),
    # response properties
    "response-required-property-added": Case(
        I,
        new=both(
            put((*RESP, "properties", "y"), {"type": "string"}),
            put((*RESP, "required"), ["x", "y"]),
        ),
    ),
    "response-optional-property-added": Case(
        I, new=put((*RESP, "properties", "y"), {"type": "string"})
    ),
    "response-required-property-removed": Case(
        B, new=both(drop((*RESP, "properties", "x")), put((*RESP, "required"), []))
    ),
    "response-optional-property-removed": Case(
        W, old=put((*RESP, "properties", "y"), {"type": "string"})
    ),
    "response-property-became-optional": Case(B, new=put((*RESP, "required"), [])),
    "response-property-became-required": Case(I, old=put((*RESP, "required"), [])),
    "response-property-deprecated": Case(
        I, new=put((*RESP, "properties", "x", "deprecated"), True)
    ),
    "response-property-reactivated": Case(
        I, old=put((*RESP, "properties", "x", "deprecated"), True)
    ),
    # response headers
    "response-header-added": Case(
        I, new=put((*RESP_200, "headers", "Seed"), {"schema": {"type": "integer"}})
    ),
    "required-response-header-removed": Case(
        B,
        old=put((*RESP_200, "headers", "X-Rate", "required"), True),
        new=drop((*RESP_200, "headers", "X-Rate")),
    ),
    "optional-response-header-removed": Case(W, new=drop((*RESP_200, "headers", "X-Rate"))),
    "response-header-became-optional": Case(
        B, old=put((*RESP_200, "headers", "X-Rate", "required"), True)
    ),
    "response-header-became-required": Case(
        I, new=put((*RESP_200, "headers", "X-Rate", "required"), True)
    ),
    "response-header-type-changed": Case(
        B, new=put((*RESP_200, "headers", "X-Rate", "schema"), {"type": "boolean"})
    ),
    "response-header-type-generalized": Case(
        B, new=put((*RESP_200, "headers", "X-Rate", "schema"), {"type": "number"})
    ),
    "response-header-type-specialized": Case(
        I, old=put((*RESP_200, "headers", "X-Rate", "schema"), {"type": "number"})
    ),
    "response-header-became-nullable": Case(
        B, new=put((*RESP_200, "headers", "X-Rate", "schema", "nullable"), True)
    ),
    "response-header-became-not-nullable": Case(
        I, old=put((*RESP_200, "headers", "X-Rate", "schema", "nullable"), True)
    ),
    # security
    "api-security-added": Case(
        I,
        put((*OP, "security"), [{"key": []}]),
        put((*OP, "security"), [{"key": []}, {"other": []}]),
    ),
    "api-security-removed": Case(
        B,
        put((*OP, "security"), [{"key": []}, {"other": []}]),
        put((*OP, "security"), [{"key": []}]),
    ),
    "api-security-scope-added": Case(
        B,
        put((*OP, "security"), [{"oauth": ["a"]}]),
        put((*OP, "security"), [{"oauth": ["a", "b"]}]),
    ),
    "api-security-scope-removed": Case(
        I,
        put((*OP, "security"), [{"oauth": ["a", "b"]}]),
        put((*OP, "security"), [{"oauth": ["a"]}]),
    ),
    "api-global-security-added": Case(I, new=put(("security",), [{"key": []}, {"other": []}])),
    "api-global-security-removed": Case(B, old=put(("security",), [{"key": []}, {"other": []}])),
    "api-global-security-became-required": Case(B, old=drop(("security",))),
    "api-security-became-required": Case(
        B, put((*OP, "security"), []), put((*OP, "security"), [{"key": []}])
    ),
    "api-global-security-scope-added": Case(
        B, put(("security",), [{"oauth": ["a"]}]), put(("security",), [{"oauth": ["a", "b"]}])
    ),
    "api-global-security-scope-removed": Case(
        I, put(("security",), [{"oauth": ["a", "b"]}]), put(("security",), [{"oauth": ["a"]}])
    ),
    "api-security-component-added": Case(
        I, new=put(("components", "securitySchemes", "extra"), {"type": "http", "scheme": "basic"})
    ),
    "api-security-component-removed": Case(I, new=drop(("components", "securitySchemes", "other"))),
    "api-security-component-type-changed": Case(
        B, new=put(("components", "securitySchemes", "key"), {"type": "http", "scheme": "bearer"})
    ),
    "api-security-component-api-key-changed": Case(
        B, new=put(("components", "securitySchemes", "key", "name"), "X-Api-Key")
    ),
    "api-security-component-http-scheme-changed": Case(
        B, new=put(("components", "securitySchemes", "other", "scheme"), "basic")
    ),
    # servers
    "api-server-added": Case(I, new=put(("servers", 1), {"url": "https://eu.example.com"})),
    "api-server-removed": Case(I, new=put(("servers",), [])),
    # documents differing where no schema rule looks
    "documentation-changed": Case(I, new=put((*OP, "summary"), "Make an item")),
    "extension-changed": Case(I, new=put((*OP, "x-internal"), True)),
    "unused-component-changed": Case(
        I, new=put(("components", "schemas", "Spare"), {"type": "string"})
    ),
    "unclassified-change": Case(W, new=put((*OP, "callbacks"), {"done": {}})),
    **_flag_cases(),
    **_direction_cases(),
}

# -- schema keyword rules --------------------------------------------------------------
# slug -> (old schema, new schema, expected request level, expected response level);
# None where the slug has no rule on that side.

INT = {"type": "integer"}
ARR = {"type": "array", "items": {"type": "string"}}
OBJ = {"type": "object"}
STR = {"type": "string"}

TUPLE = {"type": "array", "prefixItems": [STR, INT]}
BOOL = {"type": "boolean"}
OBJ_A = {"type": "object", "properties": {"a": STR}}

# A sample value per whole-value constraint keyword, and the levels of adding,
# removing and changing it: (request, response) each.
_CONSTRAINT_SAMPLES: dict[str, tuple[Any, Any]] = {
    "not": ({"type": "integer"}, {"type": "boolean"}),
    "const": ("a", "b"),
    "if": ({"properties": {"a": STR}}, {"properties": {"b": STR}}),
    "then": ({"required": ["a"]}, {"required": ["b"]}),
    "else": ({"required": ["a"]}, {"required": ["b"]}),
    "prefix-items": ([STR], [INT]),
    "contains": (STR, INT),
    "dependent-required": ({"a": ["b"]}, {"a": ["c"]}),
    "dependent-schemas": ({"a": {"required": ["b"]}}, {"a": {"required": ["c"]}}),
    "pattern-properties": ({"^x-": STR}, {"^x-": INT}),
    "property-names": ({"maxLength": 5}, {"maxLength": 3}),
    "unevaluated-properties": (False, STR),
    "unevaluated-items": (False, STR),
    "content-schema": (OBJ, ARR),
    "content-media-type": ("application/json", "text/plain"),
    "content-encoding": ("base64", "base32"),
}
_KEYWORD = {
    slug: "".join(w if i == 0 else w.capitalize() for i, w in enumerate(slug.split("-")))
    for slug in _CONSTRAINT_SAMPLES
}
_BOTH_WAYS = {"const", "content-media-type", "content-encoding"}  # any other value breaks
CONSTRAINT_CASES: dict[str, tuple[Doc, Doc, Level | None, Level | None]] = {}
for _slug, (_a, _b) in _CONSTRAINT_SAMPLES.items():
    _kw = _KEYWORD[_slug]
    _changed = B if _slug in _BOTH_WAYS else W
    CONSTRAINT_CASES[f"{_slug}-added"] = (STR, {**STR, _kw: _a}, B, I)
    CONSTRAINT_CASES[f"{_slug}-removed"] = ({**STR, _kw: _a}, STR, I, B)
    CONSTRAINT_CASES[f"{_slug}-changed"] = ({**STR, _kw: _a}, {**STR, _kw: _b}, _changed, _changed)

# A schema newly wrapped in oneOf / anyOf: judged by what old payloads match.
WRAP_CASES: dict[str, tuple[Doc, Doc, Level | None, Level | None]] = {
    # each old type matches its own alternative; each alternative fits the old schema
    "wrapped-in-one-of-compatible": ({"type": ["string", "integer"]}, {"oneOf": [STR, INT]}, I, I),
    "wrapped-in-any-of-compatible": ({"type": ["string", "integer"]}, {"anyOf": [STR, INT]}, I, I),
    # a string matches both alternatives: oneOf rejects it
    "wrapped-in-one-of-ambiguous": (STR, {"oneOf": [STR, {**STR, "title": "s"}]}, B, None),
    # an old object with `a` set matches both; one without matches only the first
    "wrapped-in-one-of-may-be-ambiguous": (
        OBJ_A,
        {"oneOf": [OBJ_A, {**OBJ_A, "required": ["a"]}]},
        W,
        None,
    ),
    "wrapped-in-one-of-unmatched": (STR, {"oneOf": [INT, BOOL]}, B, None),
    "wrapped-in-any-of-unmatched": (STR, {"anyOf": [INT, BOOL]}, B, None),
    "wrapped-in-one-of-uncertain": (
        {**STR, "pattern": "^a"},
        {"oneOf": [{**STR, "pattern": "^b"}]},
        W,
        W,
    ),
    "wrapped-in-any-of-uncertain": (
        {**STR, "pattern": "^a"},
        {"anyOf": [{**STR, "pattern": "^b"}]},
        W,
        W,
    ),
    # the server may now send an integer, which old clients reject
    "wrapped-in-one-of-widened": (STR, {"oneOf": [STR, INT]}, None, B),
    "wrapped-in-any-of-widened": (STR, {"anyOf": [STR, INT]}, None, B),
}

SCHEMA_CASES: dict[str, tuple[Doc, Doc, Level | None, Level | None]] = {
    "max-decreased": ({**INT, "maximum": 10}, {**INT, "maximum": 5}, B, I),
    "max-increased": ({**INT, "maximum": 5}, {**INT, "maximum": 10}, I, B),
    "max-set": (INT, {**INT, "maximum": 10}, B, I),
    "max-unset": ({**INT, "maximum": 10}, INT, I, B),
    "exclusive-max-decreased": (
        {**INT, "maximum": 10, "exclusiveMaximum": True},
        {**INT, "maximum": 5, "exclusiveMaximum": True},
        B,
        I,
    ),
    "exclusive-max-increased": (
        {**INT, "maximum": 5, "exclusiveMaximum": True},
        {**INT, "maximum": 10, "exclusiveMaximum": True},
        I,
        B,
    ),
    "exclusive-max-set": (INT, {**INT, "maximum": 10, "exclusiveMaximum": True}, B, I),
    "exclusive-max-unset": ({**INT, "maximum": 10, "exclusiveMaximum": True}, INT, I, B),
    "min-increased": ({**INT, "minimum": 1}, {**INT, "minimum": 5}, B, I),
    "min-decreased": ({**INT, "minimum": 5}, {**INT, "minimum": 1}, I, B),
    "min-set": (INT, {**INT, "minimum": 1}, B, I),
    "min-unset": ({**INT, "minimum": 1}, INT, I, B),
    "exclusive-min-increased": (
        {**INT, "minimum": 1, "exclusiveMinimum": True},
        {**INT, "minimum": 5, "exclusiveMinimum": True},
        B,
        I,
    ),
    "exclusive-min-decreased": (
        {**INT, "minimum": 5, "exclusiveMinimum": True},
        {**INT, "minimum": 1, "exclusiveMinimum": True},
        I,
        B,
    ),
    "exclusive-min-set": (INT, {**INT, "minimum": 1, "exclusiveMinimum": True}, B, I),
    "exclusive-min-unset": ({**INT, "minimum": 1, "exclusiveMinimum": True}, INT, I, B),
    "max-length-decreased": ({**STR, "maxLength": 10}, {**STR, "maxLength": 5}, B, I),
    "max-length-increased": ({**STR, "maxLength": 5}, {**STR, "maxLength": 10}, I, B),
    "max-length-set": (STR, {**STR, "maxLength": 5}, B, I),
    "max-length-unset": ({**STR, "maxLength": 5}, STR, I, B),
    "min-length-increased": ({**STR, "minLength": 1}, {**STR, "minLength": 3}, B, I),
    "min-length-decreased": ({**STR, "minLength": 3}, {**STR, "minLength": 1}, I, B),
    "min-length-set": (STR, {**STR, "minLength": 1}, B, I),
    "min-length-unset": ({**STR, "minLength": 1}, STR, I, B),
    "max-items-decreased": ({**ARR, "maxItems": 10}, {**ARR, "maxItems": 5}, B, I),
    "max-items-increased": ({**ARR, "maxItems": 5}, {**ARR, "maxItems": 10}, I, B),
    "max-items-set": (ARR, {**ARR, "maxItems": 5}, B, I),
    "max-items-unset": ({**ARR, "maxItems": 5}, ARR, I, B),
    "min-items-increased": ({**ARR, "minItems": 1}, {**ARR, "minItems": 2}, B, I),
    "min-items-decreased": ({**ARR, "minItems": 2}, {**ARR, "minItems": 1}, I, B),
    "min-items-set": (ARR, {**ARR, "minItems": 1}, B, I),
    "min-items-unset": ({**ARR, "minItems": 1}, ARR, I, B),
    "multiple-of-set": (INT, {**INT, "multipleOf": 64}, B, I),
    "multiple-of-unset": ({**INT, "multipleOf": 64}, INT, I, B),
    "multiple-of-changed": ({**INT, "multipleOf": 3}, {**INT, "multipleOf": 5}, B, B),
    "multiple-of-generalized": ({**INT, "multipleOf": 64}, {**INT, "multipleOf": 32}, I, B),
    "multiple-of-specialized": ({**INT, "multipleOf": 32}, {**INT, "multipleOf": 64}, B, I),
    "pattern-added": (STR, {**STR, "pattern": "^a"}, B, I),
    "pattern-removed": ({**STR, "pattern": "^a"}, STR, I, B),
    "pattern-changed": ({**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, W, W),
    "enum-value-added": ({**STR, "enum": ["A"]}, {**STR, "enum": ["A", "B"]}, I, B),
    "enum-value-removed": ({**STR, "enum": ["A", "B"]}, {**STR, "enum": ["A"]}, B, I),
    "became-enum": (STR, {**STR, "enum": ["A"]}, B, I),
    "became-not-enum": ({**STR, "enum": ["A"]}, STR, I, B),
    "type-changed": (STR, INT, B, B),
    "type-generalized": (INT, {"type": "number"}, I, B),
    "type-specialized": ({"type": "number"}, INT, None, I),
    "became-nullable": (STR, {**STR, "nullable": True}, I, B),
    "became-not-nullable": ({**STR, "nullable": True}, STR, B, I),
    "default-value-added": (INT, {**INT, "default": 1}, I, I),
    "default-value-changed": ({**INT, "default": 1}, {**INT, "default": 2}, W, I),
    "default-value-removed": ({**INT, "default": 1}, INT, I, I),
    "additional-properties-restricted": (OBJ, {**OBJ, "additionalProperties": False}, B, I),
    "additional-properties-allowed": ({**OBJ, "additionalProperties": False}, OBJ, I, I),
    "max-properties-decreased": ({**OBJ, "maxProperties": 5}, {**OBJ, "maxProperties": 3}, B, I),
    "max-properties-increased": ({**OBJ, "maxProperties": 3}, {**OBJ, "maxProperties": 5}, I, B),
    "max-properties-set": (OBJ, {**OBJ, "maxProperties": 3}, B, I),
    "max-properties-unset": ({**OBJ, "maxProperties": 3}, OBJ, I, B),
    "min-properties-increased": ({**OBJ, "minProperties": 1}, {**OBJ, "minProperties": 2}, B, I),
    "min-properties-decreased": ({**OBJ, "minProperties": 2}, {**OBJ, "minProperties": 1}, I, B),
    "min-properties-set": (OBJ, {**OBJ, "minProperties": 1}, B, I),
    "min-properties-unset": ({**OBJ, "minProperties": 1}, OBJ, I, B),
    "max-contains-decreased": ({**ARR, "maxContains": 5}, {**ARR, "maxContains": 3}, B, I),
    "max-contains-increased": ({**ARR, "maxContains": 3}, {**ARR, "maxContains": 5}, I, B),
    "max-contains-set": (ARR, {**ARR, "maxContains": 3}, B, I),
    "max-contains-unset": ({**ARR, "maxContains": 3}, ARR, I, B),
    "min-contains-increased": ({**ARR, "minContains": 1}, {**ARR, "minContains": 2}, B, I),
    "min-contains-decreased": ({**ARR, "minContains": 2}, {**ARR, "minContains": 1}, I, B),
    "min-contains-set": (ARR, {**ARR, "minContains": 1}, B, I),
    "min-contains-unset": ({**ARR, "minContains": 1}, ARR, I, B),
    "unique-items-set": (ARR, {**ARR, "uniqueItems": True}, B, I),
    "unique-items-unset": ({**ARR, "uniqueItems": True}, ARR, I, B),
    "items-became-false": (TUPLE, {**TUPLE, "items": False}, B, I),
    "items-no-longer-false": ({**TUPLE, "items": False}, TUPLE, I, B),
    **CONSTRAINT_CASES,
    **WRAP_CASES,
    "one-of-added": ({"oneOf": [STR]}, {"oneOf": [STR, INT]}, I, B),
    "one-of-removed": ({"oneOf": [STR, INT]}, {"oneOf": [STR]}, B, I),
    "any-of-added": ({"anyOf": [STR]}, {"anyOf": [STR, INT]}, I, B),
    "any-of-removed": ({"anyOf": [STR, INT]}, {"anyOf": [STR]}, B, I),
}

# Where each subject's schema lives in the base spec.
PLACES: dict[str, tuple[Any, ...]] = {
    "request-body": (*OP, "requestBody", "content", "application/json", "schema"),
    "request-property": (*REQ, "properties", "x"),
    "request-parameter": (*OP, "parameters", 1, "schema"),
    "response-body": (*RESP_200, "content", "application/json", "schema"),
    "response-property": (*RESP, "properties", "x"),
}


def _schema_cases() -> dict[str, Case]:
    out: dict[str, Case] = {}
    for slug, (old, new, req_level, resp_level) in SCHEMA_CASES.items():
        for place, path in PLACES.items():
            level = req_level if place.startswith("request") else resp_level
            if level is not None:
                out[f"{place}-{slug}"] = Case(level, put(path, old), put(path, new))
    return out


CASES: dict[str, Case] = {**STRUCTURAL, **_schema_cases()}


def run_case(case: Case) -> list[Any]:
    old, new = base_spec(), base_spec()
    if case.old:
        case.old(old)
    if case.new:
        case.new(new)
    return diff_specs(Spec(old, "old"), Spec(new, "new"))


def test_base_spec_has_no_changes() -> None:
    assert run_case(Case(I)) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule(rule_id: str) -> None:
    case = CASES[rule_id]
    changes = run_case(case)
    fired = [c for c in changes if c.id == rule_id]
    assert fired, f"{rule_id} did not fire; got {[c.id for c in changes]}"
    assert {c.level for c in fired} == {case.level}
    assert all(c.message and c.location for c in fired)


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == set(RULES_BY_ID), (
        f"rules without a case: {sorted(set(RULES_BY_ID) - set(CASES))}; "
        f"cases without a rule: {sorted(set(CASES) - set(RULES_BY_ID))}"
    )


def test_deviations_from_oasdiff_explain_themselves() -> None:
    for rule in ALL_RULES:
        if rule.oasdiff not in (SAME, ABSENT):
            assert rule.why, f"{rule.id} differs from oasdiff ({rule.oasdiff}) without saying why"


def test_narrowed_request_type_uses_oasdiffs_name() -> None:
    place = PLACES["request-property"]
    changes = run_case(Case(B, put(place, {"type": "number"}), put(place, INT)))
    assert [(c.id, c.level) for c in changes] == [("request-property-type-changed", B)]


def test_response_enum_growth_is_breaking_for_our_strict_client() -> None:
    """The one headline deviation: oasdiff warns, our generated enums raise on unknown values."""
    rule = RULES_BY_ID["response-property-enum-value-added"]
    assert rule.level is B and rule.oasdiff == "warning"
    assert "ValueError" in rule.why
