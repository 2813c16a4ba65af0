"""Pure-Python PNG writing, reading and the fake "diffusion" that derives images.

The fake server must answer with real PNGs of the requested size quickly and
without Pillow (an optional dependency of the package). Every per-pixel step
is therefore pushed into C-level primitives: ``bytes.translate`` for lookup
tables, extended slicing for channel (de)interleaving, and big-integer
arithmetic for lane-wise byte addition and blending. Only the PNG ``Average``
and ``Paeth`` un-filters, which are inherently sequential, loop in Python.

Images are handled as :class:`Raster`: packed 8-bit RGB plus an optional
8-bit alpha plane. Output PNGs are always RGB (colour type 2), as the
service sent them.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from stability_v1alpha._png import PNG_SIGNATURE, PNGFormatError, read_png_info

__all__ = [
    "PromptKey",
    "Raster",
    "UnsupportedPNGError",
    "blend",
    "decode_png",
    "derive_image_to_image",
    "derive_masking",
    "encode_png",
    "flat_png",
    "generate_png",
    "generate_raster",
    "make_png",
    "mask_from_alpha",
    "mask_from_image",
    "select",
]

# The prompts an image depends on: (text, weight) pairs, in request order.
PromptKey = tuple[tuple[str, float], ...]

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_AND_255 = (255).__and__
# Cap on decompressed image data: 2048x2048 RGBA plus filter bytes, with room to spare.
_MAX_DECODED_BYTES = 64 * 1024 * 1024


class UnsupportedPNGError(ValueError):
    """A well-formed PNG this small decoder does not handle (16-bit, interlaced...).

    Callers fall back to a generated pattern instead of failing the request:
    the fake is about HTTP behaviour, not about decoding every PNG variant.
    """


@dataclass(frozen=True, slots=True)
class Raster:
    """An 8-bit image: packed RGB rows, plus one alpha byte per pixel when present."""

    width: int
    height: int
    rgb: bytes
    alpha: bytes | None = None


# --------------------------------------------------------------------------- encoding


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(raster: Raster) -> bytes:
    """Encode ``raster`` as an 8-bit RGB PNG, or RGBA when it has alpha.

    Filter 0 everywhere and zlib level 1 keep a 1024x1024 image well under the
    time budget of a test; the files come out bigger than a real encoder's,
    which no client cares about.
    """
    if raster.alpha is None:
        data, channels, color_type = raster.rgb, 3, 2
    else:
        rgb = raster.rgb
        data = _interleave((rgb[0::3], rgb[1::3], rgb[2::3], raster.alpha))
        channels, color_type = 4, 6
    stride = raster.width * channels
    view = memoryview(data)
    rows = [view[i : i + stride] for i in range(0, stride * raster.height, stride)]
    raw = b"\x00" + b"\x00".join(rows)
    header = struct.pack(">IIBBBBB", raster.width, raster.height, 8, color_type, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"tEXt", b"Software\x00stability_v1alpha.testing fake server"),
            _chunk(b"IDAT", zlib.compress(raw, 1)),
            _chunk(b"IEND", b""),
        )
    )


def make_png(width: int, height: int, rgb: bytes, alpha: bytes | None = None) -> bytes:
    """A PNG from raw pixels: ``rgb`` has 3 bytes a pixel, row by row; ``alpha`` 1.

    Handy for building init images and masks in tests without Pillow.
    """
    if width < 1 or height < 1:
        raise ValueError("width and height must be positive")
    if len(rgb) != 3 * width * height:
        raise ValueError(f"rgb must hold {3 * width * height} bytes, not {len(rgb)}")
    if alpha is not None and len(alpha) != width * height:
        raise ValueError(f"alpha must hold {width * height} bytes, not {len(alpha)}")
    return encode_png(Raster(width, height, bytes(rgb), None if alpha is None else bytes(alpha)))


# --------------------------------------------------------------------------- generation


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode("utf-8")).digest()


@lru_cache(maxsize=8)
def generate_raster(width: int, height: int, seed: int, prompts: PromptKey) -> Raster:
    """A smooth, colourful pattern that depends only on its arguments.

    The picture is a diagonal band of per-channel sine waves (one precomputed
    line, sliced with an offset per row) shaded by a vertical brightness ramp
    (one ``translate`` table per band of rows). Both are C-speed operations.
    """
    d = _digest("pattern", width, height, seed, prompts)
    slope = 1 + d[0] % 3
    length = width + slope * height
    line = bytearray(length * 3)
    for c in range(3):
        period = 96.0 + d[1 + c] * 3.0
        phase = d[4 + c] / 255.0 * 2.0 * math.pi
        base = 64.0 + d[7 + c] / 4.0
        amp = min(base, 255.0 - base)
        step = 2.0 * math.pi / period
        line[c::3] = bytes(int(base + amp * math.sin(t * step + phase)) for t in range(length))
    bands = 32
    low = 0.45 + d[10] / 255.0 * 0.3
    tables = [
        bytes(min(255, int(v * (low + (1.0 - low) * (b / (bands - 1))))) for v in range(256))
        for b in range(bands)
    ]
    if d[11] & 1:
        tables.reverse()
    src = bytes(line)
    rows = [
        src[slope * y * 3 : (slope * y + width) * 3].translate(tables[y * bands // height])
        for y in range(height)
    ]
    return Raster(width, height, b"".join(rows))


@lru_cache(maxsize=32)
def generate_png(width: int, height: int, seed: int, prompts: PromptKey) -> bytes:
    """The text-to-image answer: the PNG of :func:`generate_raster`, cached."""
    return encode_png(generate_raster(width, height, seed, prompts))


@lru_cache(maxsize=8)
def flat_png(width: int, height: int, seed: int) -> bytes:
    """A single-colour image: what a CONTENT_FILTERED result looks like."""
    d = _digest("flat", width, height, seed)
    colour = bytes((96 + d[0] % 64, 96 + d[1] % 64, 96 + d[2] % 64))
    return encode_png(Raster(width, height, colour * (width * height)))


# --------------------------------------------------------------------------- byte arithmetic


@lru_cache(maxsize=16)
def _lane_masks(n: int) -> tuple[int, int]:
    return int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")


def _add_bytes(a: bytes | bytearray, b: bytes | bytearray) -> bytes:
    """Byte-wise ``(a[i] + b[i]) % 256`` with one big-integer addition (SWAR).

    The low seven bits of each byte are added without crossing into the next
    byte; the top bit is then fixed up with XOR.
    """
    n = len(a)
    low, high = _lane_masks(n)
    x = int.from_bytes(a, "big")
    y = int.from_bytes(b, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "big")


def _widen(data: bytes) -> int:
    """Spread each byte into a 16-bit lane of one big integer."""
    wide = bytearray(2 * len(data))
    wide[1::2] = data
    return int.from_bytes(wide, "big")


def blend(a: bytes, b: bytes, weight_b: float) -> bytes:
    """Per-byte ``a * (1 - w) + b * w`` for ``0 <= w <= 1``, in 16-bit lanes.

    With ``k = round(w * 256)`` each lane holds at most ``255 * 256``, so no
    carry reaches the next lane and the result is the high byte of each lane.
    """
    k = max(0, min(256, round(weight_b * 256)))
    if k == 0:
        return a
    if k == 256:
        return b
    total = _widen(a) * (256 - k) + _widen(b) * k
    return total.to_bytes(2 * len(a), "big")[0::2]


def select(mask: bytes, when_set: bytes, when_clear: bytes, channels: int = 3) -> bytes:
    """Per pixel, take ``when_set`` where ``mask`` is 0xFF, else ``when_clear``.

    ``mask`` holds one byte (0x00 or 0xFF) per pixel; it is widened to one
    byte per channel, then the choice is two ANDs and an OR on big integers.
    """
    n = len(when_set)
    wide = bytearray(n)
    for c in range(channels):
        wide[c::channels] = mask
    m = int.from_bytes(wide, "big")
    everything = (1 << (8 * n)) - 1
    chosen = (int.from_bytes(when_set, "big") & m) | (
        int.from_bytes(when_clear, "big") & (m ^ everything)
    )
    return chosen.to_bytes(n, "big")


# --------------------------------------------------------------------------- decoding


def _unfilter_sub(row: bytearray, bpp: int) -> None:
    for c in range(bpp):
        row[c::bpp] = bytes(map(_AND_255, accumulate(row[c::bpp])))


def _unfilter_average(row: bytearray, prior: bytes, bpp: int) -> None:
    for i in range(min(bpp, len(row))):
        row[i] = (row[i] + (prior[i] >> 1)) & 255
    for i in range(bpp, len(row)):
        row[i] = (row[i] + ((row[i - bpp] + prior[i]) >> 1)) & 255


def _unfilter_paeth(row: bytearray, prior: bytes, bpp: int) -> None:
    # With nothing to the left the Paeth predictor is the byte above.
    for i in range(min(bpp, len(row))):
        row[i] = (row[i] + prior[i]) & 255
    for i in range(bpp, len(row)):
        a = row[i - bpp]
        b = prior[i]
        c = prior[i - bpp]
        pa = b - c
        pb = a - c
        pc = pa + pb
        if pa < 0:
            pa = -pa
        if pb < 0:
            pb = -pb
        if pc < 0:
            pc = -pc
        if pa <= pb and pa <= pc:
            row[i] = (row[i] + a) & 255
        elif pb <= pc:
            row[i] = (row[i] + b) & 255
        else:
            row[i] = (row[i] + c) & 255


def _unfilter(data: bytes, height: int, stride: int, bpp: int) -> bytes:
    """Undo the five PNG scanline filters, returning the packed pixel bytes."""
    out = bytearray()
    prior = bytes(stride)
    pos = 0
    for _ in range(height):
        kind = data[pos]
        row = bytearray(data[pos + 1 : pos + 1 + stride])
        pos += stride + 1
        if kind == 1:
            _unfilter_sub(row, bpp)
        elif kind == 2:
            row = bytearray(_add_bytes(row, prior))
        elif kind == 3:
            _unfilter_average(row, prior, bpp)
        elif kind == 4:
            _unfilter_paeth(row, prior, bpp)
        elif kind != 0:
            raise PNGFormatError(f"PNG scanline uses unknown filter type {kind}")
        prior = bytes(row)
        out += row
    return bytes(out)


def _read_chunks(data: bytes) -> tuple[bytes, bytes | None, bytes | None]:
    """Return (IDAT data, PLTE, tRNS), checking each chunk's CRC."""
    idat: list[bytes] = []
    plte: bytes | None = None
    trns: bytes | None = None
    pos = 8
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise PNGFormatError("PNG chunk runs past the end of the file")
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise PNGFormatError(f"PNG chunk {kind!r} is corrupt (CRC mismatch)")
        if kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            plte = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if not idat:
        raise PNGFormatError("PNG has no image data (IDAT)")
    return b"".join(idat), plte, trns


def _inflate(compressed: bytes, expected: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, min(expected + 1, _MAX_DECODED_BYTES))
    except zlib.error as exc:
        raise PNGFormatError(f"PNG image data is corrupt ({exc})") from None
    if len(raw) != expected:
        raise PNGFormatError("PNG image data does not match the size in its header")
    return raw


def _interleave(planes: Sequence[bytes]) -> bytes:
    out = bytearray(len(planes[0]) * len(planes))
    for i, plane in enumerate(planes):
        out[i :: len(planes)] = plane
    return bytes(out)


def _key_mask(plane: bytes, value: int) -> int:
    """Big integer with 0xFF wherever ``plane`` equals ``value``."""
    table = bytes(255 if v == value else 0 for v in range(256))
    return int.from_bytes(plane.translate(table), "big")


@lru_cache(maxsize=8)
def decode_png(data: bytes) -> Raster:
    """Decode an 8-bit, non-interlaced PNG of any colour type to RGB (+ alpha).

    Raises :class:`PNGFormatError` for broken files and
    :class:`UnsupportedPNGError` for valid ones outside that subset. Cached,
    because tests tend to upload the same init image over and over.
    """
    info = read_png_info(data)
    if info.bit_depth != 8:
        raise UnsupportedPNGError(f"{info.bit_depth}-bit PNGs are not decoded by the fake")
    if data[28] != 0:
        raise UnsupportedPNGError("interlaced PNGs are not decoded by the fake")
    w, h = info.width, info.height
    bpp = _CHANNELS[info.color_type]
    compressed, plte, trns = _read_chunks(data)
    raw = _unfilter(_inflate(compressed, h * (w * bpp + 1)), h, w * bpp, bpp)
    alpha: bytes | None = None
    if info.color_type == 0:
        rgb = _interleave((raw, raw, raw))
        if trns is not None and len(trns) >= 2:
            alpha = raw.translate(bytes(0 if v == trns[1] else 255 for v in range(256)))
    elif info.color_type == 2:
        rgb = raw
        if trns is not None and len(trns) >= 6:
            keyed = _key_mask(raw[0::3], trns[1]) & _key_mask(raw[1::3], trns[3])
            keyed &= _key_mask(raw[2::3], trns[5])
            alpha = (keyed ^ ((1 << (8 * w * h)) - 1)).to_bytes(w * h, "big")
    elif info.color_type == 3:
        if plte is None:
            raise PNGFormatError("palette PNG has no PLTE chunk")
        palette = plte + bytes(768 - len(plte)) if len(plte) < 768 else plte[:768]
        rgb = _interleave(tuple(raw.translate(palette[c::3]) for c in range(3)))
        if trns is not None:
            alpha = raw.translate(trns[:256] + b"\xff" * (256 - min(len(trns), 256)))
    elif info.color_type == 4:
        grey = raw[0::2]
        rgb = _interleave((grey, grey, grey))
        alpha = raw[1::2]
    else:
        rgb = _interleave((raw[0::4], raw[1::4], raw[2::4]))
        alpha = raw[3::4]
    return Raster(w, h, rgb, alpha)


# --------------------------------------------------------------------------- masks


def mask_from_alpha(raster: Raster) -> bytes:
    """Regenerate-mask (0xFF = regenerate) of the fully transparent pixels."""
    if raster.alpha is None:
        return bytes(raster.width * raster.height)
    return raster.alpha.translate(b"\xff" + b"\x00" * 255)


def mask_from_image(raster: Raster, *, white: bool) -> bytes:
    """Regenerate-mask from a black-and-white mask image.

    A pixel counts as white when each of R, G and B is at least 128; with
    ``white=False`` the black (non-white) pixels are the ones regenerated.
    """
    bright = bytes(0 if v < 128 else 255 for v in range(256))
    rgb = raster.rgb
    n = raster.width * raster.height
    is_white = (
        int.from_bytes(rgb[0::3].translate(bright), "big")
        & int.from_bytes(rgb[1::3].translate(bright), "big")
        & int.from_bytes(rgb[2::3].translate(bright), "big")
    )
    if not white:
        is_white ^= (1 << (8 * n)) - 1
    return is_white.to_bytes(n, "big")


# --------------------------------------------------------------------------- derivations


def derive_image_to_image(
    init: Raster, seed: int, prompts: PromptKey, step_schedule_start: float
) -> bytes:
    """Blend the init image towards a generated pattern.

    ``step_schedule_start`` is the share of the generated pattern: 0 returns
    the init image's pixels unchanged, 1 ignores them, as the facts say of the
    real parameter.
    """
    pattern = generate_raster(init.width, init.height, seed, prompts)
    rgb = blend(init.rgb, pattern.rgb, step_schedule_start)
    return encode_png(Raster(init.width, init.height, rgb))


def derive_masking(init: Raster, regenerate: bytes, seed: int, prompts: PromptKey) -> bytes:
    """Keep the init image's RGB exactly where ``regenerate`` is 0x00, paint elsewhere."""
    pattern = generate_raster(init.width, init.height, seed, prompts)
    rgb = select(regenerate, pattern.rgb, init.rgb)
    return encode_png(Raster(init.width, init.height, rgb))
