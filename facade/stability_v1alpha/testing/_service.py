"""What the fake service decides: routing, auth, validation, the service's rules, images.

This module knows nothing about sockets. :meth:`FakeService.inspect` judges
a request and either returns the error the real service would send or a
:class:`Plan`; :meth:`FakeService.render` turns a plan into the 200 answer.
The split lets the HTTP layer skip image generation when an injected fault
replaces the answer, while validation still runs and is recorded.

Order of checks: route (404), method (405), API key (401), rate limit (429),
spec (400), engine (404), then the rules the spec cannot express (400).
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from stability_v1alpha._png import PNGFormatError, PNGInfo, read_png_info

from . import _images
from ._answers import Answer, Artifact, goa_error, success_answer
from ._defaults import (
    DEFAULT_ENGINES,
    DEFAULT_FILTERED_WORDS,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_STEP_SCHEDULE_START,
    MAX_PIXELS,
)
from ._multipart import MultipartError, MultipartPart, parse_multipart
from ._ratelimit import FixedWindowLimit
from ._records import HeaderMap
from ._spec_validator import SchemaIssue, SpecValidator, ValidationInput, get_validator
from ._strict_json import decode_json

__all__ = [
    "FakeService",
    "IncomingRequest",
    "Inspection",
    "Plan",
    "ServiceConfig",
]

# Not a service rule: keeps a hostile PNG header from making the fake allocate gigabytes.
_MAX_UPLOAD_SIDE = 4096
_MAX_SEED = 2_147_483_647

_ROUTES = (
    (re.compile(r"/v1alpha/generation/(?P<engine>[^/]+)/text-to-image"), "textToImage"),
    (re.compile(r"/v1alpha/generation/(?P<engine>[^/]+)/image-to-image"), "imageToImage"),
    (re.compile(r"/v1alpha/generation/(?P<engine>[^/]+)/image-to-image/masking"), "masking"),
)
_IMAGE_PARTS = ("init_image", "mask_image")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Settings of one fake server (see ``FakeStabilityServer`` for their meaning)."""

    api_key: str
    any_key: bool
    engines: frozenset[str] = DEFAULT_ENGINES
    filtered_words: frozenset[str] = DEFAULT_FILTERED_WORDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    error_content_type: str = "application/json"
    rate_limit: tuple[int, float] | None = None


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A request as read off the socket."""

    method: str
    target: str
    headers: HeaderMap
    body: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """A valid generation request, ready to render."""

    operation: str
    accept: str
    params: Mapping[str, Any]
    init_image: bytes | None = None
    mask_image: bytes | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    """The verdict on one request: an error answer, or a plan to render."""

    path: str
    query: str
    operation: str | None = None
    engine_id: str | None = None
    json: Any = None
    parts: Mapping[str, MultipartPart] = field(default_factory=dict)
    validation_errors: tuple[str, ...] = ()
    answer: Answer | None = None
    plan: Plan | None = None


def _schema_reason(issues: Sequence[SchemaIssue]) -> str | None:
    """The service's reason code for a set of schema violations, if it has one."""
    fields = {issue.field for issue in issues}
    if "samples" in fields:
        return "invalid_samples"
    if fields & {"height", "width"}:
        return "invalid_height_or_width"
    return None


def _prompt_key(params: Mapping[str, Any]) -> _images.PromptKey:
    return tuple(
        (str(p.get("text", "")), float(p.get("weight", 1.0)))
        for p in params.get("text_prompts", [])
    )


def _artifact_seeds(params: Mapping[str, Any]) -> list[int]:
    """Seed of each sample: the given one (or a random one) and its successors, wrapping."""
    seed = int(params.get("seed") or 0) or secrets.randbelow(_MAX_SEED) + 1
    count = int(params.get("samples", 1))
    return [(seed - 1 + i) % _MAX_SEED + 1 for i in range(count)]


class FakeService:
    """The behaviour of the v1alpha generation endpoints, minus the HTTP."""

    def __init__(self, config: ServiceConfig, spec: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.limit = None if config.rate_limit is None else FixedWindowLimit(*config.rate_limit)
        self._validator = get_validator() if spec is None else SpecValidator(spec)
        self._filtered = [
            re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
            for word in sorted(config.filtered_words)
            if word
        ]

    # ------------------------------------------------------------------ judging

    def inspect(self, request: IncomingRequest) -> Inspection:
        """Route, authenticate and validate ``request``; see the module docstring for the order."""
        url = urlsplit(request.target)
        route = self._route(url.path)
        if route is None:
            answer = self._error(404, f"no such resource: {url.path}", "not_found")
            return Inspection(url.path, url.query, answer=answer)
        operation, engine_id = route
        base = Inspection(url.path, url.query, operation, engine_id)
        if request.method != "POST":
            answer = self._error(
                405, f"{request.method} is not allowed here; use POST", "method_not_allowed"
            )
            allow = Answer(answer.status, [*answer.headers, ("Allow", "POST")], answer.body)
            return replace(base, answer=allow)

        body_json, parts, issues = self._read_and_validate(request, operation, url.path)
        params = self._params(operation, body_json, parts)
        accept = request.headers.get("Accept", "")
        rule = None if issues else self._rule_violation(operation, accept, params, parts)
        errors = tuple(str(i) for i in issues) or ((rule,) if rule else ())
        base = replace(base, json=body_json, parts=parts, validation_errors=errors)

        refusal = self._refusal(request.headers, engine_id, issues, rule)
        if refusal is not None:
            return replace(base, answer=refusal)
        plan = Plan(
            operation,
            accept,
            params,
            parts["init_image"].data if "init_image" in parts else None,
            parts["mask_image"].data if "mask_image" in parts else None,
        )
        return replace(base, plan=plan)

    def _read_and_validate(
        self, request: IncomingRequest, operation: str, path: str
    ) -> tuple[Any, dict[str, MultipartPart], list[SchemaIssue]]:
        """Parse the body (JSON or multipart) and check the request against the spec."""
        content_type = request.headers.get("Content-Type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        body_json: Any = None
        parts_list: list[MultipartPart] | None = None
        if media_type.startswith("multipart/"):
            try:
                parts_list = parse_multipart(request.body, content_type)
            except MultipartError as exc:
                return None, {}, [SchemaIssue("body", str(exc))]
        elif media_type == "application/json":
            try:
                body_json = decode_json(request.body)
            except ValueError:
                body_json = None  # the validator reports it
        parts: dict[str, MultipartPart] = {}
        for part in parts_list or ():
            parts.setdefault(part.name, part)
        issues = self._validator.validate(
            ValidationInput(
                operation=operation,
                method=request.method,
                path=path,
                headers=request.headers.raw_items(),
                content_type=content_type,
                body=request.body,
                parts=parts_list,
            )
        )
        return body_json, parts, issues

    def _refusal(
        self,
        headers: HeaderMap,
        engine_id: str,
        issues: Sequence[SchemaIssue],
        rule: str | None,
    ) -> Answer | None:
        """The error answer, in the service's order of checks, or None to generate."""
        auth_problem = self._auth_problem(headers)
        if auth_problem is not None:
            return self._error(401, auth_problem, "unauthorized")
        if self.limit is not None:
            wait = self.limit.admit(headers["Authorization"].strip())
            if wait is not None:
                return self._rate_limited(wait)
        if issues:
            reason = _schema_reason(issues)
            detail = "; ".join(str(i) for i in issues)
            message = f"{reason}: {detail}" if reason else f"invalid request: {detail}"
            return self._error(400, message, "bad_request")
        if engine_id not in self.config.engines:
            return self._error(404, f"engine {engine_id!r} not found", "not_found")
        if rule is not None:
            return self._error(400, rule, "bad_request")
        return None

    def _route(self, path: str) -> tuple[str, str] | None:
        for pattern, operation in _ROUTES:
            match = pattern.fullmatch(path)
            if match:
                return operation, unquote(match.group("engine"))
        return None

    def _rate_limited(self, wait: float) -> Answer:
        """429 ``rate_limited``, with the seconds left in the window as ``Retry-After``."""
        assert self.limit is not None
        seconds = max(math.ceil(wait), 1)
        return goa_error(
            429,
            f"rate limit of {self.limit.requests} requests per {self.limit.seconds:g} s "
            f"exceeded; retry in {seconds} s",
            name="rate_limited",
            content_type=self.config.error_content_type,
            temporary=True,
            headers=[("Retry-After", str(seconds))],
        )

    def _error(self, status: int, message: str, name: str) -> Answer:
        return goa_error(status, message, name=name, content_type=self.config.error_content_type)

    def _auth_problem(self, headers: HeaderMap) -> str | None:
        """Why the Authorization header is refused, never quoting the key."""
        values = headers.get_all("Authorization")
        if not values or not values[0].strip():
            return "missing API key: send it in the Authorization header"
        key = values[0].strip()
        if len(values) > 1:
            return "invalid API key"
        if key.lower().startswith("bearer "):
            return "invalid API key: send the key itself, without a 'Bearer' prefix"
        if self.config.any_key:
            return None
        if not hmac.compare_digest(key.encode("utf-8"), self.config.api_key.encode("utf-8")):
            return "invalid API key"
        return None

    @staticmethod
    def _params(
        operation: str, body_json: Any, parts: Mapping[str, MultipartPart]
    ) -> Mapping[str, Any]:
        if operation == "textToImage":
            return body_json if isinstance(body_json, dict) else {}
        part = parts.get("options")
        if part is None:
            return {}
        try:
            options = decode_json(part.data)
        except ValueError:
            return {}
        return options if isinstance(options, dict) else {}

    def _rule_violation(
        self,
        operation: str,
        accept: str,
        params: Mapping[str, Any],
        parts: Mapping[str, MultipartPart],
    ) -> str | None:
        """The service's rules the spec cannot express; the message starts with the reason."""
        images = {name: parts[name].data for name in _IMAGE_PARTS if name in parts}
        limit = self.config.max_upload_bytes
        for name, data in images.items():
            if len(data) > limit:
                return f"invalid_file_size: {name} is {len(data)} bytes, over the limit of {limit}"
        infos: dict[str, PNGInfo] = {}
        for name, data in images.items():
            try:
                infos[name] = read_png_info(data)
            except PNGFormatError as exc:
                return f"invalid_mime_type: {name} must be a PNG image ({exc})"
            info = infos[name]
            if max(info.width, info.height) > _MAX_UPLOAD_SIDE:
                return (
                    f"invalid_image_dimensions: {name} is {info.width}x{info.height}; "
                    f"the fake server takes at most {_MAX_UPLOAD_SIDE} pixels a side"
                )
        if operation == "masking":
            source = params.get("mask_source")
            if source in ("MASK_IMAGE_WHITE", "MASK_IMAGE_BLACK") and "mask_image" not in images:
                return f"invalid_mask_image: mask_source {source} needs a mask_image"
            init, mask = infos.get("init_image"), infos.get("mask_image")
            if (
                init is not None
                and mask is not None
                and (init.width, init.height)
                != (
                    mask.width,
                    mask.height,
                )
            ):
                return (
                    f"invalid_image_dimensions: mask_image is {mask.width}x{mask.height} "
                    f"but init_image is {init.width}x{init.height}"
                )
        if int(params.get("samples", 1)) > 1 and accept != "application/json":
            return "invalid_samples: samples > 1 requires Accept: application/json"
        height, width = int(params.get("height", 512)), int(params.get("width", 512))
        if height * width > MAX_PIXELS:
            return (
                f"invalid_height_or_width: height * width is {height * width}, "
                f"more than {MAX_PIXELS} pixels"
            )
        texts = [str(p.get("text", "")) for p in params.get("text_prompts", [])]
        if any(pattern.search(text) for pattern in self._filtered for text in texts):
            return "invalid_prompts: one or more prompts contain filtered words"
        return None

    # ------------------------------------------------------------------ rendering

    def render(self, plan: Plan, *, content_filtered: bool = False) -> Answer:
        """The 200 answer for ``plan`` (one image for ``image/png``, else all samples)."""
        seeds = _artifact_seeds(plan.params)
        if plan.accept == "image/png":
            seeds = seeds[:1]
        key = _prompt_key(plan.params)
        reason = "CONTENT_FILTERED" if content_filtered else "SUCCESS"
        artifacts = [
            Artifact(self._image(plan, seed, key, content_filtered), seed, reason) for seed in seeds
        ]
        return success_answer(artifacts, plan.accept)

    def _image(
        self, plan: Plan, seed: int, key: _images.PromptKey, content_filtered: bool
    ) -> bytes:
        params = plan.params
        if plan.init_image is None:
            width, height = int(params.get("width", 512)), int(params.get("height", 512))
            if content_filtered:
                return _images.flat_png(width, height, seed)
            return _images.generate_png(width, height, seed, key)
        # Image-to-image and masking answer in the init image's size, as the service did.
        info = read_png_info(plan.init_image)
        if content_filtered:
            return _images.flat_png(info.width, info.height, seed)
        try:
            init = _images.decode_png(plan.init_image)
        except (PNGFormatError, _images.UnsupportedPNGError):
            return _images.generate_png(info.width, info.height, seed, key)
        if plan.operation == "imageToImage":
            start = float(params.get("step_schedule_start", DEFAULT_STEP_SCHEDULE_START))
            return _images.derive_image_to_image(init, seed, key, start)
        regenerate = self._regenerate_mask(plan, init)
        return _images.derive_masking(init, regenerate, seed, key)

    @staticmethod
    def _regenerate_mask(plan: Plan, init: _images.Raster) -> bytes:
        source = plan.params.get("mask_source")
        if source == "INIT_IMAGE_ALPHA" or plan.mask_image is None:
            return _images.mask_from_alpha(init)
        try:
            mask = _images.decode_png(plan.mask_image)
        except (PNGFormatError, _images.UnsupportedPNGError):
            return b"\xff" * (init.width * init.height)
        return _images.mask_from_image(mask, white=source == "MASK_IMAGE_WHITE")
