"""Reading what the client needs from a PNG header, without decoding pixels.

Validation wants three facts about an upload before anything is sent: that it
is a PNG at all, its size (a mask must match its init image), and whether it
carries alpha (``INIT_IMAGE_ALPHA`` needs it). All three sit in the first
chunks of the file, so reading them costs nothing next to decoding.
"""

from __future__ import annotations

import codecs
import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# PNG colour types that store an alpha channel: greyscale+alpha, RGBA.
_ALPHA_COLOR_TYPES = frozenset({4, 6})
_VALID_BIT_DEPTHS = {
    0: {1, 2, 4, 8, 16},
    2: {8, 16},
    3: {1, 2, 4, 8},
    4: {8, 16},
    6: {8, 16},
}


# Length and type of the first chunk, the IHDR fields, the chunk's CRC.
_IHDR = struct.Struct(">I4sIIBBBBBI")


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


def describe_format(head: bytes | bytearray | memoryview) -> str | None:
    """What data starting with ``head`` is ("is a JPEG image"), or None for a PNG."""
    head = bytes(head[:16])
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


class PNGFormatError(ValueError):
    """The bytes are not a well-formed PNG (signature or IHDR chunk)."""


@dataclass(frozen=True, slots=True)
class PNGInfo:
    """Size and transparency of a PNG, read from its header chunks."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    has_alpha: bool


def read_png_info(data: bytes | bytearray | memoryview) -> PNGInfo:
    """Return the header facts of a PNG, or raise :class:`PNGFormatError`.

    Checks the signature and the IHDR chunk (see :func:`check_png_header`),
    then looks for a ``tRNS`` chunk before the first ``IDAT``: a palette or
    colour-keyed image with ``tRNS`` has transparency too.
    """
    view = memoryview(data)
    width, height, depth, color_type = check_png_header(view)
    has_alpha = color_type in _ALPHA_COLOR_TYPES or _has_trns_chunk(view)
    return PNGInfo(width, height, depth, color_type, has_alpha)


def check_png_header(data: bytes | bytearray | memoryview) -> tuple[int, int, int, int]:
    """Width, height, bit depth and colour type of a PNG; raises :class:`PNGFormatError`.

    Checks the signature and the IHDR chunk: position, length, CRC and field
    values. Cheaper than :func:`read_png_info`, for callers that only need to
    know the bytes are a PNG (every image received is checked this way).
    """
    if data[:8] != PNG_SIGNATURE:
        raise PNGFormatError(f"the data {describe_format(data)}")
    if len(data) < 8 + 8 + 13 + 4:
        raise PNGFormatError("PNG file is truncated before the end of its IHDR chunk")
    length, ctype, width, height, depth, color_type, compression, filter_method, interlace, crc = (
        _IHDR.unpack_from(data, 8)
    )
    if ctype != b"IHDR" or length != 13:
        raise PNGFormatError("PNG file does not start with a valid IHDR chunk")
    if zlib.crc32(data[12:29]) != crc:
        raise PNGFormatError("PNG IHDR chunk is corrupt (CRC mismatch)")
    if width == 0 or height == 0 or width > 2**31 - 1 or height > 2**31 - 1:
        raise PNGFormatError(f"PNG has an invalid size {width}x{height}")
    if depth not in _VALID_BIT_DEPTHS.get(color_type, ()):
        raise PNGFormatError(f"PNG has an invalid colour type / bit depth ({color_type}/{depth})")
    if compression != 0 or filter_method != 0 or interlace not in (0, 1):
        raise PNGFormatError("PNG IHDR declares an unknown compression, filter or interlace")
    return width, height, depth, color_type


def _has_trns_chunk(view: memoryview) -> bool:
    """Walk the chunks after IHDR up to the first IDAT, looking for tRNS."""
    pos = 33
    while pos + 8 <= len(view):
        length, ctype = struct.unpack(">I4s", view[pos : pos + 8])
        if ctype == b"tRNS":
            return True
        if ctype in (b"IDAT", b"IEND"):
            return False
        pos += 12 + length
    return False
