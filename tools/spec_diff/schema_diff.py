"""Recursive comparison of two schemas, driven by a table of keywords.

Most schema keywords differ only in *which way* a change goes: a bound moves
up or down, a pattern appears or disappears. :data:`KEYWORDS` names each
keyword, how to read it (``exclusiveMaximum: true`` of OpenAPI 3.0 is read as
the 3.1 numeric form) and how to judge old against new; the walker turns the
verdict into a rule id ``<side>-<subject>-<slug>-<action>`` and leaves the
level to :mod:`.rules`. Keywords with richer structure (type, enum,
properties, items, oneOf/anyOf) get a function each below.

The walker knows its side (request or response) and subject (body, nested
property, parameter) from its :class:`Ctx`; the same edit to a shared
component is therefore reported once per operation and side, each with the
level that side calls for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from .loader import JSONObj, Spec, as_list, as_map
from .model import Finding, Level, Side
from .rules import CONSTRAINTS, RULES_BY_ID

MISSING: Any = object()
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Ctx:
    """Where the walker is: side, subject, operation, location and property path."""

    side: Side
    subject: str  # "body" | "property" | "parameter"
    operation: str | None
    location: tuple[str, ...]
    label: str  # how the root is named in messages, e.g. "request body (application/json)"
    path: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    def child(self, name: str, *segments: str) -> Ctx:
        subject = "parameter" if self.subject == "parameter" else "property"
        return replace(
            self, subject=subject, path=(*self.path, name), location=(*self.location, *segments)
        )

    def describe(self) -> str:
        if not self.path:
            return self.label
        prop = "/".join(self.path)
        if self.subject == "parameter":
            return f"{self.label}, property '{prop}'"
        return f"{self.side.value} property '{prop}'"

    def rule(self, slug: str) -> str:
        return f"{self.side.value}-{self.subject}-{slug}"


# -- the keyword table ---------------------------------------------------------


def _num(v: Any) -> Any:
    return v if isinstance(v, int | float) and not isinstance(v, bool) else None


def _read_bound(keyword: str, exclusive: str) -> Callable[[JSONObj], Any]:
    """Read ``maximum`` (or ``minimum``) as 3.1 sees it: ``maximum: 5, exclusiveMaximum: true``
    (OpenAPI 3.0) is an exclusive bound, not an inclusive one."""

    def read(s: JSONObj) -> Any:
        return None if s.get(exclusive) is True else _num(s.get(keyword))

    return read


def _read_exclusive(keyword: str, exclusive: str) -> Callable[[JSONObj], Any]:
    def read(s: JSONObj) -> Any:
        value = s.get(exclusive)
        if value is True:
            return _num(s.get(keyword))
        return _num(value)

    return read


def _judge_bound(*, upper: bool) -> Callable[[Any, Any], str | None]:
    def judge(old: Any, new: Any) -> str | None:
        if old == new:
            return None
        if old is None:
            return "set"
        if new is None:
            return "unset"
        if upper:
            return "decreased" if new < old else "increased"
        return "increased" if new > old else "decreased"

    return judge


def _is_multiple(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) % Decimal(str(b)) == 0
    except (InvalidOperation, ZeroDivisionError):
        return False


def _judge_multiple(old: Any, new: Any) -> str | None:
    if old == new:
        return None
    if old is None:
        return "set"
    if new is None:
        return "unset"
    if _is_multiple(new, old):
        return "specialized"  # every multiple of `new` is a multiple of `old`: accepts less
    if _is_multiple(old, new):
        return "generalized"
    return "changed"


def _judge_presence(added: str, removed: str, changed: str) -> Callable[[Any, Any], str | None]:
    def judge(old: Any, new: Any) -> str | None:
        if old == new:
            return None
        if old is MISSING or old is None:
            return added
        if new is MISSING or new is None:
            return removed
        return changed

    return judge


@dataclass(frozen=True)
class Keyword:
    """One schema keyword compared generically: ``slug-<action>`` names the rule."""

    keyword: str
    slug: str
    read: Callable[[JSONObj], Any]
    judge: Callable[[Any, Any], str | None]
    bound: str = ""  # "upper" / "lower" for bounds: used to check baked-in defaults


def _number(keyword: str) -> Callable[[JSONObj], Any]:
    return lambda s: _num(s.get(keyword))


_UPPER, _LOWER = _judge_bound(upper=True), _judge_bound(upper=False)
_PRESENCE = _judge_presence("added", "removed", "changed")
_INCL_MAX = _read_bound("maximum", "exclusiveMaximum")
_EXCL_MAX = _read_exclusive("maximum", "exclusiveMaximum")
_INCL_MIN = _read_bound("minimum", "exclusiveMinimum")
_EXCL_MIN = _read_exclusive("minimum", "exclusiveMinimum")

# fmt: off
KEYWORDS: tuple[Keyword, ...] = (
    #       keyword             slug             read                   judge             bound
    Keyword("maximum",          "max",           _INCL_MAX,             _UPPER,           "upper"),
    Keyword("exclusiveMaximum", "exclusive-max", _EXCL_MAX,             _UPPER,           "upper"),
    Keyword("minimum",          "min",           _INCL_MIN,             _LOWER,           "lower"),
    Keyword("exclusiveMinimum", "exclusive-min", _EXCL_MIN,             _LOWER,           "lower"),
    Keyword("maxLength",        "max-length",    _number("maxLength"),  _UPPER),
    Keyword("minLength",        "min-length",    _number("minLength"),  _LOWER),
    Keyword("maxItems",         "max-items",     _number("maxItems"),   _UPPER),
    Keyword("minItems",         "min-items",     _number("minItems"),   _LOWER),
    Keyword("multipleOf",       "multiple-of",   _number("multipleOf"), _judge_multiple),
    Keyword("pattern",          "pattern",       lambda s: s.get("pattern"),           _PRESENCE),
    Keyword("default",          "default-value", lambda s: s.get("default", MISSING),  _PRESENCE),
    Keyword("maxProperties",    "max-properties", _number("maxProperties"), _UPPER),
    Keyword("minProperties",    "min-properties", _number("minProperties"), _LOWER),
    Keyword("maxContains",      "max-contains",   _number("maxContains"),   _UPPER),
    Keyword("minContains",      "min-contains",   _number("minContains"),   _LOWER),
    Keyword("uniqueItems",      "unique-items",   lambda s: s.get("uniqueItems") is True or None,
            _judge_presence("set", "unset", "changed")),
    Keyword("items",            "items",          lambda s: s.get("items") is False or None,
            _judge_presence("became-false", "no-longer-false", "changed")),
)
# fmt: on

KEYWORDS += tuple(
    Keyword(keyword, slug, lambda s, k=keyword: s.get(k, MISSING), _PRESENCE)
    for keyword, slug in CONSTRAINTS.items()
)

_VERBS = {
    "set": "added ({new})",
    "added": "added ({new})",
    "unset": "removed (was {old})",
    "removed": "removed (was {old})",
    "became-false": "became false: no items allowed beyond prefixItems",
    "no-longer-false": "no longer false: items beyond prefixItems allowed",
}


def _show(v: Any, limit: int = 80) -> str:
    if v is MISSING:
        return "none"
    text = (
        json.dumps(v, ensure_ascii=False, default=str, sort_keys=True)
        if isinstance(v, str | list | dict | bool) or v is None
        else str(v)
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(node: Any) -> set[str]:
    return {x for x in as_list(node) if isinstance(x, str)}


def _violates(default: Any, bound: str, value: Any, exclusive: bool) -> bool:
    """Whether a baked-in default falls outside a new bound."""
    d = _num(default)
    if not bound or d is None or value is None:
        return False
    if bound == "upper":
        return bool(d >= value if exclusive else d > value)
    return bool(d <= value if exclusive else d < value)


# -- type, format, nullability ---------------------------------------------------

# Keywords of a wrapper that every alternative inherits (compared as allOf[rest, alt]).
_STRUCTURAL = {"type", "properties", "required", "items", "enum", "additionalProperties"}
# Findings that do not stop a value from matching an alternative: a property the
# alternative does not declare is still allowed, and defaults do not validate.
_HARMLESS = ("-property-removed", "-default-value-changed")
_WRAP_RANK = {
    "compatible": 0,
    "uncertain": 1,
    "may-be-ambiguous": 2,
    "unmatched": 3,
    "ambiguous": 4,
}


def _newly_wrapped(o: JSONObj, n: JSONObj, keyword: str) -> bool:
    alternatives = n.get(keyword)
    was = any(isinstance(o.get(k), list) for k in ("oneOf", "anyOf"))
    return isinstance(alternatives, list) and bool(alternatives) and not was and bool(o)


def _is_null(s: JSONObj) -> bool:
    t = s.get("type")
    return t == "null" or (isinstance(t, list) and set(t) == {"null"})


def _accepts_null(s: JSONObj) -> bool:
    return _is_null(s) or nullable_of(s) or (types_of(s) is None and "enum" not in s)


def _payload_kinds(o: JSONObj) -> list[tuple[str, JSONObj | None]]:
    """The old schema split by the JSON types it allows; ``None`` stands for ``null``."""
    types = types_of(o)
    nullable = nullable_of(o)
    if types is None or (len(types) < 2 and not nullable):
        return [("old payloads", o)]
    base = {k: v for k, v in o.items() if k != "nullable"}
    kinds: list[tuple[str, JSONObj | None]] = [
        (f"old {t} payloads", {**base, "type": t}) for t in sorted(types)
    ]
    if nullable:
        kinds.append(("old null payloads", None))
    return kinds


def _may_overlap(payload: JSONObj, alt: JSONObj) -> bool:
    """Whether some value an old client sends might match ``alt`` although not all do."""
    pt, at = types_of(payload), types_of(alt)
    if _is_null(alt):
        return False
    if pt is not None and at is not None and not (_accepts(at, pt) or _accepts(pt, at) or pt & at):
        return False
    pe, ae = payload.get("enum"), alt.get("enum")
    if isinstance(pe, list) and isinstance(ae, list) and not [v for v in pe if v in ae]:
        return False
    declared = set(as_map(payload.get("properties")))
    return _names(alt.get("required")) <= declared or not declared


def _wrap_detail(label: str, verdict: str, full: list[str], maybe: list[str]) -> str:
    if verdict == "compatible":
        return f"{label} match {full[0]}" if full else f"{label} match"
    if verdict == "ambiguous":
        return f"{label} match {', '.join(full)}, more than one: the server rejects them"
    if verdict == "may-be-ambiguous":
        return f"{label} match {full[0]} and may match {', '.join(maybe)} too"
    if verdict == "uncertain":
        return f"whether {label} match {', '.join(maybe)} cannot be decided"
    if maybe:
        return (
            f"{label} do not all match an alternative (some may match {', '.join(maybe)}): "
            "the server rejects the others"
        )
    return f"{label} match no alternative: the server rejects them"


# How each side names a property that travels only the other way.
_AWAY = {Side.REQUEST: "read-only", Side.RESPONSE: "write-only"}

_WIDER_FORMATS = {("int32", "int64"), ("float", "double")}


def types_of(s: JSONObj) -> frozenset[str] | None:
    """The set of JSON types a schema allows (without null), or None when untyped."""
    t = s.get("type")
    if isinstance(t, str):
        return frozenset({t}) - {"null"}
    if isinstance(t, list):
        return frozenset(x for x in t if isinstance(x, str)) - {"null"}
    if "properties" in s:
        return frozenset({"object"})
    if "items" in s:
        return frozenset({"array"})
    return None


def nullable_of(s: JSONObj) -> bool:
    t = s.get("type")
    return s.get("nullable") is True or (isinstance(t, list) and "null" in t)


def _accepts(outer: frozenset[str], inner: frozenset[str]) -> bool:
    widened = outer | ({"integer"} if "number" in outer else set())
    return inner <= widened


def judge_type(old: JSONObj, new: JSONObj) -> tuple[str, str] | None:
    """``(action, description)`` for a type/format change: generalized, specialized or changed."""
    ot, nt = types_of(old), types_of(new)
    of, nf = old.get("format"), new.get("format")
    if ot == nt and of == nf:
        return None

    def show(t: frozenset[str] | None, f: Any) -> str:
        base = "untyped" if t is None else "/".join(sorted(t)) or "untyped"
        return f"{base} ({f})" if f else base

    text = f"type changed from {show(ot, of)} to {show(nt, nf)}"
    if ot != nt:
        if ot is None:
            return "specialized", text
        if nt is None:
            return "generalized", text
        if _accepts(nt, ot):
            return "generalized", text
        if _accepts(ot, nt):
            return "specialized", text
        return "changed", text
    if of is None:
        return "specialized", text
    if nf is None:
        return "generalized", text
    if not isinstance(of, str) or not isinstance(nf, str):
        return "changed", text
    if (of, nf) in _WIDER_FORMATS:
        return "generalized", text
    if (nf, of) in _WIDER_FORMATS:
        return "specialized", text
    return "changed", text


# -- the walker -----------------------------------------------------------------


class SchemaDiffer:
    """Compares two schema trees (old spec, new spec) and reports findings through ``emit``."""

    def __init__(self, old: Spec, new: Spec, emit: Callable[[Finding], None]) -> None:
        self.old = old
        self.new = new
        self._emit = emit

    def emit(self, ctx: Ctx, rule_id: str, message: str, *segments: str) -> None:
        location = ".".join(map(str, (*ctx.location, *segments)))
        self._emit(Finding(rule_id, ctx.operation, location, message, ctx.where))

    def compare(
        self, old: Any, new: Any, ctx: Ctx, _stack: frozenset[tuple[int, int]] = frozenset()
    ) -> None:
        """Compare two (possibly ``$ref``) schemas at ``ctx``."""
        ro, rn = self.old.resolve(old), self.new.resolve(new)
        key = (id(ro), id(rn))
        if key in _stack or len(_stack) > _MAX_DEPTH:  # recursive schema: compared once already
            return
        stack = _stack | {key}
        o, n = self.old.flatten(old), self.new.flatten(new)
        wrapper = next((k for k in ("oneOf", "anyOf") if _newly_wrapped(o, n, k)), None)
        if wrapper is not None:
            self._wrapped(o, n, wrapper, ctx, stack)
            return
        self._keywords(o, n, ctx)
        self._type(o, n, ctx)
        self._enum(o, n, ctx)
        self._additional(o, n, ctx, stack)
        self._properties(o, n, ctx, stack)
        if o.get("items") is not None and n.get("items") is not None:
            self.compare(o["items"], n["items"], ctx.child("items", "items"), stack)
        for keyword, slug in (("oneOf", "one-of"), ("anyOf", "any-of")):
            self._alternatives(o, n, keyword, slug, ctx, stack)

    # generic keywords

    def _keywords(self, o: JSONObj, n: JSONObj, ctx: Ctx) -> None:
        for kw in KEYWORDS:
            old_v, new_v = kw.read(o), kw.read(n)
            action = kw.judge(old_v, new_v)
            if action is None:
                continue
            template = _VERBS.get(action, action + " from {old} to {new}")
            message = f"{ctx.describe()}: {kw.keyword} " + template.format(
                old=_show(old_v), new=_show(new_v)
            )
            default = o.get("default", MISSING)
            exclusive = kw.keyword.startswith("exclusive")
            if ctx.side is Side.REQUEST and _violates(default, kw.bound, new_v, exclusive):
                message += (
                    f"; the old generated client sends the default {_show(default)} explicitly, "
                    "which the new bound rejects"
                )
            self.emit(ctx, ctx.rule(f"{kw.slug}-{action}"), message, kw.keyword)

    def _type(self, o: JSONObj, n: JSONObj, ctx: Ctx) -> None:
        verdict = judge_type(o, n)
        if verdict:
            action, text = verdict
            if action == "specialized" and ctx.side is Side.REQUEST:
                action = "changed"  # oasdiff's name for a narrowed request type
            self.emit(ctx, ctx.rule(f"type-{action}"), f"{ctx.describe()}: {text}", "type")
        on, nn = nullable_of(o), nullable_of(n)
        if on != nn:
            slug = "became-nullable" if nn else "became-not-nullable"
            self.emit(
                ctx, ctx.rule(slug), f"{ctx.describe()}: {slug.replace('-', ' ')}", "nullable"
            )

    def _enum(self, o: JSONObj, n: JSONObj, ctx: Ctx) -> None:
        oe, ne = o.get("enum"), n.get("enum")
        if not isinstance(oe, list) and not isinstance(ne, list):
            return
        if not isinstance(oe, list):
            self.emit(
                ctx,
                ctx.rule("became-enum"),
                f"{ctx.describe()}: restricted to enum {_show(ne)}",
                "enum",
            )
            return
        if not isinstance(ne, list):
            self.emit(
                ctx, ctx.rule("became-not-enum"), f"{ctx.describe()}: no longer an enum", "enum"
            )
            return
        old_keys = {json.dumps(v, sort_keys=True, default=str): v for v in oe}
        new_keys = {json.dumps(v, sort_keys=True, default=str): v for v in ne}
        default = o.get("default", MISSING)
        for k, v in old_keys.items():
            if k not in new_keys:
                message = f"{ctx.describe()}: enum value {_show(v)} removed"
                if ctx.side is Side.REQUEST and default is not MISSING and default == v:
                    message += (
                        "; it is the default, which the old generated client sends explicitly"
                    )
                self.emit(ctx, ctx.rule("enum-value-removed"), message, "enum")
        for k, v in new_keys.items():
            if k not in old_keys:
                self.emit(
                    ctx,
                    ctx.rule("enum-value-added"),
                    f"{ctx.describe()}: enum value {_show(v)} added",
                    "enum",
                )

    def _additional(
        self, o: JSONObj, n: JSONObj, ctx: Ctx, stack: frozenset[tuple[int, int]]
    ) -> None:
        oa, na = o.get("additionalProperties", MISSING), n.get("additionalProperties", MISSING)
        if oa is not False and na is False:
            self.emit(
                ctx,
                ctx.rule("additional-properties-restricted"),
                f"{ctx.describe()}: additionalProperties set to false",
                "additionalProperties",
            )
        elif oa is False and na is not False:
            self.emit(
                ctx,
                ctx.rule("additional-properties-allowed"),
                f"{ctx.describe()}: additionalProperties no longer false",
                "additionalProperties",
            )
        elif isinstance(oa, dict) and isinstance(na, dict):
            self.compare(oa, na, ctx.child("*", "additionalProperties"), stack)

    def _alternatives(
        self,
        o: JSONObj,
        n: JSONObj,
        keyword: str,
        slug: str,
        ctx: Ctx,
        stack: frozenset[tuple[int, int]],
    ) -> None:
        ol, nl = o.get(keyword), n.get(keyword)
        if not isinstance(ol, list) and not isinstance(nl, list):
            return
        om, nm = self._variants(as_list(ol)), self._variants(as_list(nl))
        for name in om.keys() - nm.keys():
            self.emit(
                ctx,
                ctx.rule(f"{slug}-removed"),
                f"{ctx.describe()}: {keyword} alternative {name} removed",
                keyword,
            )
        for name in nm.keys() - om.keys():
            self.emit(
                ctx,
                ctx.rule(f"{slug}-added"),
                f"{ctx.describe()}: {keyword} alternative {name} added",
                keyword,
            )
        for name in om.keys() & nm.keys():
            self.compare(
                om[name], nm[name], replace(ctx, location=(*ctx.location, keyword, name)), stack
            )

    # a schema newly wrapped in oneOf / anyOf

    def _wrapped(
        self, o: JSONObj, n: JSONObj, keyword: str, ctx: Ctx, stack: frozenset[tuple[int, int]]
    ) -> None:
        """Judge ``old`` -> ``oneOf/anyOf: [...]`` as a whole, by what old payloads match.

        Request side: every value an old client sends must match exactly one ``oneOf``
        alternative (at least one ``anyOf`` alternative), or the server rejects it.
        Each JSON type the old schema allows is judged apart (``[string, integer]`` ->
        ``oneOf: [string, integer]`` is fine). Response side: every alternative the
        server may now send must still fit the old schema.
        """
        rest = {k: v for k, v in n.items() if k != keyword}
        alternatives = self._variants(as_list(n[keyword]))
        effective = {
            name: ({"allOf": [rest, alt]} if set(rest) & _STRUCTURAL else alt)
            for name, alt in alternatives.items()
        }
        short = "one-of" if keyword == "oneOf" else "any-of"
        names = ", ".join(alternatives)
        lead = f"{ctx.describe()}: wrapped in {keyword} [{names}]"
        if ctx.side is Side.RESPONSE:
            verdict, detail = self._wrapped_response(o, effective, ctx, stack)
        else:
            verdict, detail, single = self._wrapped_request(o, effective, keyword, ctx, stack)
            if verdict == "compatible" and single is not None:
                self.compare(o, effective[single], ctx, stack)  # details: new optional fields...
        self.emit(ctx, ctx.rule(f"wrapped-in-{short}-{verdict}"), f"{lead}; {detail}", keyword)

    def _wrapped_request(
        self,
        o: JSONObj,
        alternatives: dict[str, Any],
        keyword: str,
        ctx: Ctx,
        stack: frozenset[tuple[int, int]],
    ) -> tuple[str, str, str | None]:
        """``(verdict, detail, the one alternative every old payload matches or None)``."""
        worst, details, singles = "compatible", [], []
        for label, payload in _payload_kinds(o):
            full, unsure, overlap = [], [], []
            for name, alt in alternatives.items():
                flat = self.new.flatten(alt)
                fit = (
                    _accepts_null(flat) if payload is None else self._fits(payload, alt, ctx, stack)
                )
                if fit is True:
                    full.append(name)
                elif fit is None:
                    unsure.append(name)
                elif payload is not None and _may_overlap(payload, flat):
                    overlap.append(name)
            if keyword == "anyOf":
                verdict = "compatible" if full else "uncertain" if unsure else "unmatched"
            elif len(full) > 1:
                verdict = "ambiguous"
            elif len(full) == 1:
                verdict = "may-be-ambiguous" if unsure or overlap else "compatible"
            else:
                verdict = "uncertain" if unsure else "unmatched"
            worst = max(worst, verdict, key=_WRAP_RANK.__getitem__)
            details.append(_wrap_detail(label, verdict, full, unsure + overlap))
            singles.append(full[0] if len(full) == 1 else None)
        single = singles[0] if len(singles) == 1 else None
        return worst, "; ".join(details), single

    def _wrapped_response(
        self, o: JSONObj, alternatives: dict[str, Any], ctx: Ctx, stack: frozenset[tuple[int, int]]
    ) -> tuple[str, str]:
        wider, unsure = [], []
        for name, alt in alternatives.items():
            flat = self.new.flatten(alt)
            if _is_null(flat):
                fit: bool | None = nullable_of(o) or types_of(o) is None
            else:
                fit = self._fits(o, alt, ctx, stack)
            if fit is False:
                wider.append(name)
            elif fit is None:
                unsure.append(name)
        if wider:
            return "widened", f"old clients cannot parse {', '.join(wider)}"
        if unsure:
            return "uncertain", f"whether old clients parse {', '.join(unsure)} cannot be decided"
        return "compatible", "every alternative fits the old schema"

    def _fits(self, old: Any, alt: Any, ctx: Ctx, stack: frozenset[tuple[int, int]]) -> bool | None:
        """Whether old -> alt alone would be safe on ctx's side: True, False, or None when
        only undecidable changes (a changed pattern, say) stand in the way."""
        found: list[Finding] = []
        saved, self._emit = self._emit, found.append
        try:
            self.compare(old, alt, ctx, stack)
        finally:
            self._emit = saved
        levels = {RULES_BY_ID[f.rule_id].level for f in found if not f.rule_id.endswith(_HARMLESS)}
        if Level.BREAKING in levels:
            return False
        return None if Level.WARNING in levels else True

    @staticmethod
    def _variants(items: Iterable[Any]) -> dict[str, Any]:
        """Alternatives keyed by ``$ref`` name where there is one, else by position."""
        return {Spec.ref_name(item) or f"#{i}": item for i, item in enumerate(items)}

    # properties

    def _properties(
        self, o: JSONObj, n: JSONObj, ctx: Ctx, stack: frozenset[tuple[int, int]]
    ) -> None:
        """Properties added, removed, made required or optional, and compared.

        A property flagged for the other direction (``readOnly`` in a request,
        ``writeOnly`` in a response) does not travel this way: changes to it are
        reported under their own info-level rules and its schema is not compared.
        """
        op, np_ = as_map(o.get("properties")), as_map(n.get("properties"))
        oreq, nreq = _names(o.get("required")), _names(n.get("required"))
        away = "readOnly" if ctx.side is Side.REQUEST else "writeOnly"
        for name in [*op, *(k for k in np_ if k not in op)]:
            child = ctx.child(name, "properties", name)
            old_prop = self.old.flatten(op[name]) if name in op else {}
            new_prop = self.new.flatten(np_[name]) if name in np_ else {}
            was_away, is_away = old_prop.get(away) is True, new_prop.get(away) is True
            if name not in np_:
                self._property_removed(child, name in oreq, was_away)
            elif name not in op:
                self._property_added(child, name in nreq, new_prop, is_away)
            else:
                if (name in oreq) != (name in nreq):
                    self._requiredness(child, name in nreq, was_away, is_away)
                self._flags(child, old_prop, new_prop, name in nreq)
                if not (was_away or is_away):
                    self.compare(op[name], np_[name], child, stack)

    def _requiredness(self, ctx: Ctx, required: bool, was_away: bool, is_away: bool) -> None:
        state = "required" if required else "optional"
        side = ctx.side.value
        rule = f"{side}-property-became-{state}"
        # A request property the server ignores (readOnly now) cannot break by becoming
        # required; a response property the server never sent (writeOnly before) cannot
        # break by becoming optional.
        if (ctx.side is Side.REQUEST and is_away) or (ctx.side is Side.RESPONSE and was_away):
            rule = f"{side}-{_AWAY[ctx.side]}-property-became-{state}"
        self.emit(ctx, rule, f"{ctx.describe()}: became {state}", "required")

    def _property_added(self, ctx: Ctx, required: bool, schema: JSONObj, away: bool) -> None:
        state = "required" if required else "optional"
        if away:
            rule = f"{ctx.side.value}-{state}-{_AWAY[ctx.side]}-property-added"
        elif ctx.side is Side.REQUEST:
            rule = f"new-{state}-request-property"
            if required and "default" in schema:
                rule += "-with-default"
        else:
            rule = f"response-{state}-property-added"
        self.emit(ctx, rule, f"{ctx.describe()}: added ({state})")

    def _property_removed(self, ctx: Ctx, was_required: bool, away: bool) -> None:
        state = "required" if was_required else "optional"
        if away:
            rule = f"{ctx.side.value}-{state}-{_AWAY[ctx.side]}-property-removed"
        elif ctx.side is Side.REQUEST:
            rule = "request-property-removed"
        else:
            rule = f"response-{state}-property-removed"
        self.emit(ctx, rule, f"{ctx.describe()}: removed (was {state})")

    def _flags(self, ctx: Ctx, o: JSONObj, n: JSONObj, required: bool) -> None:
        """readOnly / writeOnly / deprecated flips of one property."""
        side = ctx.side.value
        kind = "required" if required else "optional"
        for keyword, name in (("readOnly", "read-only"), ("writeOnly", "write-only")):
            was, now = o.get(keyword) is True, n.get(keyword) is True
            if was != now:
                state = name if now else f"not-{name}"
                rule = f"{side}-{kind}-property-became-{state}"
                self.emit(ctx, rule, f"{ctx.describe()}: became {state.replace('-', ' ')}", keyword)
        was, now = o.get("deprecated") is True, n.get("deprecated") is True
        if was != now:
            rule = f"{side}-property-{'deprecated' if now else 'reactivated'}"
            self.emit(
                ctx,
                rule,
                f"{ctx.describe()}: {'deprecated' if now else 'no longer deprecated'}",
                "deprecated",
            )
