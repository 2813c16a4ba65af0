"""Python client for the Stability.ai v1alpha image generation API.

>>> from stability_v1alpha import Stability
>>> with Stability() as client:                      # key from $STABILITY_API_KEY
...     client.text_to_image("a lighthouse at dawn").image.save("lighthouse.png")

Everything public is exported here, each name once; modules starting with
``_`` are private. The low-level generated package (``stability_v1alpha_api``)
is an implementation detail: no public name here exposes its types, and it is
imported only when the first request is built.

Each public name is listed once, in the ``TYPE_CHECKING`` block below: type
checkers read it as ordinary imports, and at run time the same lines, read
from this file, say which private module to load a name from on first use
(PEP 562 ``__getattr__``). ``import stability_v1alpha`` and
``stability-v1alpha --help`` then cost a few milliseconds instead of httpx.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import AsyncStability as AsyncStability
    from ._client import Stability as Stability
    from ._constants import DEFAULT_ENGINE as DEFAULT_ENGINE
    from ._constants import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from ._exceptions import APIConnectionError as APIConnectionError
    from ._exceptions import APIStatusError as APIStatusError
    from ._exceptions import APITimeoutError as APITimeoutError
    from ._exceptions import AuthenticationError as AuthenticationError
    from ._exceptions import BadRequestError as BadRequestError
    from ._exceptions import InternalServerError as InternalServerError
    from ._exceptions import InvalidRequestError as InvalidRequestError
    from ._exceptions import MalformedResponseError as MalformedResponseError
    from ._exceptions import NotFoundError as NotFoundError
    from ._exceptions import PermissionDeniedError as PermissionDeniedError
    from ._exceptions import RateLimitError as RateLimitError
    from ._exceptions import StabilityError as StabilityError
    from ._models import ClipGuidancePreset as ClipGuidancePreset
    from ._models import FinishReason as FinishReason
    from ._models import GeneratedImage as GeneratedImage
    from ._models import Generation as Generation
    from ._models import MaskSource as MaskSource
    from ._models import Prompt as Prompt
    from ._models import Sampler as Sampler
    from ._version import __version__ as __version__


def _public_names() -> dict[str, str]:
    """Each public name and its module, read from the ``TYPE_CHECKING`` block above."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    (block,) = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    return {
        alias.asname or alias.name: f".{node.module}"
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


_HOMES = _public_names()
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
