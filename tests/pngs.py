"""PNG inputs for upload tests, built with zlib alone."""

from __future__ import annotations

import struct
import zlib


def make_png(width: int, height: int, *, alpha: bool = False, fill: int = 128) -> bytes:
    """A valid PNG of the given size (RGB or RGBA), for upload tests."""
    channels = 4 if alpha else 3
    pixel = bytes([fill, 255 - fill, fill // 2] + ([0] if alpha else []))
    row = b"\x00" + pixel * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if channels == 4 else 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 1))
        + chunk(b"IEND", b"")
    )
