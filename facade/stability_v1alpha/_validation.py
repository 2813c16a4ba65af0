"""The API's rules for a caller's arguments, checked before anything is sent.

Each rule raises :class:`InvalidRequestError` naming the argument, the value
and what is allowed. The per-parameter rules are the objects attached to the
declaration in :mod:`._parameters`, which gives each its bounds; the rules
that tie parameters together (the pixel budget, the mask and its image) and
the reading of prompts and images live here too.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any, Literal, NamedTuple

from ._exceptions import InvalidRequestError
from ._models import MaskSource, Prompt
from ._png import PNGFormatError, PNGInfo, read_png_info

MAX_PROMPT_LENGTH = 2000
MAX_PIXELS = 1_048_576
DEFAULT_SIZE = 512

# Where a checked value goes in the request: a field of the options model, the
# URL path, an uploaded file, or the list of text prompts.
Placement = Literal["option", "path", "file", "prompt"]


class Upload(NamedTuple):
    """An image to send: its PNG bytes, the header facts read from them, where it came from."""

    data: bytes
    info: PNGInfo
    # The file name, or a short description of bytes or objects, for messages.
    source: str


# The rules are plain classes with slots, not dataclasses: a dataclass costs
# about a millisecond at import, and these are made once.
class Rule:
    """How one keyword parameter is checked, and where it goes in the request."""

    __slots__ = ("default", "placement")

    def __init__(self, *, default: Any = None, placement: Placement = "option") -> None:
        self.default = default
        self.placement = placement

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        slots = [n for cls in type(self).__mro__ for n in getattr(cls, "__slots__", ())]
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in slots)
        return f"{type(self).__name__}({fields})"


class Integer(Rule):
    """An integer in ``[low, high]`` (a multiple of ``step``), or None."""

    __slots__ = ("high", "low", "step")

    def __init__(self, *, low: int, high: int, step: int = 1, default: int | None = None) -> None:
        super().__init__(default=default)
        self.low, self.high, self.step = low, high, step

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> int | None:
        if value is None and self.default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequestError(name, value, "must be an integer")
        if not self.low <= value <= self.high:
            raise InvalidRequestError(name, value, f"must be between {self.low} and {self.high}")
        if value % self.step:
            raise InvalidRequestError(name, value, f"must be a multiple of {self.step}")
        return int(value)


class Number(Rule):
    """A finite real number in ``[low, high]`` (ints allowed, bools not), or None."""

    __slots__ = ("high", "low")

    def __init__(self, *, low: float, high: float) -> None:
        super().__init__()
        self.low, self.high = low, high

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> float | None:
        return optional_number(name, value, self.low, self.high)


class Text(Rule):
    """A string or None; ``prompt`` text follows the prompt rules.

    Strings with a fixed list of values (samplers, presets) are checked
    against the generated enums, which follow the spec.
    """

    __slots__ = ("prompt",)

    def __init__(self, *, prompt: bool = False, placement: Placement = "option") -> None:
        super().__init__(placement=placement)
        self.prompt = prompt

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidRequestError(name, value, "must be a string or None")
        return _prompt_text(name, value) if self.prompt else value


class Identifier(Rule):
    """A non-empty string (an engine id)."""

    __slots__ = ()

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequestError(name, value, "must be a non-empty engine id string")
        return value


class Image(Rule):
    """A PNG to upload (path, bytes, binary file or PIL image), or None."""

    __slots__ = ()

    def check(self, name: str, value: Any, *, max_upload_bytes: int) -> Upload | None:
        return None if value is None else load_image(name, value, max_bytes=max_upload_bytes)


# Public names of the operations, for messages (the masking endpoint is ``inpaint``).
_PUBLIC_NAMES = {"masking": "inpaint"}


def check_call(
    operation: str,
    rules: Mapping[str, Rule],
    prompt: Any,
    init_image: Any,
    options: Mapping[str, Any],
    *,
    max_upload_bytes: int,
) -> tuple[tuple[Prompt, ...], dict[str, Any]]:
    """The text prompts of a call and every other argument, checked.

    Each declared parameter goes through its rule (defaults filled in), then
    the rules that tie parameters together run. ``init_image`` is None for
    text-to-image.
    """
    unknown = [name for name in options if name not in rules]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(rules), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        name = _PUBLIC_NAMES.get(operation, operation)
        raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}{hint}")
    checked: dict[str, Any] = {}
    for name, rule in rules.items():
        value = options.get(name, rule.default)
        if value is None and rule.default is None:
            checked[name] = None  # left to the service: no rule to run (most of them, mostly)
        else:
            checked[name] = rule.check(name, value, max_upload_bytes=max_upload_bytes)
    _check_pixels(checked.get("width"), checked.get("height"))
    negatives = [checked.pop(name) for name, rule in rules.items() if rule.placement == "prompt"]
    text = _prompts(prompt) + [Prompt(n, -1.0) for n in negatives if n is not None]
    if operation != "text_to_image":
        checked["init_image"] = load_image("init_image", init_image, max_bytes=max_upload_bytes)
    if "mask_source" in checked:
        checked["mask_source"] = check_mask(
            checked["mask_source"], checked["init_image"], checked["mask_image"]
        )
    return tuple(text), checked


def _check_pixels(width: int | None, height: int | None) -> None:
    pixels = (width or DEFAULT_SIZE) * (height or DEFAULT_SIZE)
    if pixels > MAX_PIXELS:
        raise InvalidRequestError(
            "width*height",
            f"{width or DEFAULT_SIZE}x{height or DEFAULT_SIZE}",
            f"must be at most {MAX_PIXELS:,} pixels (got {pixels:,})",
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


def check_mask(mask_source: str | None, init: Upload, mask: Upload | None) -> str:
    """Pick or check ``mask_source`` and make sure the images fit it."""
    if mask_source is None:
        mask_source = MaskSource.MASK_IMAGE_WHITE if mask else MaskSource.INIT_IMAGE_ALPHA
    if mask_source in (MaskSource.MASK_IMAGE_WHITE, MaskSource.MASK_IMAGE_BLACK) and mask is None:
        raise InvalidRequestError(
            "mask_image", None, f"is required when mask_source is {mask_source}"
        )
    if mask_source == MaskSource.INIT_IMAGE_ALPHA and not init.info.has_alpha:
        raise InvalidRequestError(
            "init_image",
            f"{init.source} ({init.info.width}x{init.info.height}, no alpha)",
            "needs an alpha channel (RGBA, grey+alpha or tRNS) when mask_source is "
            "INIT_IMAGE_ALPHA",
        )
    if mask is not None and (mask.info.width, mask.info.height) != (
        init.info.width,
        init.info.height,
    ):
        raise InvalidRequestError(
            "mask_image",
            f"{mask.source} ({mask.info.width}x{mask.info.height})",
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
    source = str(value) if isinstance(value, str | os.PathLike) else f"<{len(data)} bytes>"
    return Upload(data, info, source)


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
