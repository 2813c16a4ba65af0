"""Python client for the Stability.ai v1alpha image generation API.

>>> from stability_v1alpha import Stability
>>> with Stability() as client:                      # key from $STABILITY_API_KEY
...     client.text_to_image("a lighthouse at dawn").image.save("lighthouse.png")

Everything public is exported here; modules starting with ``_`` are private.
The low-level generated package (``stability_v1alpha_api``) is an
implementation detail: no public name here exposes its types.
"""

from ._client import DEFAULT_ENGINE, DEFAULT_TIMEOUT, AsyncStability, Stability
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StabilityError,
)
from ._types import (
    ClipGuidancePreset,
    FinishReason,
    GeneratedImage,
    Generation,
    MaskSource,
    Prompt,
    Sampler,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ENGINE",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncStability",
    "AuthenticationError",
    "BadRequestError",
    "ClipGuidancePreset",
    "FinishReason",
    "GeneratedImage",
    "Generation",
    "InternalServerError",
    "InvalidRequestError",
    "MalformedResponseError",
    "MaskSource",
    "NotFoundError",
    "PermissionDeniedError",
    "Prompt",
    "RateLimitError",
    "Sampler",
    "Stability",
    "StabilityError",
    "__version__",
]
