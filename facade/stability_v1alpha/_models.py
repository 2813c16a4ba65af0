"""The values callers pass in and get back: prompts, images, generations.

None of these are generated classes: they belong to this package, so a
regeneration of the low-level client never changes what callers hold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._files import atomic_write
from ._png import check_png_header

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = [
    "ClipGuidancePreset",
    "FinishReason",
    "GeneratedImage",
    "Generation",
    "MaskSource",
    "Prompt",
    "Sampler",
]


class FinishReason:
    """Known values of :attr:`GeneratedImage.finish_reason`.

    Plain strings, not an enum: a value a newer service adds is kept as it
    came instead of failing to parse.
    """

    SUCCESS: Final = "SUCCESS"
    ERROR: Final = "ERROR"
    CONTENT_FILTERED: Final = "CONTENT_FILTERED"


class Sampler:
    """Diffusion samplers the API accepts (``sampler=``)."""

    DDIM: Final = "DDIM"
    DDPM: Final = "DDPM"
    K_DPMPP_2M: Final = "K_DPMPP_2M"
    K_DPMPP_2S_ANCESTRAL: Final = "K_DPMPP_2S_ANCESTRAL"
    K_DPM_2: Final = "K_DPM_2"
    K_DPM_2_ANCESTRAL: Final = "K_DPM_2_ANCESTRAL"
    K_EULER: Final = "K_EULER"
    K_EULER_ANCESTRAL: Final = "K_EULER_ANCESTRAL"
    K_HEUN: Final = "K_HEUN"
    K_LMS: Final = "K_LMS"


class ClipGuidancePreset:
    """CLIP guidance presets the API accepts (``clip_guidance_preset=``)."""

    FAST_BLUE: Final = "FAST_BLUE"
    FAST_GREEN: Final = "FAST_GREEN"
    NONE: Final = "NONE"
    SIMPLE: Final = "SIMPLE"
    SLOW: Final = "SLOW"
    SLOWER: Final = "SLOWER"
    SLOWEST: Final = "SLOWEST"


class MaskSource:
    """Where :meth:`Stability.inpaint` takes its mask from (``mask_source=``).

    ``MASK_IMAGE_WHITE``: white pixels of the mask are regenerated.
    ``MASK_IMAGE_BLACK``: black pixels of the mask are regenerated.
    ``INIT_IMAGE_ALPHA``: transparent pixels of the init image are regenerated.
    """

    MASK_IMAGE_WHITE: Final = "MASK_IMAGE_WHITE"
    MASK_IMAGE_BLACK: Final = "MASK_IMAGE_BLACK"
    INIT_IMAGE_ALPHA: Final = "INIT_IMAGE_ALPHA"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A text prompt with its weight; a negative weight steers away from it."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True, eq=False)
class GeneratedImage:
    """One generated image: PNG bytes, the seed that made it, how it finished."""

    data: bytes = field(repr=False)
    seed: int
    finish_reason: str

    @property
    def content_filtered(self) -> bool:
        """True when the safety filter flagged the image (it may be blurred)."""
        return self.finish_reason == FinishReason.CONTENT_FILTERED

    @property
    def width(self) -> int:
        """Width in pixels, read from the PNG header."""
        return check_png_header(self.data)[0]

    @property
    def height(self) -> int:
        """Height in pixels, read from the PNG header."""
        return check_png_header(self.data)[1]

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the PNG to ``path`` atomically and return the path.

        Refuses to replace an existing file unless ``overwrite`` is true
        (``FileExistsError``).
        """
        return atomic_write(path, self.data, overwrite=overwrite)

    def to_pil(self) -> PILImage:
        """The image as a ``PIL.Image.Image`` (needs the ``pil`` extra)."""
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_pil() needs Pillow: pip install 'stability-v1alpha[pil]'"
            ) from exc
        import io

        image = Image.open(io.BytesIO(self.data))
        image.load()
        return image

    def __repr__(self) -> str:
        return (
            f"GeneratedImage(seed={self.seed}, finish_reason={self.finish_reason!r}, "
            f"bytes={len(self.data)})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneratedImage):
            return NotImplemented
        return (self.data, self.seed, self.finish_reason) == (
            other.data,
            other.seed,
            other.finish_reason,
        )

    def __hash__(self) -> int:
        return hash((self.seed, self.finish_reason, len(self.data)))


@dataclass(frozen=True, slots=True)
class Generation:
    """The result of one API call: one image per requested sample."""

    images: list[GeneratedImage]

    @property
    def image(self) -> GeneratedImage:
        """The first (with one sample, the only) image."""
        return self.images[0]

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Any:
        return iter(self.images)
