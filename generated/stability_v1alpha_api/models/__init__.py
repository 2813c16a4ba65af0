"""Contains all the data models used in inputs/outputs"""

from .accept import Accept
from .artifact import Artifact
from .clip_guidance_preset import ClipGuidancePreset
from .error import Error
from .finish_reason import FinishReason
from .image_to_image_options import ImageToImageOptions
from .image_to_image_request_body import ImageToImageRequestBody
from .mask_source import MaskSource
from .masking_options import MaskingOptions
from .masking_request_body import MaskingRequestBody
from .sampler import Sampler
from .text_prompt import TextPrompt
from .text_to_image_request_body import TextToImageRequestBody

__all__ = (
    "Accept",
    "Artifact",
    "ClipGuidancePreset",
    "Error",
    "FinishReason",
    "ImageToImageOptions",
    "ImageToImageRequestBody",
    "MaskSource",
    "MaskingOptions",
    "MaskingRequestBody",
    "Sampler",
    "TextPrompt",
    "TextToImageRequestBody",
)
