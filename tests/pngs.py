"""PNG inputs for upload tests, built with the fake server's zlib encoder."""

from __future__ import annotations

from stability_v1alpha.testing import make_png as _encode


def make_png(width: int, height: int, *, alpha: bool = False, fill: int = 128) -> bytes:
    """A valid PNG of the given size filled with one colour (RGB, or RGBA with alpha 0)."""
    rgb = bytes([fill, 255 - fill, fill // 2]) * (width * height)
    return _encode(width, height, rgb, bytes(width * height) if alpha else None)
