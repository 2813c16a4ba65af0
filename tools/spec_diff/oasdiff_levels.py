# ruff: noqa: E501 - one rule per row reads better than wrapped rows
"""The levels oasdiff's checker gives today, for the rule ids our table shares with it.

Read from oasdiff's rule catalogue (``checker/rules.go``: ``ERR`` is breaking,
``WARN`` warning, ``INFO`` info). :mod:`.rules` derives its ``oasdiff`` column
from here: an id missing here is one oasdiff has no check for (or checks with a
different meaning, e.g. its ``prefix-items-added`` is about one more position,
ours about the keyword appearing). Where oasdiff spells an id differently the
row says so.
"""

from __future__ import annotations

from .model import Level

B, W, I = Level.BREAKING, Level.WARNING, Level.INFO  # noqa: E741 - table shorthand

# fmt: off
STRUCTURAL: dict[str, Level] = {
    "endpoint-added": I,
    "api-path-removed-without-deprecation": B, "api-path-removed-with-deprecation": I, "api-path-removed-before-sunset": B,
    "api-removed-without-deprecation": B, "api-removed-with-deprecation": I, "api-removed-before-sunset": B,
    "endpoint-deprecated": I, "endpoint-reactivated": I,
    "api-operation-id-removed": I, "api-operation-id-added": I, "api-tag-removed": I, "api-tag-added": I,
    "api-schema-removed": I,
    "new-required-request-parameter": B, "new-optional-request-parameter": I, "request-parameter-removed": W,
    "request-parameter-became-required": B, "request-parameter-became-optional": I,
    "request-parameter-deprecated": I, "request-parameter-reactivated": I,
    "request-body-added-required": B,  # oasdiff: added-required-request-body
    "request-body-added-optional": I,  # oasdiff: added-optional-request-body
    "request-body-removed": B, "request-body-became-required": B, "request-body-became-optional": I,
    "request-body-media-type-added": I, "request-body-media-type-removed": B,
    "request-body-media-type-schema-added": B, "request-body-media-type-schema-removed": I,
    "new-required-request-property": B, "new-required-request-property-with-default": B,
    "new-optional-request-property": I, "request-property-removed": W,
    "request-property-became-required": B, "request-property-became-optional": I,
    "request-property-deprecated": I, "request-property-reactivated": I,
    **{f"{side}-{k}-property-became-{f}": I for side in ("request", "response")
       for k in ("optional", "required") for f in ("read-only", "not-read-only", "write-only", "not-write-only")},
    "response-success-status-added": I, "response-success-status-removed": B,
    "response-non-success-status-added": I, "response-non-success-status-removed": I,
    "response-media-type-added": I, "response-media-type-removed": B,
    "response-body-media-type-schema-added": I, "response-body-media-type-schema-removed": B,
    "response-required-property-added": I, "response-optional-property-added": I,
    "response-required-property-removed": B, "response-optional-property-removed": I,
    "response-property-became-optional": B, "response-property-became-required": I,
    "response-property-deprecated": I, "response-property-reactivated": I,
    "response-required-property-became-not-write-only": W,
    "response-optional-write-only-property-added": I, "response-required-write-only-property-added": I,
    "response-optional-write-only-property-removed": I, "response-required-write-only-property-removed": I,
    "response-write-only-property-became-optional": I, "response-write-only-property-became-required": I,
    "response-header-added": I, "required-response-header-removed": B, "optional-response-header-removed": W,
    "response-header-became-optional": B,
    "response-header-type-changed": B, "response-header-type-generalized": B, "response-header-type-specialized": I,
    "response-header-became-nullable": B, "response-header-became-not-nullable": I,
    "api-security-added": I, "api-security-removed": B, "api-security-scope-added": B, "api-security-scope-removed": I,
    "api-global-security-added": I, "api-global-security-removed": B,
    "api-global-security-scope-added": B, "api-global-security-scope-removed": I,
    "api-security-component-added": I, "api-security-component-removed": I, "api-security-component-type-changed": I,
}

_REQ = ("body", "property", "parameter")
_RESP = ("body", "property")
_BP = ("body", "property")

# slug -> (request level, request subjects, response level, response subjects); None: no check.
SCHEMA: dict[str, tuple[Level | None, tuple[str, ...], Level | None, tuple[str, ...]]] = {
    "max-decreased": (B, _REQ, None, ()),            "max-increased": (I, _REQ, B, _RESP),
    "max-set": (B, _REQ, None, ()),
    "exclusive-max-decreased": (B, _REQ, None, ()),  "exclusive-max-increased": (I, _REQ, B, _RESP),
    "exclusive-max-set": (B, _REQ, None, ()),
    "min-increased": (B, _REQ, None, ()),            "min-decreased": (I, _REQ, B, _RESP),
    "min-set": (B, _REQ, None, ()),
    "exclusive-min-increased": (B, _REQ, None, ()),  "exclusive-min-decreased": (I, _REQ, B, _RESP),
    "exclusive-min-set": (B, _REQ, None, ()),
    "max-length-decreased": (B, _REQ, None, ()),     "max-length-increased": (I, _REQ, B, _RESP),
    "max-length-set": (B, _REQ, None, ()),           "max-length-unset": (None, (), B, _RESP),
    "min-length-increased": (B, _REQ, None, ()),     "min-length-decreased": (I, _REQ, B, _RESP),
    "max-items-decreased": (B, _REQ, None, ()),      "max-items-increased": (I, _REQ, B, _RESP),
    "max-items-set": (B, _BP, None, ()),
    "min-items-increased": (B, _REQ, None, ()),      "min-items-decreased": (I, ("parameter",), B, _RESP),
    "min-items-set": (B, _REQ, None, ()),            "min-items-unset": (None, (), B, _RESP),
    "multiple-of-set": (B, _BP, None, ()),           "multiple-of-unset": (I, _BP, B, _RESP),
    "multiple-of-changed": (B, _BP, B, _RESP),       "multiple-of-generalized": (I, _BP, None, ()),
    "multiple-of-specialized": (None, (), I, _RESP),
    "pattern-added": (B, ("property", "parameter"), I, ("property",)),
    "pattern-removed": (I, ("property", "parameter"), B, ("property",)),
    "pattern-changed": (W, ("property", "parameter"), W, ("property",)),
    "enum-value-added": (I, ("property", "parameter"), W, ("property",)),
    "enum-value-removed": (B, _REQ, I, ("property",)),
    "became-enum": (B, _REQ, None, ()),
    "type-changed": (B, _REQ, B, _RESP),             "type-generalized": (I, _REQ, B, _RESP),
    "type-specialized": (None, (), I, _RESP),
    "became-nullable": (I, _REQ, B, _RESP),          "became-not-nullable": (B, _REQ, I, _RESP),
    "default-value-added": (I, _REQ, I, _RESP),      "default-value-changed": (I, _REQ, I, _RESP),
    "default-value-removed": (I, _REQ, I, _RESP),
    "one-of-added": (I, _BP, B, _RESP),              "one-of-removed": (B, _BP, I, _RESP),
    "any-of-added": (I, _BP, B, _RESP),              "any-of-removed": (B, _BP, I, _RESP),
    "max-properties-decreased": (B, _BP, None, ()),  "max-properties-increased": (I, _BP, B, _RESP),
    "max-properties-set": (B, _BP, None, ()),
    "min-properties-increased": (B, _BP, None, ()),  "min-properties-decreased": (None, (), B, _RESP),
    "max-contains-increased": (I, _BP, B, _RESP),    "max-contains-decreased": (B, _BP, I, _RESP),
    "min-contains-increased": (B, _BP, I, _RESP),    "min-contains-decreased": (I, _BP, B, _RESP),
    "unique-items-set": (B, _BP, None, ()),          "unique-items-unset": (I, _BP, B, _RESP),
    "const-added": (B, _BP, I, _RESP), "const-removed": (I, _BP, B, _RESP), "const-changed": (B, _BP, B, _RESP),
    "if-added": (B, _BP, I, _RESP), "if-removed": (I, _BP, B, _RESP),
    "then-added": (B, _BP, I, _RESP), "then-removed": (I, _BP, B, _RESP),
    "else-added": (B, _BP, I, _RESP), "else-removed": (I, _BP, B, _RESP),
    "contains-added": (B, _BP, I, _RESP), "contains-removed": (I, _BP, B, _RESP),
    "dependent-required-added": (B, _BP, I, _RESP), "dependent-required-removed": (I, _BP, B, _RESP),
    "dependent-required-changed": (B, _BP, B, _RESP),
    "property-names-added": (B, _BP, I, _RESP), "property-names-removed": (I, _BP, B, _RESP),
    "unevaluated-properties-added": (B, _BP, I, _RESP), "unevaluated-properties-removed": (I, _BP, B, _RESP),
    "unevaluated-items-added": (B, _BP, I, _RESP), "unevaluated-items-removed": (I, _BP, B, _RESP),
    "content-schema-added": (B, _BP, I, _RESP), "content-schema-removed": (I, _BP, B, _RESP),
    "content-media-type-changed": (B, _BP, B, _RESP), "content-encoding-changed": (B, _BP, B, _RESP),
}
# fmt: on


def _expand() -> dict[str, Level]:
    out = dict(STRUCTURAL)
    for slug, (req, req_subjects, resp, resp_subjects) in SCHEMA.items():
        for side, level, subjects in (
            ("request", req, req_subjects),
            ("response", resp, resp_subjects),
        ):
            if level is not None:
                out.update({f"{side}-{subject}-{slug}": level for subject in subjects})
    return out


LEVELS: dict[str, Level] = _expand()
