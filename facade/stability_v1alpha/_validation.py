"""Checking a caller's arguments against the API's rules before anything is sent.

Each check raises :class:`InvalidRequestError` naming the argument, the value
and the rule. The bounds are the service's (see ``openapi.yaml``); a test keeps
them in step with the spec. Rules the spec cannot state (sizes in steps of 64,
the pixel budget, a mask the size of its image) live here too.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, Union

from ._exceptions import InvalidRequestError
from ._png import PNGFormatError, PNGInfo, read_png_info
from ._types import MaskSource, Prompt

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

_OnePrompt: TypeAlias = str | Prompt | tuple[str, float]
PromptInput: TypeAlias = _OnePrompt | Sequence[_OnePrompt]
ImageInput: TypeAlias = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], "PILImage"
]

MAX_PROMPT_LENGTH = 2000
SIZE_MIN, SIZE_MAX, SIZE_STEP = 512, 2048, 64
MAX_PIXELS = 1_048_576
CFG_SCALE_MIN, CFG_SCALE_MAX = 0.0, 35.0
CFG_SCALE_RANGE = (CFG_SCALE_MIN, CFG_SCALE_MAX)
STEPS_MIN, STEPS_MAX = 10, 150
SAMPLES_MIN, SAMPLES_MAX = 1, 10
SEED_MIN, SEED_MAX = 0, 2_147_483_647
DEFAULT_SIZE = 512
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Params:
    """Validated generation parameters; ``None`` means "leave it to the service"."""

    prompts: tuple[Prompt, ...]
    samples: int
    width: int | None = None
    height: int | None = None
    cfg_scale: float | None = None
    steps: int | None = None
    seed: int | None = None
    sampler: str | None = None
    clip_guidance_preset: str | None = None


@dataclass(frozen=True, slots=True)
class Upload:
    """An image to send: its PNG bytes and the header facts read from them."""

    data: bytes
    info: PNGInfo


def check_params(
    prompt: Any,
    *,
    negative_prompt: Any,
    width: Any,
    height: Any,
    cfg_scale: Any,
    steps: Any,
    samples: Any,
    seed: Any,
    sampler: Any,
    clip_guidance_preset: Any,
) -> Params:
    """Validate the parameters all three operations share."""
    prompts = list(_prompts(prompt))
    if negative_prompt is not None:
        if not isinstance(negative_prompt, str):
            raise InvalidRequestError(
                "negative_prompt", negative_prompt, "must be a string or None"
            )
        prompts.append(Prompt(_prompt_text("negative_prompt", negative_prompt), -1.0))
    width = _optional_int("width", width, SIZE_MIN, SIZE_MAX)
    height = _optional_int("height", height, SIZE_MIN, SIZE_MAX)
    for name, size in (("width", width), ("height", height)):
        if size is not None and size % SIZE_STEP:
            raise InvalidRequestError(name, size, f"must be a multiple of {SIZE_STEP}")
    pixels = (width or DEFAULT_SIZE) * (height or DEFAULT_SIZE)
    if pixels > MAX_PIXELS:
        raise InvalidRequestError(
            "width*height",
            f"{width or DEFAULT_SIZE}x{height or DEFAULT_SIZE}",
            f"must be at most {MAX_PIXELS:,} pixels (got {pixels:,})",
        )
    return Params(
        prompts=tuple(prompts),
        samples=_int("samples", samples, SAMPLES_MIN, SAMPLES_MAX),
        width=width,
        height=height,
        cfg_scale=optional_number("cfg_scale", cfg_scale, CFG_SCALE_MIN, CFG_SCALE_MAX),
        steps=_optional_int("steps", steps, STEPS_MIN, STEPS_MAX),
        seed=_optional_int("seed", seed, SEED_MIN, SEED_MAX),
        sampler=_optional_str("sampler", sampler),
        clip_guidance_preset=_optional_str("clip_guidance_preset", clip_guidance_preset),
    )


def check_enum(name: str, value: str | None, allowed: Sequence[str]) -> None:
    """Reject a value the API does not list for this field."""
    if value is not None and value not in allowed:
        raise InvalidRequestError(name, value, f"must be one of {', '.join(allowed)}")


def optional_number(name: str, value: Any, low: float, high: float) -> float | None:
    """A finite real number in ``[low, high]`` (ints allowed, bools not), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidRequestError(name, value, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRequestError(name, value, "must be a finite number")
    if not low <= number <= high:
        raise InvalidRequestError(name, value, f"must be between {low:g} and {high:g}")
    return value if isinstance(value, int) else number


def check_mask(mask_source: Any, init: Upload, mask: Upload | None) -> str:
    """Pick or check ``mask_source`` and make sure the images fit it."""
    if mask_source is None:
        mask_source = MaskSource.MASK_IMAGE_WHITE if mask else MaskSource.INIT_IMAGE_ALPHA
    if not isinstance(mask_source, str):
        raise InvalidRequestError("mask_source", mask_source, "must be a string")
    if mask_source in (MaskSource.MASK_IMAGE_WHITE, MaskSource.MASK_IMAGE_BLACK) and mask is None:
        raise InvalidRequestError(
            "mask_image", None, f"is required when mask_source is {mask_source}"
        )
    if mask_source == MaskSource.INIT_IMAGE_ALPHA and not init.info.has_alpha:
        raise InvalidRequestError(
            "init_image",
            f"<PNG {init.info.width}x{init.info.height} without alpha>",
            "needs an alpha channel (RGBA, grey+alpha or tRNS) when mask_source is "
            "INIT_IMAGE_ALPHA",
        )
    if mask is not None and (mask.info.width, mask.info.height) != (
        init.info.width,
        init.info.height,
    ):
        raise InvalidRequestError(
            "mask_image",
            f"<PNG {mask.info.width}x{mask.info.height}>",
            f"must have the init image's size {init.info.width}x{init.info.height}",
        )
    return mask_source


def load_image(name: str, value: Any, *, max_bytes: int) -> Upload:
    """Read an image argument into PNG bytes and check it is a usable PNG.

    Accepts a path, bytes-like data, a binary file object or a PIL image.
    Files are size-checked before they are read, so a huge file costs nothing.
    """
    data = _read_image(name, value, max_bytes)
    if not data:
        raise InvalidRequestError(name, value, "is empty (0 bytes)")
    if len(data) > max_bytes:
        raise InvalidRequestError(
            name, value, f"is larger than the upload limit of {max_bytes:,} bytes"
        )
    try:
        info = read_png_info(data)
    except PNGFormatError as exc:
        raise InvalidRequestError(name, value, f"must be a PNG image ({exc})") from None
    return Upload(data, info)


def _read_image(name: str, value: Any, max_bytes: int) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str | os.PathLike):
        return _read_path(name, value, max_bytes)
    if hasattr(value, "read"):
        try:
            return _read_at_most(name, value, max_bytes + 1)
        except InvalidRequestError:
            raise
        except (OSError, ValueError, OverflowError) as exc:
            raise InvalidRequestError(name, value, f"could not be read ({exc})") from None
    if _is_pil_image(value):
        buffer = io.BytesIO()
        try:
            value.save(buffer, format="PNG")
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # e.g. a CMYK image: Pillow cannot write that mode as PNG.
            raise InvalidRequestError(name, value, f"cannot be saved as PNG ({exc})") from None
        return buffer.getvalue()
    raise InvalidRequestError(
        name, value, "must be a path, bytes, a binary file object or a PIL image"
    )


def _read_path(name: str, value: str | os.PathLike[str], max_bytes: int) -> bytes:
    try:
        path = Path(value)
    except TypeError:
        raise InvalidRequestError(name, value, "is not a valid path") from None
    try:
        if path.is_dir():
            raise InvalidRequestError(name, str(path), "is a directory, not an image file")
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidRequestError(
                name, str(path), f"is larger than the upload limit of {max_bytes:,} bytes"
            )
        # Read at most one byte past the limit: a device or a pipe (/dev/zero,
        # a FIFO) reports size 0 but may never end.
        with path.open("rb") as file:
            return _read_at_most(name, file, max_bytes + 1)
    except FileNotFoundError:
        raise InvalidRequestError(name, str(path), "does not exist") from None
    except InvalidRequestError:  # a ValueError too: not to be wrapped below
        raise
    except (OSError, ValueError) as exc:
        # strerror, not str(exc): that repeats the (possibly huge) file name.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidRequestError(name, str(path), f"could not be read ({reason})") from None


def _read_at_most(name: str, file: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``file``, in pieces.

    One ``read(limit)`` would allocate ``limit`` bytes up front (a MemoryError
    or OverflowError for a generous ``max_upload_bytes``); pieces also cope
    with readers that return short reads.
    """
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = file.read(min(1 << 20, limit - total))
        if isinstance(chunk, str):
            raise InvalidRequestError(name, file, "must be opened in binary mode ('rb')")
        if not chunk:
            break
        chunks.append(bytes(chunk))
        total += len(chunk)
    return b"".join(chunks)


def _is_pil_image(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("PIL.") and hasattr(value, "save")


def _prompts(prompt: Any) -> list[Prompt]:
    if isinstance(prompt, str | Prompt) or _is_pair(prompt):
        items: list[Any] = [prompt]
    elif isinstance(prompt, Sequence) and not isinstance(prompt, bytes | bytearray):
        items = list(prompt)
    else:
        raise InvalidRequestError(
            "prompt",
            prompt,
            "must be a string, a Prompt, a (text, weight) pair or a sequence of them",
        )
    if not items:
        raise InvalidRequestError("prompt", prompt, "needs at least one prompt")
    return [
        _one_prompt(f"prompt[{i}]" if len(items) > 1 else "prompt", p) for i, p in enumerate(items)
    ]


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and not isinstance(value[1], str)
    )


def _one_prompt(name: str, item: Any) -> Prompt:
    if isinstance(item, str):
        return Prompt(_prompt_text(name, item))
    if isinstance(item, Prompt):
        text, weight = item.text, item.weight
    elif _is_pair(item):
        text, weight = item
    else:
        raise InvalidRequestError(name, item, "must be a string, a Prompt or a (text, weight) pair")
    if not isinstance(text, str):
        raise InvalidRequestError(f"{name}.text", text, "must be a string")
    checked = optional_number(f"{name}.weight", weight, -math.inf, math.inf)
    if checked is None:
        raise InvalidRequestError(f"{name}.weight", weight, "must be a number")
    return Prompt(_prompt_text(name, text), float(checked))


def _prompt_text(name: str, text: str) -> str:
    if not text.strip():
        raise InvalidRequestError(name, text, "must not be empty")
    if len(text) > MAX_PROMPT_LENGTH:
        raise InvalidRequestError(
            name, text, f"must be at most {MAX_PROMPT_LENGTH} characters (got {len(text)})"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(
            name, text, "must be valid Unicode text (lone surrogate)"
        ) from None
    return text


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(name, value, "must be an integer")
    if not low <= value <= high:
        raise InvalidRequestError(name, value, f"must be between {low} and {high}")
    return int(value)


def _optional_int(name: str, value: Any, low: int, high: int) -> int | None:
    return None if value is None else _int(name, value, low, high)


def _optional_str(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidRequestError(name, value, "must be a string")
    return value
