"""Turning validated arguments into HTTP requests, through the generated layer.

The generated package owns the wire format: paths, header names, field names
and the multipart layout all come from its ``_get_kwargs`` and models, so a
regeneration from a changed spec flows through here untouched. This module
only finishes the job: it leaves out every field the caller did not set,
serialises the body once (so a retry re-sends the very same bytes) and
replaces the generator's fixed multipart boundary with one that does not occur
in the payload.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any

from ._binding import binding
from ._exceptions import InvalidRequestError
from ._models import Prompt
from ._validation import Rule, Upload

if TYPE_CHECKING:
    import httpx

__all__ = ["PreparedRequest", "RequestSettings", "parsed_url", "prepare"]

ACCEPT_PNG = "image/png"
ACCEPT_JSON = "application/json"
# What json.dumps(..., separators=(",", ":"), allow_nan=False) builds on every
# call, built once: the same bytes without an encoder per request.
_JSON_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
_BOUNDARY = secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """What every request of a client carries besides the call's own arguments."""

    # Kept out of repr: a traceback that shows locals must not show the key.
    api_key: str = field(repr=False)
    base_url: str
    organization: str | None
    user_agent: str


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request ready to send as many times as retries need."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes
    accept: str
    samples: int
    requested_seed: int | None

    def describe(self) -> str:
        """``METHOD URL`` for log lines and messages (never headers)."""
        return f"{self.method} {self.url}"

    def __repr__(self) -> str:
        # Never the headers (the API key) nor the body (images).
        return (
            f"PreparedRequest({self.describe()}, accept={self.accept!r}, {len(self.content)} bytes)"
        )


def prepare(
    operation: str,
    settings: RequestSettings,
    prompts: tuple[Prompt, ...],
    checked: Mapping[str, Any],
    rules: Mapping[str, Rule],
) -> PreparedRequest:
    """Build the request for ``operation`` (text_to_image, image_to_image, masking).

    ``checked`` holds every parameter after its rule (see ``_parameters``);
    each goes where its rule places it: the options model, the URL path or a
    file part. ``None`` values are left out.
    """
    op = binding(operation)
    samples = checked["samples"]
    # The API answers several samples only as JSON; one is cheaper as raw PNG.
    accept = ACCEPT_PNG if samples == 1 else ACCEPT_JSON
    values: dict[str, Any] = {
        "text_prompts": [{"text": p.text, "weight": p.weight} for p in prompts],
    }
    files: dict[str, Any] = {}
    path: dict[str, Any] = {}
    for name, value in checked.items():
        placement = rules[name].placement if name in rules else "file"
        if placement == "option":
            values[name] = value
        elif placement == "path":
            path[name] = value
        elif placement == "file" and isinstance(value, Upload):
            files[name] = op.file_cls(BytesIO(value.data), f"{name}.png", ACCEPT_PNG)
    options = op.options(values)
    body = (
        options
        if op.body_cls is op.options_cls
        else op.build(op.body_cls, {"options": options, **files})
    )
    (engine,) = path.values()
    kwargs = op.get_kwargs(
        engine_id=engine,
        body=body,
        accept=op.accept(accept),
        organization=settings.organization if settings.organization is not None else op.unset,
    )
    return _finish(kwargs, settings, accept, samples, checked.get("seed"))


@functools.lru_cache(maxsize=256)
def parsed_url(url: str) -> httpx.URL:
    """``url`` parsed, once per distinct URL (a client sends to a handful).

    ``build_request`` takes a parsed URL as it is, where a string costs it a
    parse and a merge with the client's base: about 30 us of a call that
    ``make bench`` times at under a millisecond against a local server.
    """
    import httpx

    return httpx.URL(url)


def _finish(
    kwargs: dict[str, Any],
    settings: RequestSettings,
    accept: str,
    samples: int,
    requested_seed: int | None,
) -> PreparedRequest:
    headers = {str(k): str(v) for k, v in kwargs.get("headers", {}).items()}
    headers["Authorization"] = settings.api_key
    headers["User-Agent"] = settings.user_agent
    # Compression is not asked for (PNGs do not shrink); an answer that comes
    # compressed anyway is decoded within the response limit.
    headers["Accept-Encoding"] = "identity"
    if "json" in kwargs:
        content = _JSON_ENCODER.encode(kwargs["json"]).encode()
        headers["Content-Type"] = "application/json"
    elif "files" in kwargs:
        content, headers["Content-Type"] = _encode_multipart(kwargs["files"])
    else:  # pragma: no cover - the spec has a body on every operation
        raise InvalidRequestError("body", None, "the operation has no request body")
    return PreparedRequest(
        method=str(kwargs["method"]).upper(),
        url=settings.base_url + str(kwargs["url"]),
        headers=headers,
        content=content,
        accept=accept,
        samples=samples,
        requested_seed=requested_seed,
    )


def _encode_multipart(files: list[tuple[str, Any]]) -> tuple[bytes, str]:
    """Encode the generated parts with a boundary absent from every payload.

    The generator fixes the boundary to ``+++``; an uploaded image containing
    ``\\r\\n--+++`` would end its part early and could smuggle in form fields
    of its own. A random boundary checked against the bytes rules that out.
    It is drawn once per process and drawn again only for payloads that
    contain it.
    """
    import httpx

    payloads = [_part_bytes(value) for _, value in files]
    parts = [
        (name, (value[0], data, *value[2:]))
        for (name, value), data in zip(files, payloads, strict=True)
    ]
    boundary = _BOUNDARY
    while any(b"--" + boundary.encode() in data for data in payloads):
        boundary = secrets.token_hex(16)
    content_type = f"multipart/form-data; boundary={boundary}"
    request = httpx.Request(
        "POST", "http://multipart.invalid/", files=parts, headers={"Content-Type": content_type}
    )
    return request.read(), content_type


def _part_bytes(value: tuple[Any, ...]) -> bytes:
    payload = value[1]
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    data = payload.read()
    return data if isinstance(data, bytes) else bytes(data)
