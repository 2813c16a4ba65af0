"""Images of the fake Stability server: PNG codec, and how results derive from uploads."""

from __future__ import annotations

import io
import json
import random
import struct
import time
import zlib
from typing import Any

import httpx
import pytest
from stability_v1alpha._png import PNG_SIGNATURE, PNGFormatError, read_png_info
from stability_v1alpha.testing import _images, make_png
from stability_v1alpha.testing._images import Raster, UnsupportedPNGError, decode_png

ENGINE = "stable-diffusion-v1-5"
I2I = f"/v1alpha/generation/{ENGINE}/image-to-image"
MASKING = f"/v1alpha/generation/{ENGINE}/image-to-image/masking"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


# --------------------------------------------------------------------------- reference encoder


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def reference_png(
    width: int,
    height: int,
    color_type: int,
    samples: bytes,
    filters: list[int],
    *,
    extra_chunks: tuple[tuple[bytes, bytes], ...] = (),
    bit_depth: int = 8,
    interlace: int = 0,
) -> bytes:
    """A deliberately naive PNG writer, independent of the code under test."""
    bpp = CHANNELS[color_type]
    stride = width * bpp
    out = bytearray()
    prior = bytes(stride)
    for y in range(height):
        row = samples[y * stride : (y + 1) * stride]
        kind = filters[y % len(filters)]
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, _paeth(a, b, c)][kind]
            out.append((x - predictor) % 256)
        prior = row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + b"".join(chunk(k, d) for k, d in extra_chunks)
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


def noise(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------- decoder


@pytest.mark.parametrize("color_type", [0, 2, 3, 4, 6])
@pytest.mark.parametrize("filters", [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]])
def test_decoder_handles_every_colour_type_and_filter(color_type: int, filters: list[int]) -> None:
    width, height = 13, 7
    samples = noise(width * height * CHANNELS[color_type], seed=color_type)
    chunks: tuple[tuple[bytes, bytes], ...] = ()
    if color_type == 3:
        palette = noise(256 * 3, seed=99)
        chunks = ((b"PLTE", palette), (b"tRNS", bytes(range(0, 256, 2))))
    raster = decode_png(
        reference_png(width, height, color_type, samples, filters, extra_chunks=chunks)
    )
    assert (raster.width, raster.height) == (width, height)
    pixels = width * height
    if color_type == 0:
        assert raster.rgb == bytes(v for v in samples for _ in range(3))
        assert raster.alpha is None
    elif color_type == 2:
        assert raster.rgb == samples and raster.alpha is None
    elif color_type == 3:
        assert raster.rgb == b"".join(palette[3 * i : 3 * i + 3] for i in samples)
        assert raster.alpha == bytes(2 * i if i < 128 else 255 for i in samples)
    elif color_type == 4:
        assert raster.rgb == bytes(v for v in samples[0::2] for _ in range(3))
        assert raster.alpha == samples[1::2]
    else:
        assert raster.rgb == b"".join(samples[i : i + 3] for i in range(0, 4 * pixels, 4))
        assert raster.alpha == samples[3::4]


def test_colour_key_transparency() -> None:
    samples = bytes([1, 2, 3, 9, 9, 9, 1, 2, 3])
    trns = struct.pack(">HHH", 1, 2, 3)
    raster = decode_png(reference_png(3, 1, 2, samples, [0], extra_chunks=((b"tRNS", trns),)))
    assert raster.alpha == bytes([0, 255, 0])


def test_encoder_round_trips_rgb_and_rgba() -> None:
    rgb, alpha = noise(5 * 4 * 3), noise(5 * 4, seed=1)
    assert decode_png(make_png(5, 4, rgb)) == Raster(5, 4, rgb)
    assert decode_png(make_png(5, 4, rgb, alpha)) == Raster(5, 4, rgb, alpha)
    with pytest.raises(ValueError):
        make_png(5, 4, rgb[:-1])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"bit_depth": 16}, UnsupportedPNGError), ({"interlace": 1}, UnsupportedPNGError)],
)
def test_unsupported_pngs_are_reported(kwargs: dict[str, int], error: type[Exception]) -> None:
    data = reference_png(2, 2, 2, bytes(24 if kwargs.get("bit_depth") else 12), [0], **kwargs)
    with pytest.raises(error):
        decode_png(data)


def test_corrupt_pngs_are_reported() -> None:
    good = make_png(4, 4, bytes(48))
    idat = good.index(b"IDAT")
    corrupt = good[: idat + 6] + bytes([good[idat + 6] ^ 0xFF]) + good[idat + 7 :]
    with pytest.raises(PNGFormatError):
        decode_png(corrupt)


def test_pillow_agrees_with_the_codec() -> None:
    image_module = pytest.importorskip("PIL.Image")
    original = image_module.effect_mandelbrot((96, 64), (-2, -1.5, 1, 1.5), 50).convert("RGB")
    buffer = io.BytesIO()
    original.save(buffer, "PNG", optimize=True)  # Pillow's adaptive filtering
    assert decode_png(buffer.getvalue()).rgb == original.tobytes()
    ours = _images.generate_png(96, 64, 5, (("x", 1.0),))
    assert image_module.open(io.BytesIO(ours)).convert("RGB").tobytes() == decode_png(ours).rgb


# --------------------------------------------------------------------------- generation


def test_a_megapixel_png_is_generated_fast() -> None:
    best = float("inf")
    for seed in range(3):
        started = time.perf_counter()
        data = _images.generate_png(1024, 1024, 1000 + seed, (("speed", 1.0),))
        best = min(best, time.perf_counter() - started)
    info = read_png_info(data)
    assert (info.width, info.height) == (1024, 1024)
    assert best < 0.1


def test_generated_images_are_not_flat() -> None:
    raster = _images.generate_raster(64, 64, 7, (("x", 1.0),))
    assert len({raster.rgb[i : i + 3] for i in range(0, len(raster.rgb), 3)}) > 50


def test_blend_and_select() -> None:
    a, b = bytes([0, 100, 255, 10]), bytes([255, 0, 255, 30])
    assert _images.blend(a, b, 0) == a
    assert _images.blend(a, b, 1) == b
    assert list(_images.blend(a, b, 0.5)) == [127, 50, 255, 20]
    mask = bytes([0xFF, 0x00])
    chosen = _images.select(mask, bytes([1, 1, 1, 2, 2, 2]), bytes([9, 9, 9, 8, 8, 8]))
    assert chosen == bytes([1, 1, 1, 8, 8, 8])


# --------------------------------------------------------------------------- over HTTP


def options(**fields: Any) -> str:
    return json.dumps({"text_prompts": [{"text": "a garden"}], "seed": 77, **fields})


def post(client: httpx.Client, path: str, opts: str, **images: bytes) -> Raster:
    files = {name: (f"{name}.png", data, "image/png") for name, data in images.items()}
    response = client.post(path, files=files, data={"options": opts})
    assert response.status_code == 200, response.text
    return decode_png(response.content)


INIT_RGB = noise(64 * 48 * 3, seed=5)
INIT = make_png(64, 48, INIT_RGB)


def _distance(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def test_step_schedule_start_zero_returns_the_init_image(client: httpx.Client) -> None:
    assert post(client, I2I, options(step_schedule_start=0), init_image=INIT).rgb == INIT_RGB


def test_step_schedule_start_one_ignores_the_init_image(client: httpx.Client) -> None:
    result = post(client, I2I, options(step_schedule_start=1), init_image=INIT)
    assert result.rgb == _images.generate_raster(64, 48, 77, (("a garden", 1.0),)).rgb


def test_image_to_image_moves_away_from_the_init_image_with_the_schedule(
    client: httpx.Client,
) -> None:
    distances = [
        _distance(post(client, I2I, options(step_schedule_start=s), init_image=INIT).rgb, INIT_RGB)
        for s in (0.2, 0.5, 0.8)
    ]
    assert 0 < distances[0] < distances[1] < distances[2]
    default = post(client, I2I, options(), init_image=INIT)  # 0.65 when not given
    assert distances[1] < _distance(default.rgb, INIT_RGB) < distances[2]


def _pixels(rgb: bytes) -> list[bytes]:
    return [rgb[i : i + 3] for i in range(0, len(rgb), 3)]


def _check_mask_applied(result: Raster, regenerate: list[bool]) -> None:
    init = _pixels(INIT_RGB)
    out = _pixels(result.rgb)
    kept = [o == i for o, i, r in zip(out, init, regenerate, strict=True) if not r]
    changed = [o != i for o, i, r in zip(out, init, regenerate, strict=True) if r]
    assert kept and all(kept)  # unmasked pixels are kept exactly
    assert changed and sum(changed) > 0.9 * len(changed)  # masked ones are regenerated


@pytest.mark.parametrize("source", ["MASK_IMAGE_WHITE", "MASK_IMAGE_BLACK"])
def test_masking_regenerates_only_the_masked_pixels(client: httpx.Client, source: str) -> None:
    # White left half, black right half.
    white = [x < 32 for _ in range(48) for x in range(64)]
    mask = make_png(64, 48, b"".join(b"\xff\xff\xff" if w else b"\x00\x00\x00" for w in white))
    result = post(client, MASKING, options(mask_source=source), init_image=INIT, mask_image=mask)
    regenerate = white if source == "MASK_IMAGE_WHITE" else [not w for w in white]
    _check_mask_applied(result, regenerate)


def test_masking_with_the_init_image_alpha(client: httpx.Client) -> None:
    transparent = [y < 16 for y in range(48) for _ in range(64)]
    alpha = bytes(0 if t else 255 for t in transparent)
    init = make_png(64, 48, INIT_RGB, alpha)
    result = post(client, MASKING, options(mask_source="INIT_IMAGE_ALPHA"), init_image=init)
    _check_mask_applied(result, transparent)


def test_masking_with_a_palette_init_image(client: httpx.Client) -> None:
    palette = noise(256 * 3, seed=3)
    indices = noise(64 * 48, seed=4)
    trns = bytes([0, *([255] * 255)])  # index 0 is transparent
    init = reference_png(
        64, 48, 3, indices, [4], extra_chunks=((b"PLTE", palette), (b"tRNS", trns))
    )
    result = post(client, MASKING, options(mask_source="INIT_IMAGE_ALPHA"), init_image=init)
    expected = [palette[3 * i : 3 * i + 3] for i in indices]
    out = _pixels(result.rgb)
    assert all(o == e for o, e, i in zip(out, expected, indices, strict=True) if i != 0)


def test_undecodable_init_image_falls_back_to_a_generated_image(client: httpx.Client) -> None:
    sixteen_bit = reference_png(64, 32, 2, noise(64 * 32 * 6), [0], bit_depth=16)
    result = post(client, I2I, options(step_schedule_start=0), init_image=sixteen_bit)
    assert (result.width, result.height) == (64, 32)


def test_huge_declared_image_size_is_refused(client: httpx.Client) -> None:
    header = reference_png(1, 1, 0, b"\x00", [0])
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    forged = (
        PNG_SIGNATURE
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        + header[33:]
    )
    files = {"init_image": ("i.png", forged, "image/png")}
    response = client.post(I2I, files=files, data={"options": options()})
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid_image_dimensions")
