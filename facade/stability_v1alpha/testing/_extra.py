"""Telling a user, in one line, that the ``testing`` extra is not installed.

The fake server needs the packages of the ``testing`` extra (openapi-core,
PyYAML, ...). Their list is read from the installed package's metadata, so the
extra is declared once, in ``pyproject.toml``. Every entry point that starts the
server (the fixtures, ``serve-fake``, the demo) reports it as one line: the
package's lazy loader raises :class:`MissingExtraError` with
:func:`missing_extra`'s message, and the entry points print that message
instead of a traceback.
"""

from __future__ import annotations

import importlib.metadata
import re

DISTRIBUTION = "stability-v1alpha"
EXTRA = "testing"

# A requirement line of the metadata: `pyyaml>=6; extra == "testing"`.
_REQUIREMENT = re.compile(r"""^\s*([A-Za-z0-9][A-Za-z0-9._-]*).*;.*\bextra\s*==\s*['"]([^'"]+)""")


class MissingExtraError(ModuleNotFoundError):
    """A package of the ``testing`` extra is not installed; the message says how to install it."""


def missing_extra() -> str | None:
    """The one-line message if a package of the extra is missing, else ``None``.

    ``None`` means the extra is complete (or the package metadata is not
    there to tell), so an import error has another cause and should propagate.
    """
    missing = [name for name in _requirements(EXTRA) if not _installed(name)]
    if not missing:
        return None
    return (
        f"the fake server needs the {EXTRA!r} extra ({', '.join(missing)} not installed): "
        f"pip install '{DISTRIBUTION}[{EXTRA}]'"
    )


def _requirements(extra: str) -> list[str]:
    try:
        lines = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    names = []
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match and match.group(2) == extra:
            names.append(match.group(1))
    return names


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
