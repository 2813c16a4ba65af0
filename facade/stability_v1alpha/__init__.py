"""Python client for the Stability.ai v1alpha image generation API.

>>> from stability_v1alpha import Stability
>>> with Stability() as client:                      # key from $STABILITY_API_KEY
...     client.text_to_image("a lighthouse at dawn").image.save("lighthouse.png")

Everything public is exported here, each name once; modules starting with
``_`` are private. The low-level generated package (``stability_v1alpha_api``)
is an implementation detail: no public name here exposes its types, and it is
imported only when the first request is built.
"""

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

# Derived from the imports above: every public name, and only those.
__all__ = [*sorted(name for name in dict(globals()) if not name.startswith("_")), "__version__"]
