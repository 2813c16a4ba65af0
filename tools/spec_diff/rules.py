# ruff: noqa: E501 - one rule per row reads better than wrapped rows
"""The classification table: every change the differ can report, and how bad it is.

This is the one place that decides levels. The comparer only *names* what it
found (a rule id); :func:`classify` looks the id up here. An id the comparer
emits that is missing from this table is a programming error, and the rules
test fails on it.

Levels follow oasdiff's breaking-change catalogue (``oasdiff checks``), with
its direction law: a client built on the old spec breaks when the server
*narrows what it accepts* (request side) or *widens what it may send*
(response side). ``breaking`` is oasdiff's ERR, ``warning`` its WARN,
``info`` its INFO. Where this table deliberately disagrees with oasdiff, or
has a rule oasdiff lacks, the row says so in ``oasdiff`` and explains why in
``why``, which the report prints next to the change: the usual reason is
that our *generated* client (openapi-python-client) is stricter or differently
shaped than the generic client oasdiff has in mind.

Two sections:

* ``RULES``: one row per rule id, for structural changes (paths, operations,
  parameters, bodies, media types, statuses, headers, properties, security,
  servers). Ids are oasdiff's where oasdiff has the check.
* ``SCHEMA_RULES``: keyword-level schema changes (bounds, enum, type, ...).
  Their level depends only on the side, not on whether the schema is a whole
  body, a nested property or a parameter, so each row gives both sides and
  expands to ``request-{body,property,parameter}-<slug>`` and
  ``response-{body,property}-<slug>``, the ids oasdiff uses.

``python -m tools.spec_diff --list-rules`` prints the expanded table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .model import Change, Finding, Level, Side
from .oasdiff_levels import LEVELS as OASDIFF_LEVELS

B, W, I = Level.BREAKING, Level.WARNING, Level.INFO  # noqa: E741 - table shorthand
REQ, RESP, NONE = Side.REQUEST, Side.RESPONSE, Side.NONE

SAME = "same"  # oasdiff classifies the change the same way
ABSENT = "absent"  # oasdiff has no such check


@dataclass(frozen=True)
class Rule:
    """One reportable change kind.

    ``oasdiff`` is derived from :data:`.oasdiff_levels.LEVELS` (never written in a
    row): ``SAME``, ``ABSENT`` or the level oasdiff gives when it differs from
    ours; ``why`` must then say why we chose otherwise.
    """

    id: str
    level: Level
    side: Side
    description: str
    why: str = ""
    oasdiff: str = SAME


@dataclass(frozen=True)
class SchemaRule:
    """A keyword-level schema change, with its level on each side."""

    slug: str
    request: Level
    response: Level
    description: str
    why: str = ""
    sides: tuple[Side, ...] = (Side.REQUEST, Side.RESPONSE)


REQUEST_SUBJECTS = ("body", "property", "parameter")
RESPONSE_SUBJECTS = ("body", "property")

_STRICT_ENUM = (
    "The generated client parses response enums strictly: FinishReason('NEW') raises "
    "ValueError, so a response carrying a value it does not know fails to parse as a "
    "whole. oasdiff only warns because a lenient client could cope (the facade reads "
    "finish reasons as plain strings; code on stability_v1alpha_api does not)."
)
_BAKED_DEFAULT = (
    "The generated client bakes request defaults into its models and sends them "
    "explicitly (steps: int | Unset = 50), so old clients keep the old value while "
    "clients that omit the field get the new one: the same call now behaves differently "
    "depending on the client. Worth a look, not a break."
)
_MODULE_NAME = (
    "openapi-python-client names the generated module after the operationId and the "
    "package after the first tag, so callers importing stability_v1alpha_api.api.<tag>."
    "<operation> break on regeneration even though the wire contract is unchanged "
    "(see the code impact section)."
)
_AUTH_SHAPE = (
    "How the credential is sent is part of what a client does on every call; the facade "
    "builds the Authorization header from the scheme, so clients must change."
)
_AUTH_NOW_REQUIRED = (
    "A client written for anonymous access sends no credentials, so every call is refused."
)

# Constraint keywords compared as a whole value: adding one can only reject more
# instances, removing one only accept more; a changed one may do either.
CONSTRAINTS: dict[str, str] = {
    "not": "not",
    "const": "const",
    "if": "if",
    "then": "then",
    "else": "else",
    "prefixItems": "prefix-items",
    "contains": "contains",
    "dependentRequired": "dependent-required",
    "dependentSchemas": "dependent-schemas",
    "patternProperties": "pattern-properties",
    "propertyNames": "property-names",
    "unevaluatedProperties": "unevaluated-properties",
    "unevaluatedItems": "unevaluated-items",
    "contentSchema": "content-schema",
    "contentMediaType": "content-media-type",
    "contentEncoding": "content-encoding",
}

_WRAP = (
    "oasdiff calls any such wrapping breaking (a warning when one alternative is the old "
    "schema). What breaks a client is the server rejecting what it sends or sending what it "
    "cannot parse, so we check what old payloads match: none or several oneOf alternatives "
    "is breaking, exactly one is not."
)
_UNDECIDED_DEPENDENCY = (
    "A changed dependentRequired may add or drop dependencies; whether old requests still "
    "pass depends on which, so it is flagged for review (oasdiff: breaking)."
)


def _constraint_rows() -> list[SchemaRule]:
    """Keywords compared as whole values (see schema_diff.CONSTRAINTS): adding one narrows,
    removing one widens, changing one may do either, except where the value is the contract
    itself (a const, a content type or encoding): a different one breaks both ways."""
    rows: list[SchemaRule] = []
    for keyword, slug in CONSTRAINTS.items():
        rows.append(SchemaRule(f"{slug}-added", B, I, f"{keyword} added"))
        rows.append(SchemaRule(f"{slug}-removed", I, B, f"{keyword} removed"))
        both = slug in ("const", "content-media-type", "content-encoding")
        why = _UNDECIDED_DEPENDENCY if slug == "dependent-required" else ""
        rows.append(
            SchemaRule(
                f"{slug}-changed", B if both else W, B if both else W, f"{keyword} changed", why
            )
        )
    return rows


def _wrap_rows() -> list[SchemaRule]:
    """A schema newly wrapped in oneOf / anyOf (see SchemaDiffer._wrapped)."""
    rows: list[SchemaRule] = []
    for keyword, short in (("oneOf", "one-of"), ("anyOf", "any-of")):
        rows += [
            SchemaRule(
                f"wrapped-in-{short}-compatible",
                I,
                I,
                f"wrapped in {keyword}; old payloads still match as {keyword} requires, every alternative fits the old schema",
                _WRAP,
            ),
            SchemaRule(
                f"wrapped-in-{short}-unmatched",
                B,
                B,
                f"wrapped in {keyword}; old payloads match no alternative",
                _WRAP,
                sides=(REQ,),
            ),
            SchemaRule(
                f"wrapped-in-{short}-uncertain",
                W,
                W,
                f"wrapped in {keyword}; whether old payloads match cannot be decided",
                _WRAP,
            ),
            SchemaRule(
                f"wrapped-in-{short}-widened",
                B,
                B,
                f"wrapped in {keyword}; the server may send alternatives old clients cannot parse",
                _WRAP,
                sides=(RESP,),
            ),
        ]
    rows += [
        SchemaRule(
            "wrapped-in-one-of-ambiguous",
            B,
            B,
            "wrapped in oneOf; old payloads match more than one alternative, which oneOf rejects",
            _WRAP,
            sides=(REQ,),
        ),
        SchemaRule(
            "wrapped-in-one-of-may-be-ambiguous",
            W,
            W,
            "wrapped in oneOf; some old payloads may match more than one alternative",
            _WRAP,
            sides=(REQ,),
        ),
    ]
    return rows


# -- structural rules ----------------------------------------------------------
# fmt: off
RULES: tuple[Rule, ...] = (
    # Paths and operations
    Rule("endpoint-added", I, NONE, "an operation was added"),
    Rule("api-path-removed-without-deprecation", B, NONE, "a whole path was removed without being deprecated first"),
    Rule("api-path-removed-with-deprecation", I, NONE, "a whole path was removed after being deprecated"),
    Rule("api-path-removed-before-sunset", B, NONE, "a deprecated path was removed before its x-sunset date"),
    Rule("api-removed-without-deprecation", B, NONE, "an operation was removed (its path remains) without deprecation"),
    Rule("api-removed-with-deprecation", I, NONE, "an operation was removed after being deprecated"),
    Rule("api-removed-before-sunset", B, NONE, "a deprecated operation was removed before its x-sunset date"),
    Rule("endpoint-deprecated", I, NONE, "an operation was marked deprecated"),
    Rule("endpoint-reactivated", I, NONE, "an operation is no longer deprecated"),
    Rule("api-operation-id-removed", W, NONE, "an operationId was removed or changed", why=_MODULE_NAME),
    Rule("api-operation-id-added", I, NONE, "an operationId was added"),
    Rule("api-tag-removed", W, NONE, "a tag was removed from an operation", why=_MODULE_NAME),
    Rule("api-tag-added", I, NONE, "a tag was added to an operation"),
    Rule("api-schema-removed", I, NONE, "a schema was removed from components/schemas"),
    # Parameters
    Rule("new-required-request-parameter", B, REQ, "a required parameter was added"),
    Rule("new-optional-request-parameter", I, REQ, "an optional parameter was added"),
    Rule("request-parameter-removed", W, REQ, "a parameter was removed (clients still send it; servers may reject unknown ones)"),
    Rule("request-parameter-became-required", B, REQ, "an optional parameter became required"),
    Rule("request-parameter-became-optional", I, REQ, "a required parameter became optional"),
    Rule("request-parameter-deprecated", I, REQ, "a parameter was deprecated"),
    Rule("request-parameter-reactivated", I, REQ, "a parameter is no longer deprecated"),
    Rule("request-path-parameter-renamed", I, REQ, "a path parameter was renamed (same position in the path)",
         why="The URL is unchanged, but the generated function's keyword argument is renamed."),
    # Request bodies
    Rule("request-body-added-required", B, REQ, "a required request body was added"),
    Rule("request-body-added-optional", I, REQ, "an optional request body was added"),
    Rule("request-body-removed", B, REQ, "the request body was removed"),
    Rule("request-body-became-required", B, REQ, "the request body became required"),
    Rule("request-body-became-optional", I, REQ, "the request body became optional"),
    Rule("request-body-media-type-added", I, REQ, "a request body media type was added"),
    Rule("request-body-media-type-removed", B, REQ, "a request body media type was removed"),
    Rule("request-body-media-type-schema-added", B, REQ, "a schema was given to a request media type that had none"),
    Rule("request-body-media-type-schema-removed", I, REQ, "the schema of a request media type was removed"),
    Rule("request-body-part-content-type-changed", W, REQ, "the content type of a multipart part changed (encoding.contentType)",
         why="The server may reject parts sent with the old content type. The generated client "
         "hard-codes JSON parts as application/json and sends file parts with the caller's File.mime_type."),
    # Request properties (inside bodies; parameters use the request-parameter-* rules)
    Rule("new-required-request-property", B, REQ, "a required request property was added"),
    Rule("new-required-request-property-with-default", B, REQ, "a required request property with a default was added"),
    Rule("new-optional-request-property", I, REQ, "an optional request property was added"),
    Rule("request-property-removed", W, REQ, "a request property was removed (old clients still send it)"),
    Rule("request-property-became-required", B, REQ, "an optional request property became required"),
    Rule("request-property-became-optional", I, REQ, "a required request property became optional"),
    Rule("request-property-deprecated", I, REQ, "a request property was deprecated"),
    Rule("request-property-reactivated", I, REQ, "a request property is no longer deprecated"),
    Rule("request-optional-property-became-read-only", I, REQ, "an optional request property became readOnly"),
    Rule("request-optional-property-became-not-read-only", I, REQ, "an optional request property is no longer readOnly"),
    Rule("request-optional-property-became-write-only", I, REQ, "an optional request property became writeOnly"),
    Rule("request-optional-property-became-not-write-only", I, REQ, "an optional request property is no longer writeOnly"),
    Rule("request-required-property-became-read-only", I, REQ, "a required request property became readOnly"),
    Rule("request-required-property-became-not-read-only", I, REQ, "a required request property is no longer readOnly"),
    Rule("request-required-property-became-write-only", I, REQ, "a required request property became writeOnly"),
    Rule("request-required-property-became-not-write-only", I, REQ, "a required request property is no longer writeOnly"),
    # Properties that travel the other way: readOnly ones in requests (clients do not send
    # them), writeOnly ones in responses (the server does not send them)
    Rule("request-optional-read-only-property-added", I, REQ, "an optional readOnly property was added to a request body"),
    Rule("request-required-read-only-property-added", I, REQ, "a required readOnly property was added to a request body (clients do not send it)"),
    Rule("request-optional-read-only-property-removed", I, REQ, "an optional readOnly property was removed from a request body"),
    Rule("request-required-read-only-property-removed", I, REQ, "a required readOnly property was removed from a request body"),
    Rule("request-read-only-property-became-required", I, REQ, "a readOnly request property became required"),
    Rule("request-read-only-property-became-optional", I, REQ, "a readOnly request property became optional"),
    Rule("response-optional-write-only-property-added", I, RESP, "an optional writeOnly property was added to a response"),
    Rule("response-required-write-only-property-added", I, RESP, "a required writeOnly property was added to a response"),
    Rule("response-optional-write-only-property-removed", I, RESP, "an optional writeOnly property was removed from a response"),
    Rule("response-required-write-only-property-removed", I, RESP, "a required writeOnly property was removed from a response (the server never sent it)"),
    Rule("response-write-only-property-became-optional", I, RESP, "a writeOnly response property became optional"),
    Rule("response-write-only-property-became-required", I, RESP, "a writeOnly response property became required"),
    # Responses: statuses and media types
    Rule("response-success-status-added", I, RESP, "a success (2xx) response status was added"),
    Rule("response-success-status-removed", B, RESP, "a success (2xx) response status was removed"),
    Rule("response-non-success-status-added", I, RESP, "a non-success response status was added"),
    Rule("response-non-success-status-removed", I, RESP, "a non-success response status was removed"),
    Rule("response-media-type-added", I, RESP, "a response media type was added (including a body where there was none)"),
    Rule("response-media-type-removed", B, RESP, "a response media type was removed (including the whole body)"),
    Rule("response-body-media-type-schema-added", I, RESP, "a schema was given to a response media type that had none"),
    Rule("response-body-media-type-schema-removed", B, RESP, "the schema of a response media type was removed"),
    # Response properties
    Rule("response-required-property-added", I, RESP, "a required response property was added"),
    Rule("response-optional-property-added", I, RESP, "an optional response property was added"),
    Rule("response-required-property-removed", B, RESP, "a required response property was removed"),
    Rule("response-optional-property-removed", W, RESP, "an optional response property was removed",
         why="The generated client copes (the field reads as UNSET), but callers that relied on it "
         "lose data: worth a look, which oasdiff (info) does not ask for."),
    Rule("response-property-became-optional", B, RESP, "a required response property became optional"),
    Rule("response-property-became-required", I, RESP, "an optional response property became required"),
    Rule("response-property-deprecated", I, RESP, "a response property was deprecated"),
    Rule("response-property-reactivated", I, RESP, "a response property is no longer deprecated"),
    Rule("response-optional-property-became-read-only", I, RESP, "an optional response property became readOnly"),
    Rule("response-optional-property-became-not-read-only", I, RESP, "an optional response property is no longer readOnly"),
    Rule("response-optional-property-became-write-only", I, RESP, "an optional response property became writeOnly"),
    Rule("response-optional-property-became-not-write-only", I, RESP, "an optional response property is no longer writeOnly"),
    Rule("response-required-property-became-read-only", I, RESP, "a required response property became readOnly"),
    Rule("response-required-property-became-not-read-only", I, RESP, "a required response property is no longer readOnly"),
    Rule("response-required-property-became-write-only", I, RESP, "a required response property became writeOnly"),
    Rule("response-required-property-became-not-write-only", W, RESP, "a required response property is no longer writeOnly"),
    # Response headers
    Rule("response-header-added", I, RESP, "a response header was added"),
    Rule("required-response-header-removed", B, RESP, "a required response header was removed"),
    Rule("optional-response-header-removed", W, RESP, "an optional response header was removed"),
    Rule("response-header-became-optional", B, RESP, "a required response header became optional"),
    Rule("response-header-became-required", I, RESP, "an optional response header became required",
         why="Narrows what the server may send; by the direction law that is safe."),
    Rule("response-header-type-changed", B, RESP, "a response header's type or format changed incompatibly"),
    Rule("response-header-type-generalized", B, RESP, "a response header's type or format was widened"),
    Rule("response-header-type-specialized", I, RESP, "a response header's type or format was narrowed"),
    Rule("response-header-became-nullable", B, RESP, "a response header became nullable"),
    Rule("response-header-became-not-nullable", I, RESP, "a response header is no longer nullable"),
    # Security
    Rule("api-security-added", I, NONE, "an alternative security requirement was added to an operation"),
    Rule("api-security-removed", B, NONE, "a security requirement alternative was removed from an operation (clients using it are refused)"),
    Rule("api-security-became-required", B, NONE, "an operation that allowed anonymous access now requires credentials",
         why=_AUTH_NOW_REQUIRED),
    Rule("api-security-scope-added", B, NONE, "a scope was added to an operation's security requirement"),
    Rule("api-security-scope-removed", I, NONE, "a scope was removed from an operation's security requirement"),
    Rule("api-global-security-added", I, NONE, "an alternative global security requirement was added"),
    Rule("api-global-security-removed", B, NONE, "a global security requirement alternative was removed (clients using it are refused)"),
    Rule("api-global-security-became-required", B, NONE, "the API allowed anonymous access and now requires credentials",
         why=_AUTH_NOW_REQUIRED),
    Rule("api-global-security-scope-added", B, NONE, "a scope was added to a global security requirement"),
    Rule("api-global-security-scope-removed", I, NONE, "a scope was removed from a global security requirement"),
    Rule("api-security-component-added", I, NONE, "a security scheme was added to components"),
    Rule("api-security-component-removed", I, NONE, "a security scheme was removed from components"),
    Rule("api-security-component-type-changed", B, NONE, "a security scheme's type changed", why=_AUTH_SHAPE),
    Rule("api-security-component-api-key-changed", B, NONE, "an apiKey scheme now reads the key from another header, query or cookie",
         why=_AUTH_SHAPE),
    Rule("api-security-component-http-scheme-changed", B, NONE, "an http security scheme changed its scheme (basic, bearer, ...)",
         why=_AUTH_SHAPE),
    # Everything else
    Rule("documentation-changed", I, NONE, "a description, summary, title or example changed (no effect on the wire)"),
    Rule("extension-changed", I, NONE, "an x- extension changed (tooling metadata, no effect on the wire)"),
    Rule("unused-component-changed", I, NONE, "a component no operation refers to was added, removed or changed"),
    Rule("unclassified-change", W, NONE, "the documents differ in a way no rule judges: review it by hand",
         why="Said rather than hidden: a change the tool cannot judge must not read as no change."),
    # Servers
    Rule("api-server-added", I, NONE, "a server URL was added", why="Informational: the facade has its own base URL setting."),
    Rule("api-server-removed", I, NONE, "a server URL was removed", why="Informational: the facade has its own base URL setting."),
)

# -- schema keyword rules ------------------------------------------------------
# Each row expands to request-{body,property,parameter}-<slug> (level `request`)
# and response-{body,property}-<slug> (level `response`).
SCHEMA_RULES: tuple[SchemaRule, ...] = (
    # slug                          request  response  description
    SchemaRule("max-decreased",           B, I, "maximum lowered"),
    SchemaRule("max-increased",           I, B, "maximum raised"),
    SchemaRule("max-set",                 B, I, "maximum added"),
    SchemaRule("max-unset",               I, B, "maximum removed"),
    SchemaRule("exclusive-max-decreased", B, I, "exclusive maximum lowered"),
    SchemaRule("exclusive-max-increased", I, B, "exclusive maximum raised"),
    SchemaRule("exclusive-max-set",       B, I, "exclusive maximum added"),
    SchemaRule("exclusive-max-unset",     I, B, "exclusive maximum removed"),
    SchemaRule("min-increased",           B, I, "minimum raised"),
    SchemaRule("min-decreased",           I, B, "minimum lowered"),
    SchemaRule("min-set",                 B, I, "minimum added"),
    SchemaRule("min-unset",               I, B, "minimum removed"),
    SchemaRule("exclusive-min-increased", B, I, "exclusive minimum raised"),
    SchemaRule("exclusive-min-decreased", I, B, "exclusive minimum lowered"),
    SchemaRule("exclusive-min-set",       B, I, "exclusive minimum added"),
    SchemaRule("exclusive-min-unset",     I, B, "exclusive minimum removed"),
    SchemaRule("max-length-decreased",    B, I, "maxLength lowered"),
    SchemaRule("max-length-increased",    I, B, "maxLength raised"),
    SchemaRule("max-length-set",          B, I, "maxLength added"),
    SchemaRule("max-length-unset",        I, B, "maxLength removed"),
    SchemaRule("min-length-increased",    B, I, "minLength raised"),
    SchemaRule("min-length-decreased",    I, B, "minLength lowered"),
    SchemaRule("min-length-set",          B, I, "minLength added"),
    SchemaRule("min-length-unset",        I, B, "minLength removed"),
    SchemaRule("max-items-decreased",     B, I, "maxItems lowered"),
    SchemaRule("max-items-increased",     I, B, "maxItems raised"),
    SchemaRule("max-items-set",           B, I, "maxItems added"),
    SchemaRule("max-items-unset",         I, B, "maxItems removed"),
    SchemaRule("min-items-increased",     B, I, "minItems raised"),
    SchemaRule("min-items-decreased",     I, B, "minItems lowered"),
    SchemaRule("min-items-set",           B, I, "minItems added"),
    SchemaRule("min-items-unset",         I, B, "minItems removed"),
    SchemaRule("multiple-of-set",         B, I, "multipleOf added"),
    SchemaRule("multiple-of-unset",       I, B, "multipleOf removed"),
    SchemaRule("multiple-of-changed",     B, B, "multipleOf changed to a value that neither divides nor is divided by the old one"),
    SchemaRule("multiple-of-generalized", I, B, "multipleOf changed to a divisor of the old value (accepts more)"),
    SchemaRule("multiple-of-specialized", B, I, "multipleOf changed to a multiple of the old value (accepts less)"),
    SchemaRule("pattern-added",           B, I, "pattern added"),
    SchemaRule("pattern-removed",         I, B, "pattern removed"),
    SchemaRule("pattern-changed",         W, W, "pattern changed (whether it accepts more or less cannot be decided)"),
    SchemaRule("enum-value-added",        I, B, "enum value added", _STRICT_ENUM),
    SchemaRule("enum-value-removed",      B, I, "enum value removed"),
    SchemaRule("became-enum",             B, I, "restricted to a list of enum values"),
    SchemaRule("became-not-enum",         I, B, "no longer restricted to enum values", _STRICT_ENUM),
    SchemaRule("type-changed",            B, B, "type or format changed incompatibly"),
    SchemaRule("type-generalized",        I, B, "type or format widened (e.g. integer -> number, int32 -> int64, typed -> untyped)"),
    # Narrowing a request type is reported as *-type-changed, as oasdiff does.
    SchemaRule("type-specialized",        B, I, "type or format narrowed (e.g. number -> integer, untyped -> typed)",
               sides=(RESP,)),
    SchemaRule("became-nullable",         I, B, "became nullable"),
    SchemaRule("became-not-nullable",     B, I, "no longer nullable"),
    SchemaRule("default-value-added",     I, I, "default value added"),
    SchemaRule("default-value-changed",   W, I, "default value changed", _BAKED_DEFAULT),
    SchemaRule("default-value-removed",   I, I, "default value removed"),
    SchemaRule("additional-properties-restricted", B, I, "additionalProperties became false (unknown fields rejected)",
               "Narrows what the server accepts; by the direction law that breaks requests."),
    SchemaRule("additional-properties-allowed", I, I, "additionalProperties no longer false (unknown fields allowed)",
               "Generated models collect unknown response fields in additional_properties "
               "instead of failing, so extra fields are harmless for our client."),
    SchemaRule("max-properties-decreased", B, I, "maxProperties lowered"),
    SchemaRule("max-properties-increased", I, B, "maxProperties raised"),
    SchemaRule("max-properties-set",      B, I, "maxProperties added"),
    SchemaRule("max-properties-unset",    I, B, "maxProperties removed"),
    SchemaRule("min-properties-increased", B, I, "minProperties raised"),
    SchemaRule("min-properties-decreased", I, B, "minProperties lowered"),
    SchemaRule("min-properties-set",      B, I, "minProperties added"),
    SchemaRule("min-properties-unset",    I, B, "minProperties removed"),
    SchemaRule("max-contains-decreased",  B, I, "maxContains lowered"),
    SchemaRule("max-contains-increased",  I, B, "maxContains raised"),
    SchemaRule("max-contains-set",        B, I, "maxContains added"),
    SchemaRule("max-contains-unset",      I, B, "maxContains removed"),
    SchemaRule("min-contains-increased",  B, I, "minContains raised"),
    SchemaRule("min-contains-decreased",  I, B, "minContains lowered"),
    SchemaRule("min-contains-set",        B, I, "minContains added"),
    SchemaRule("min-contains-unset",      I, B, "minContains removed"),
    SchemaRule("unique-items-set",        B, I, "uniqueItems became true"),
    SchemaRule("unique-items-unset",      I, B, "uniqueItems no longer true"),
    SchemaRule("items-became-false",      B, I, "items became false: nothing allowed beyond prefixItems"),
    SchemaRule("items-no-longer-false",   I, B, "items no longer false: more items allowed beyond prefixItems"),
    *_constraint_rows(),
    *_wrap_rows(),
    SchemaRule("one-of-added",            I, B, "a oneOf alternative was added"),
    SchemaRule("one-of-removed",          B, I, "a oneOf alternative was removed"),
    SchemaRule("any-of-added",            I, B, "an anyOf alternative was added"),
    SchemaRule("any-of-removed",          B, I, "an anyOf alternative was removed"),
)
# fmt: on


def _expand(rows: Iterable[SchemaRule]) -> tuple[Rule, ...]:
    out: list[Rule] = []
    for row in rows:
        for side, subjects, level in (
            (REQ, REQUEST_SUBJECTS, row.request),
            (RESP, RESPONSE_SUBJECTS, row.response),
        ):
            if side in row.sides:
                out += [
                    Rule(
                        f"{side.value}-{subject}-{row.slug}",
                        level,
                        side,
                        f"{side.value} {subject}: {row.description}",
                        row.why,
                    )
                    for subject in subjects
                ]
    return tuple(out)


def _with_oasdiff(rule: Rule) -> Rule:
    """The rule with its ``oasdiff`` column filled in."""
    theirs = OASDIFF_LEVELS.get(rule.id)
    if theirs is None:
        return replace(rule, oasdiff=ABSENT)
    return replace(rule, oasdiff=SAME if theirs is rule.level else theirs.value)


ALL_RULES: tuple[Rule, ...] = tuple(map(_with_oasdiff, RULES + _expand(SCHEMA_RULES)))
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}
if len(RULES_BY_ID) != len(ALL_RULES):  # pragma: no cover - caught at import in every test run
    raise RuntimeError("duplicate rule ids in tools.spec_diff.rules")


def classify(finding: Finding) -> Change:
    """Attach the level and side of the finding's rule. Unknown ids raise KeyError."""
    rule = RULES_BY_ID[finding.rule_id]
    message = finding.message
    if finding.where:
        message = f"{message} [{_format_where(finding.where)}]"
    return Change(
        id=rule.id,
        level=rule.level,
        side=rule.side,
        operation=finding.operation,
        location=finding.location,
        message=message,
        why=rule.why,
    )


def _format_where(where: tuple[str, ...]) -> str:
    """``("200 application/json", "400 application/json")`` -> ``status 200, 400 (application/json)``."""
    statuses: list[str] = []
    media: list[str] = []
    for item in where:
        status, _, mt = item.partition(" ")
        if status and status not in statuses:
            statuses.append(status)
        if mt and mt not in media:
            media.append(mt)
    text = "status " + ", ".join(statuses) if statuses else ""
    if media:
        text += f" ({', '.join(media)})" if text else ", ".join(media)
    return text
