"""Type aliases of the public signatures (aliases only, no values)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, TypeAlias, Union

import httpx

from ._models import Prompt

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

OnePrompt: TypeAlias = str | Prompt | tuple[str, float]
PromptInput: TypeAlias = OnePrompt | Sequence[OnePrompt]
ImageInput: TypeAlias = Union[
    str, os.PathLike[str], bytes, bytearray, memoryview, IO[bytes], "PILImage"
]
TimeoutInput: TypeAlias = float | httpx.Timeout | None
