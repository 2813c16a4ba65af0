"""The generation parameters, declared once.

Each keyword parameter of :meth:`Stability.text_to_image`, ``image_to_image``
and ``inpaint`` is one line here: its name, its type (what editors and
``mypy --strict`` see through ``Unpack``) and, as the ``Annotated`` metadata,
its rule with bounds and default (see :mod:`._validation`). Checking,
request building and the command line's flags are all derived from these
declarations; a parameter added here reaches the wire under its own name
(which must be the spec's field name).

``None`` leaves a setting to the service: nothing is sent for it.
"""

from typing import Annotated, Any, TypedDict

from ._constants import DEFAULT_ENGINE
from ._types import ImageInput
from ._validation import Identifier, Image, Integer, Number, Rule, Text

__all__ = ["ImageToImageOptions", "InpaintOptions", "Options", "rules_of"]


class Options(TypedDict, total=False):
    """Keyword arguments every generating operation takes."""

    #: Text to steer away from, sent as a prompt of weight -1.
    negative_prompt: Annotated[str | None, Text(prompt=True, placement="prompt")]
    #: Engine id (``GET /v1/engines/list`` names them).
    engine: Annotated[str, Identifier(default=DEFAULT_ENGINE, placement="path")]
    #: Image size in pixels: 512 to 2048 in steps of 64, at most 1,048,576 pixels.
    width: Annotated[int | None, Integer(low=512, high=2048, step=64)]
    height: Annotated[int | None, Integer(low=512, high=2048, step=64)]
    #: How strictly the image follows the prompt (0 to 35).
    cfg_scale: Annotated[float | None, Number(low=0.0, high=35.0)]
    #: Diffusion steps (10 to 150).
    steps: Annotated[int | None, Integer(low=10, high=150)]
    #: Images to generate (1 to 10).
    samples: Annotated[int, Integer(default=1, low=1, high=10)]
    #: Seed of the noise (0 or None: random).
    seed: Annotated[int | None, Integer(low=0, high=2_147_483_647)]
    #: Diffusion sampler, one of :class:`Sampler`.
    sampler: Annotated[str | None, Text()]
    #: CLIP guidance, one of :class:`ClipGuidancePreset`.
    clip_guidance_preset: Annotated[str | None, Text()]


class ImageToImageOptions(Options, total=False):
    """Keyword arguments of ``image_to_image``."""

    #: How much of the init image is kept: 0 returns it unchanged, 1 ignores it.
    step_schedule_start: Annotated[float | None, Number(low=0.0, high=1.0)]
    step_schedule_end: Annotated[float | None, Number(low=0.0, high=1.0)]


class InpaintOptions(Options, total=False):
    """Keyword arguments of ``inpaint``."""

    #: The mask (same size as the init image), or None to use the init image's alpha.
    mask_image: Annotated[ImageInput | None, Image(placement="file")]
    #: One of :class:`MaskSource`; by default ``MASK_IMAGE_WHITE`` with a
    #: ``mask_image`` and ``INIT_IMAGE_ALPHA`` without.
    mask_source: Annotated[str | None, Text()]


def rules_of(declaration: type[Any]) -> dict[str, Rule]:
    """Each parameter of a declaration with its rule, in declaration order."""
    # A TypedDict's annotations hold its bases' keys too; no string is left to
    # evaluate (this module does not postpone annotations).
    rules: dict[str, Rule] = {}
    for name, hint in declaration.__annotations__.items():
        (rule,) = [item for item in getattr(hint, "__metadata__", ()) if isinstance(item, Rule)]
        rules[name] = rule
    return rules


# The declaration of each operation (named as the generated modules are).
DECLARATIONS: dict[str, type[Any]] = {
    "text_to_image": Options,
    "image_to_image": ImageToImageOptions,
    "masking": InpaintOptions,
}
RULES = {operation: rules_of(declaration) for operation, declaration in DECLARATIONS.items()}
