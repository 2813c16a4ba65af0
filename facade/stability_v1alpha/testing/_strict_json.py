"""Reading request JSON as strictly as the service's decoder does, and never crashing.

Python's ``json`` is lenient where the service is not: it takes ``NaN`` and
``Infinity``, turns ``1e999`` into an infinite float, guesses UTF-16 and
UTF-32 from the first bytes and skips a UTF-8 byte order mark. It also
raises ``RecursionError`` (not ``ValueError``) on deep nesting.
:func:`decode_json` refuses all of these with :class:`InvalidJSON`, a
``ValueError``, so that every caller's ``except ValueError`` turns them into
a 400.

Repeated keys are taken as the service's decoder takes them: the last one
wins. A fake stricter than the service would fail tests of code that works.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

__all__ = ["MAX_DEPTH", "InvalidJSON", "decode_json"]

# The spec's bodies nest three deep (body, text_prompts, prompt); the margin
# leaves room for extra fields while keeping every recursive reader of the
# value (openapi-core, jsonschema, the request log) far from Python's limit.
MAX_DEPTH = 32


class InvalidJSON(ValueError):
    """The bytes are not one strict JSON value."""


def decode_json(data: bytes) -> Any:
    """The JSON value in ``data`` (UTF-8, finite numbers, bounded depth)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise InvalidJSON("starts with a byte order mark")
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except RecursionError:
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except InvalidJSON:
        raise
    except ValueError as exc:  # json.JSONDecodeError
        raise InvalidJSON(str(exc)) from None
    if _depth(value) > MAX_DEPTH:
        raise InvalidJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _refuse_constant(name: str) -> NoReturn:
    raise InvalidJSON(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidJSON(f"number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    # A number too big for a float64 is refused, as by the service's decoder;
    # accepted, it would overflow wherever the server does arithmetic with it.
    try:
        value = int(text)
        float(value)
    except (ValueError, OverflowError):  # past int()'s digit limit, or a float's range
        raise InvalidJSON(f"number {text[:40]}... is out of range") from None
    return value


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest
