"""Python client for the Stability.ai v1alpha image generation API.

>>> from stability_v1alpha import Stability
>>> with Stability() as client:                      # key from $STABILITY_API_KEY
...     client.text_to_image("a lighthouse at dawn").image.save("lighthouse.png")

Everything public is exported here; modules starting with ``_`` are private.
The low-level generated package (``stability_v1alpha_api``) is an
implementation detail: no public name here exposes its types.

The public names are loaded on first use (PEP 562 module ``__getattr__``):
``import stability_v1alpha`` and ``stability-v1alpha --help`` then cost a few
milliseconds instead of importing httpx and the generated package up front.
Type checkers see ordinary imports through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

from ._version import __version__

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

# The private module each public name lives in; it is imported on first access.
_HOMES = {
    "._client": ("DEFAULT_ENGINE", "DEFAULT_TIMEOUT", "AsyncStability", "Stability"),
    "._exceptions": (
        "APIConnectionError",
        "APIStatusError",
        "APITimeoutError",
        "AuthenticationError",
        "BadRequestError",
        "InternalServerError",
        "InvalidRequestError",
        "MalformedResponseError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "StabilityError",
    ),
    "._types": (
        "ClipGuidancePreset",
        "FinishReason",
        "GeneratedImage",
        "Generation",
        "MaskSource",
        "Prompt",
        "Sampler",
    ),
}
_LAZY = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
