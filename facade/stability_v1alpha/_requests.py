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

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from ._exceptions import InvalidRequestError
from ._validation import Params, Upload, check_enum

__all__ = ["PreparedRequest", "RequestSettings", "prepare"]

ACCEPT_PNG = "image/png"
ACCEPT_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """What every request of a client carries besides the call's own arguments."""

    api_key: str
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
    requested_seed: int | None

    def describe(self) -> str:
        """``METHOD URL`` for log lines and messages (never headers)."""
        return f"{self.method} {self.url}"


def prepare(
    operation: str,
    settings: RequestSettings,
    engine: str,
    params: Params,
    *,
    init: Upload | None = None,
    mask: Upload | None = None,
    extra: Mapping[str, Any] | None = None,
) -> PreparedRequest:
    """Build the request for ``operation`` (text_to_image, image_to_image, masking)."""
    from stability_v1alpha_api import models
    from stability_v1alpha_api.api.v1alphageneration import (
        image_to_image,
        masking,
        text_to_image,
    )
    from stability_v1alpha_api.types import UNSET, File

    accept = ACCEPT_PNG if params.samples == 1 else ACCEPT_JSON
    fields = _model_fields(params, models, UNSET)
    for name, value in (extra or {}).items():
        fields[name] = UNSET if value is None else value
    organization = settings.organization if settings.organization is not None else UNSET
    get_kwargs: Callable[..., dict[str, Any]]

    if operation == "text_to_image":
        body: Any = models.TextToImageRequestBody(**fields)
        get_kwargs = text_to_image._get_kwargs
    elif operation == "image_to_image":
        assert init is not None
        body = models.ImageToImageRequestBody(
            init_image=File(BytesIO(init.data), "init_image.png", ACCEPT_PNG),
            options=models.ImageToImageOptions(**fields),
        )
        get_kwargs = image_to_image._get_kwargs
    elif operation == "masking":
        assert init is not None
        fields["mask_source"] = _enum(models.MaskSource, "mask_source", fields["mask_source"])
        body = models.MaskingRequestBody(
            init_image=File(BytesIO(init.data), "init_image.png", ACCEPT_PNG),
            options=models.MaskingOptions(**fields),
            mask_image=(File(BytesIO(mask.data), "mask_image.png", ACCEPT_PNG) if mask else UNSET),
        )
        get_kwargs = masking._get_kwargs
    else:  # pragma: no cover - programming error
        raise ValueError(f"unknown operation {operation!r}")

    kwargs = get_kwargs(
        engine_id=engine,
        body=body,
        accept=models.Accept(accept),
        organization=organization,
    )
    return _finish(kwargs, settings, accept, params.seed)


def _model_fields(params: Params, models: Any, unset: Any) -> dict[str, Any]:
    """Keyword arguments for a generated options model.

    Every field the caller left as ``None`` is passed as the generator's UNSET:
    the generated models would otherwise send the spec's defaults on the
    caller's behalf.
    """
    values: dict[str, Any] = {
        "text_prompts": [models.TextPrompt(text=p.text, weight=p.weight) for p in params.prompts],
        "samples": params.samples,
        "width": params.width,
        "height": params.height,
        "cfg_scale": params.cfg_scale,
        "steps": params.steps,
        "seed": params.seed,
        "sampler": _enum(models.Sampler, "sampler", params.sampler),
        "clip_guidance_preset": _enum(
            models.ClipGuidancePreset, "clip_guidance_preset", params.clip_guidance_preset
        ),
    }
    return {name: unset if value is None else value for name, value in values.items()}


def _enum(enum_cls: Any, name: str, value: str | None) -> Any:
    """Convert to the generated enum, rejecting values the spec does not list."""
    if value is None:
        return None
    check_enum(name, value, [member.value for member in enum_cls])
    return enum_cls(value)


def _finish(
    kwargs: dict[str, Any], settings: RequestSettings, accept: str, seed: int | None
) -> PreparedRequest:
    headers = {str(k): str(v) for k, v in kwargs.get("headers", {}).items()}
    headers["Authorization"] = settings.api_key
    headers["User-Agent"] = settings.user_agent
    if "json" in kwargs:
        content = json.dumps(kwargs["json"], separators=(",", ":"), allow_nan=False).encode()
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
        requested_seed=seed,
    )


def _encode_multipart(files: list[tuple[str, Any]]) -> tuple[bytes, str]:
    """Encode the generated parts with a boundary absent from every payload.

    The generator fixes the boundary to ``+++``; an uploaded image containing
    ``\\r\\n--+++`` would end its part early and could smuggle in form fields
    of its own. A random boundary checked against the bytes rules that out.
    """
    import httpx

    payloads = [_part_bytes(value) for _, value in files]
    parts = [
        (name, (value[0], data, *value[2:]))
        for (name, value), data in zip(files, payloads, strict=True)
    ]
    while True:
        boundary = secrets.token_hex(16)
        marker = b"--" + boundary.encode()
        if not any(marker in data for data in payloads):
            break
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
