"""The image files a command reads (INIT, ``--mask``), checked by their first bytes.

The API takes PNG only. A JPEG renamed ``.png``, a GIF or a text file is
named here for what it is, with its file name, before anything is sent;
the facade's own checks (size, alpha, the PNG header itself) follow.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping

from .._png import PNG_SIGNATURE
from .report import UsageError

__all__ = ["check_image_files", "describe_format"]

# Leading bytes of the formats people most often give instead of a PNG.
_SIGNATURES = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
)
_HEAD = 16


def describe_format(head: bytes) -> str | None:
    """What a file starting with ``head`` is ("is a JPEG image"), or None for a PNG."""
    if head.startswith(PNG_SIGNATURE):
        return None
    if not head:
        return "is empty"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "is a WebP image"
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return f"is {name}"
    try:  # the head may end inside a character: that much is left undecoded
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "is in a format other than PNG"
    if all(char.isprintable() or char in "\t\r\n" for char in text):
        return "is text, not an image"
    return "is in a format other than PNG"


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
