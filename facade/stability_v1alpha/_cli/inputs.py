"""The image files a command reads (INIT, ``--mask``), checked by their first bytes.

The API takes PNG only. A JPEG renamed ``.png``, a GIF or a text file is
named here for what it is, with its file name, before anything is sent;
the facade's own checks (size, alpha, the PNG header itself) follow.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._png import describe_format
from .report import UsageError

__all__ = ["check_image_files"]

_HEAD = 16


def check_image_files(files: Mapping[str, str | None]) -> None:
    """Refuse a non-PNG input (``{"INIT": path}``), saying what it is.

    A file that cannot be opened is left to the facade, which says why.
    """
    for name, path in files.items():
        if path is None:
            continue
        try:
            with open(path, "rb") as file:
                head = file.read(_HEAD)
        except OSError:
            continue
        found = describe_format(head)
        if found is not None:
            raise UsageError(
                f"{name} {path}: {found}; the API takes PNG images only (convert it first)"
            )
