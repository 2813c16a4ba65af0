"""Security: requirement lists (per operation and global) and security schemes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .loader import JSONObj, Spec, as_list, as_map
from .shared_state import SharedState


def _requirements(raw: Any) -> dict[frozenset[str], dict[str, set[str]]]:
    """Security requirement alternatives keyed by their set of scheme names.

    A missing or empty list means no security, which is the same as one empty
    requirement ``{}`` (anonymous access allowed): key ``frozenset()``.
    """
    if not isinstance(raw, list) or not raw:
        return {frozenset(): {}}
    out: dict[frozenset[str], dict[str, set[str]]] = {}
    for req in raw:
        if isinstance(req, Mapping):
            out[frozenset(str(k) for k in req)] = {
                str(k): {str(x) for x in as_list(v)} for k, v in req.items()
            }
    return out


def _req_name(key: frozenset[str]) -> str:
    return " + ".join(sorted(key)) if key else "anonymous access (no security requirement)"


def compare_security(
    state: SharedState,
    operation: str | None,
    location: tuple[str, ...],
    old_raw: Any,
    new_raw: Any,
    prefix: str,
) -> None:
    """Compare two security requirement lists; ``prefix`` is api-security or api-global-security.

    Requirements are alternatives: a client satisfies one of them. Dropping an
    alternative breaks the clients that used it (as oasdiff says); losing
    anonymous access is reported apart, since clients written for it send no
    credentials at all.
    """
    old, new = _requirements(old_raw), _requirements(new_raw)
    for key in old.keys() - new.keys():
        if not key:  # anonymous access is gone: a key is now needed
            state.emit(
                f"{prefix}-became-required",
                operation,
                location,
                "anonymous access removed: credentials are now required",
            )
            continue
        state.emit(
            f"{prefix}-removed",
            operation,
            location,
            f"security requirement {_req_name(key)} removed",
        )
    for key in sorted(new.keys() - old.keys(), key=sorted):
        state.emit(
            f"{prefix}-added", operation, location, f"security requirement {_req_name(key)} added"
        )
    for key in old.keys() & new.keys():
        for scheme in sorted(key):
            added, removed = (
                new[key][scheme] - old[key][scheme],
                old[key][scheme] - new[key][scheme],
            )
            for scope in sorted(added):
                state.emit(
                    f"{prefix}-scope-added",
                    operation,
                    (*location, scheme),
                    f"scope '{scope}' added to security scheme '{scheme}'",
                )
            for scope in sorted(removed):
                state.emit(
                    f"{prefix}-scope-removed",
                    operation,
                    (*location, scheme),
                    f"scope '{scope}' removed from security scheme '{scheme}'",
                )


def compare_security_schemes(state: SharedState) -> None:
    """components.securitySchemes: added, removed, and changes to how credentials are sent."""

    def schemes(spec: Spec) -> dict[str, JSONObj]:
        raw = as_map(as_map(spec.doc.get("components")).get("securitySchemes"))
        return {
            k: dict(spec.resolve(v)) for k, v in raw.items() if isinstance(spec.resolve(v), Mapping)
        }

    old, new = schemes(state.old), schemes(state.new)
    base = ("components", "securitySchemes")
    for name in old.keys() - new.keys():
        state.emit(
            "api-security-component-removed",
            None,
            (*base, name),
            f"security scheme '{name}' removed",
        )
    for name in sorted(new.keys() - old.keys()):
        state.emit(
            "api-security-component-added",
            None,
            (*base, name),
            f"security scheme '{name}' added",
        )
    for name in sorted(old.keys() & new.keys()):
        o, n = old[name], new[name]
        loc = (*base, name)
        if o.get("type") != n.get("type"):
            state.emit(
                "api-security-component-type-changed",
                None,
                (*loc, "type"),
                f"security scheme '{name}': type changed from {o.get('type')} to {n.get('type')}",
            )
            continue
        if o.get("type") == "apiKey" and (o.get("in"), o.get("name")) != (
            n.get("in"),
            n.get("name"),
        ):
            state.emit(
                "api-security-component-api-key-changed",
                None,
                (*loc, "name"),
                f"security scheme '{name}': API key moved from {o.get('in')} '{o.get('name')}' "
                f"to {n.get('in')} '{n.get('name')}'",
            )
        if (
            o.get("type") == "http"
            and str(o.get("scheme", "")).lower() != str(n.get("scheme", "")).lower()
        ):
            state.emit(
                "api-security-component-http-scheme-changed",
                None,
                (*loc, "scheme"),
                f"security scheme '{name}': scheme changed from {o.get('scheme')} "
                f"to {n.get('scheme')}",
            )
