"""Turning exceptions into one clear line and an exit-code category.

The facade's messages are written for Python callers ("width=100: ...");
here they are reworded in terms of the command line (``--width=100: ...``)
and, for the failures a new user meets first, given a hint.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .._exceptions import (
    APIConnectionError,
    AuthenticationError,
    InvalidRequestError,
    PermissionDeniedError,
    RateLimitError,
    StabilityError,
)
from .report import Failure, Job, UsageError

__all__ = ["blames_prompt", "failure_from"]

# Facade argument names that are not spelt "--" + name-with-dashes on the command line.
_FLAG_NAMES = {
    "prompt": "PROMPT",
    "init_image": "INIT",
    "mask_image": "--mask",
    "width*height": "--width x --height",
}


def failure_from(
    error: BaseException,
    job: Job | None,
    *,
    path: Path | None = None,
    files: Mapping[str, str | None] | None = None,
) -> Failure:
    """The :class:`Failure` that reports ``error`` for ``job``.

    ``files`` maps the facade's image arguments (``init_image``) to the file
    names given, which the message then shows instead of the image's summary.
    """
    if isinstance(error, UsageError):
        return Failure(job, "usage", "UsageError", str(error), path)
    if isinstance(error, InvalidRequestError):
        return Failure(job, "usage", type(error).__name__, _as_flag(error, files or {}), path)
    if isinstance(error, FileExistsError):
        where = path if path is not None else error.filename
        message = f"{where} exists; pass --overwrite to replace it"
        return Failure(job, "usage", "FileExistsError", message, path)
    if isinstance(error, StabilityError):
        return Failure(job, "api", type(error).__name__, _with_hint(error), path)
    if isinstance(error, OSError):
        return Failure(job, "api", type(error).__name__, _os_message(error), path)
    return Failure(job, "api", type(error).__name__, f"{type(error).__name__}: {error}", path)


def blames_prompt(error: InvalidRequestError) -> bool:
    """True when the prompt itself is at fault, not a flag or an input file."""
    return _base(error.field) == "prompt"


def _base(field: str) -> str:
    return field.split("[", 1)[0].split(".", 1)[0]


def _as_flag(error: InvalidRequestError, files: Mapping[str, str | None]) -> str:
    """``width=100: must be ...`` becomes ``--width=100: must be ...``.

    An image is named as given on the command line, with the facts the
    facade adds: ``INIT='room.png' (512x512, no alpha): needs an alpha channel...``.
    """
    text = str(error)
    field = error.field
    base = _base(field)
    flag = _FLAG_NAMES.get(base, "--" + base.replace("_", "-"))
    name = files.get(field)
    if name is not None:
        value = error.value
        facts = value.rfind(" (") if isinstance(value, str) else -1
        about = value[facts:] if facts >= 0 else ""
        text = f"{flag}={name!r}{about}: {error.rule}"
    elif text.startswith(field):
        text = flag + text[len(base) :]  # keeps an index: PROMPT[1]
    if field == "init_image" and "INIT_IMAGE_ALPHA" in error.rule:
        text += " (or pass --mask FILE to mark the area to regenerate)"
    return text


def _with_hint(error: StabilityError) -> str:
    text = str(error)
    if isinstance(error, AuthenticationError):
        return f"{text} (check STABILITY_API_KEY or --api-key)"
    if isinstance(error, PermissionDeniedError):
        return f"{text} (this key may not use this engine or organization)"
    if isinstance(error, RateLimitError):
        return f"{text} (rate limited: try later, or lower --concurrency)"
    if isinstance(error, APIConnectionError):
        return f"{text} (check the network and --base-url)"
    return text


def _os_message(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason
