"""Checking requests against ``openapi.yaml``: openapi-core first, jsonschema as a net.

The fake server's value is that it rejects what the real service would
reject, so the rules come from the spec file shipped inside the package, not
from hand-written checks. Parsing the spec and building the openapi-core
object costs ~0.1 s, so both are done once per process (:func:`get_validator`)
and shared by every server and thread; openapi-core calls are serialised with
a lock because its lazily-filled caches are not documented as thread-safe.

Where openapi-core cannot read a request, the same schemas are applied with
plain jsonschema (see :meth:`SpecValidator._fallback`). That happens when:

* openapi-core raises instead of reporting, e.g. for a multipart boundary
  containing ``=`` (its Content-Type parameter parser splits on every ``=``);
* the installed openapi-core does not decode the JSON ``options`` part of a
  multipart body through the spec's ``encoding`` (versions before 0.23 did
  not; a probe at start-up finds out, :func:`_decodes_json_parts`).

The multipart body itself is always parsed by our strict byte-exact parser
(``_multipart``), also inside openapi-core, which is given it as the
``multipart/form-data`` deserializer.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

try:
    from openapi_core import Config, OpenAPI
    from openapi_core.datatypes import RequestParameters
    from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
    from openapi_core.validation.request.exceptions import (
        MissingParameterError,
        MissingRequiredRequestBody,
        ParameterValidationError,
        RequestBodyValidationError,
        SecurityValidationError,
    )
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
    from werkzeug.datastructures import Headers, ImmutableMultiDict
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "stability_v1alpha.testing needs the 'testing' extra: "
        "pip install 'stability-v1alpha[testing]'"
    ) from exc

import jsonschema  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from ._multipart import MultipartError, MultipartPart, parse_multipart
from ._strict_json import InvalidJSON, decode_json

__all__ = [
    "SchemaIssue",
    "SpecValidator",
    "ValidationInput",
    "get_validator",
    "load_spec",
]

# openapi-core matches requests against the spec's `servers`; the fake
# presents every request as if it had reached production.
_SPEC_HOST_URL = "https://api.stability.ai"
_SPEC_URI = "urn:stability-v1alpha:openapi.yaml"
_MAX_MESSAGE = 300
# Recent request verdicts kept (see SpecValidator.validate).
_VERDICT_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One way a request breaks the spec.

    ``where`` locates it for people ("options.height", "header Accept",
    "body"); ``field`` is the generation parameter concerned, if any, so that
    the server can pick the service's reason code (``invalid_height_or_width``
    for a ``height`` problem).
    """

    where: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ValidationInput:
    """What validation needs to know about one HTTP request."""

    operation: str
    method: str
    path: str
    headers: Sequence[tuple[str, str]]
    content_type: str
    body: bytes
    # The parts, when the server could parse a multipart body.
    parts: Sequence[MultipartPart] | None = None


@functools.cache
def load_spec() -> Mapping[str, Any]:
    """The spec shipped with the package (a real file in wheels, a symlink in a checkout)."""
    text = (
        importlib.resources.files("stability_v1alpha").joinpath("openapi.yaml").read_text("utf-8")
    )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(text, Loader=loader)
    if not isinstance(spec, dict):
        raise RuntimeError("openapi.yaml does not hold an OpenAPI document")
    return spec


@functools.cache
def get_validator() -> SpecValidator:
    """The process-wide validator, built on first use."""
    return SpecValidator(load_spec())


def _multipart_loads(value: bytes, **parameters: str) -> ImmutableMultiDict[str, bytes]:
    """openapi-core media type deserializer backed by our strict multipart parser.

    openapi-core then decodes each part by the spec's ``encoding`` (the
    ``options`` part as JSON) and validates the result against the schema.
    """
    boundary = parameters.get("boundary", "").replace("\\", "\\\\").replace('"', '\\"')
    try:
        parts = parse_multipart(value, f'multipart/form-data; boundary="{boundary}"')
    except MultipartError as exc:
        raise ValueError(str(exc)) from None
    return ImmutableMultiDict([(p.name, p.data) for p in parts])


class _OpenAPIRequest:
    """The request protocol openapi-core reads (``openapi_core.protocols.Request``)."""

    def __init__(self, data: ValidationInput) -> None:
        self.host_url = _SPEC_HOST_URL
        self.path = data.path
        self.method = data.method.lower()
        self.content_type = data.content_type
        self.body: bytes | None = data.body
        self.parameters = RequestParameters(header=Headers(list(data.headers)))


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _where(path: Iterable[object]) -> tuple[str, str | None]:
    """Dotted location of a jsonschema error, and the generation field it concerns.

    ``["options", "text_prompts", 0, "text"]`` gives ``options.text_prompts[0].text``
    and the field ``text_prompts``; an empty path is the body as a whole.
    """
    steps = list(path)
    where = ""
    for step in steps:
        where += f"[{step}]" if isinstance(step, int) else (f".{step}" if where else str(step))
    names = [str(s) for s in steps if not isinstance(s, int)]
    if names[:1] == ["options"]:
        names = names[1:]
    return where or "body", names[0] if names else None


def _error_text(error: Exception) -> str:
    """A jsonschema error's message (never the whole instance), clipped."""
    return _clip(str(getattr(error, "message", error)))


def _schema_issues(errors: Iterable[Any]) -> list[SchemaIssue]:
    """Turn jsonschema ``ValidationError`` objects into issues (never echoing big values)."""
    issues = []
    for error in errors:
        where, field = _where(getattr(error, "absolute_path", ()))
        issues.append(SchemaIssue(where, _error_text(error), field))
    return issues


def _placeholder(part: MultipartPart) -> str:
    return f"<{len(part.data)} bytes>"


class SpecValidator:
    """Validates requests against the spec with openapi-core, falling back to jsonschema."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        config = Config(extra_media_type_deserializers={"multipart/form-data": _multipart_loads})
        self._openapi = OpenAPI.from_dict(dict(spec), config=config)
        self._lock = threading.Lock()
        self._verdicts: OrderedDict[tuple[object, ...], tuple[SchemaIssue, ...]] = OrderedDict()
        registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(dict(spec), default_specification=DRAFT4)
        )
        operations = _operations(spec)

        def schema_validator(ref: str) -> Any:
            return jsonschema.Draft4Validator({"$ref": f"{_SPEC_URI}#{ref}"}, registry=registry)

        self._body_validators = {
            op: schema_validator(ref) for op, ref in operations.items() if ref is not None
        }
        self._accept_validator = schema_validator("/components/schemas/Accept")
        self.openapi_core_reads_json_parts = _decodes_json_parts(self._openapi)

    # ------------------------------------------------------------------ public

    def validate(self, data: ValidationInput) -> list[SchemaIssue]:
        """Every way ``data`` breaks the spec (empty when it conforms).

        Verdicts are remembered for recent identical requests: openapi-core
        costs milliseconds of CPU per request under one lock, which would make
        the fake, not the client, the bottleneck of load tests that repeat a
        request. The key covers everything validation reads.
        """
        key = (
            data.operation,
            data.method,
            data.path,
            tuple(data.headers),
            data.content_type,
            hashlib.blake2b(data.body, digest_size=16).digest(),
        )
        with self._lock:
            cached = self._verdicts.get(key)
            if cached is not None:
                self._verdicts.move_to_end(key)
                return list(cached)
        issues = self._validate(data)
        with self._lock:
            self._verdicts[key] = tuple(issues)
            while len(self._verdicts) > _VERDICT_CACHE_SIZE:
                self._verdicts.popitem(last=False)
        return issues

    def _validate(self, data: ValidationInput) -> list[SchemaIssue]:
        not_json = _json_problem(data)
        if not_json is not None:
            return [not_json]
        multipart = data.parts is not None
        if multipart and not self.openapi_core_reads_json_parts:
            return self._fallback(data)
        try:
            with self._lock:
                result = self._openapi.unmarshal_request(_OpenAPIRequest(data))
        except Exception:  # openapi-core could not read it: check it ourselves
            return self._fallback(data)
        issues: list[SchemaIssue] = []
        for error in result.errors:
            issues.extend(self._describe(error, multipart))
        return issues

    # ------------------------------------------------------------------ openapi-core errors

    def _describe(self, error: Exception, multipart: bool) -> list[SchemaIssue]:
        cause = error.__cause__
        if isinstance(error, SecurityValidationError):
            return [SchemaIssue("header Authorization", "no API key")]
        if isinstance(error, ParameterValidationError):
            where = f"{error.location} {error.name}"
            if isinstance(cause, InvalidSchemaValue):
                return [SchemaIssue(where, _error_text(e)) for e in cause.schema_errors]
            problem = "missing" if isinstance(error, MissingParameterError) else "invalid"
            return [SchemaIssue(where, problem)]
        if isinstance(error, MissingRequiredRequestBody):
            return [SchemaIssue("body", "a request body is required")]
        if isinstance(error, RequestBodyValidationError):
            if isinstance(cause, InvalidSchemaValue):
                return _schema_issues(cause.schema_errors)
            if isinstance(cause, MediaTypeNotFound):
                return [SchemaIssue("header Content-Type", _clip(str(cause)))]
            if isinstance(cause, MediaTypeDeserializeError):
                if multipart and cause.mimetype == "application/json":
                    return [SchemaIssue("options", "the options part is not valid JSON")]
                return [SchemaIssue("body", f"could not be read as {cause.mimetype}")]
        return [SchemaIssue("request", _clip(type(error).__name__))]

    # ------------------------------------------------------------------ jsonschema fallback

    def _fallback(self, data: ValidationInput) -> list[SchemaIssue]:
        """Apply the spec's own schemas with jsonschema, for what openapi-core cannot read.

        Covers the ``Accept`` header and the body: the JSON body as sent, or a
        multipart body as ``{part name: value}`` with the ``options`` part
        decoded as JSON and binary parts as placeholder strings.
        """
        issues: list[SchemaIssue] = []
        accept = [v for k, v in data.headers if k.lower() == "accept"]
        if not accept:
            issues.append(SchemaIssue("header Accept", "missing"))
        else:
            for e in self._accept_validator.iter_errors(accept[0]):
                issues.append(SchemaIssue("header Accept", _error_text(e)))
        validator = self._body_validators.get(data.operation)
        if validator is None:
            return issues
        if data.parts is None:
            try:
                instance: Any = decode_json(data.body)
            except ValueError:
                return [*issues, SchemaIssue("body", "could not be read as application/json")]
        else:
            instance = {}
            for part in data.parts:
                if part.name in instance:
                    continue
                if part.name == "options":
                    try:
                        instance["options"] = decode_json(part.data)
                    except ValueError:
                        return [
                            *issues,
                            SchemaIssue("options", "the options part is not valid JSON"),
                        ]
                else:
                    instance[part.name] = _placeholder(part)
        issues.extend(_schema_issues(validator.iter_errors(instance)))
        return issues


def _json_problem(data: ValidationInput) -> SchemaIssue | None:
    """Why the request's JSON (the body, or the multipart ``options`` part) is not strict JSON.

    Checked before anything else reads it: openapi-core and the fallback
    would take ``NaN`` and fail on deep nesting.
    """
    if data.parts is None:
        if data.content_type.split(";", 1)[0].strip().lower() != "application/json":
            return None
        where, raw = "body", data.body
    else:
        options = next((p for p in data.parts if p.name == "options"), None)
        if options is None:
            return None
        where, raw = "options", options.data
    try:
        decode_json(raw)
    except InvalidJSON as exc:
        return SchemaIssue(where, f"not valid JSON: {_clip(str(exc))}")
    return None


def _operations(spec: Mapping[str, Any]) -> dict[str, str | None]:
    """operationId -> JSON pointer of its request body schema."""
    found: dict[str, str | None] = {}
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            ref = None
            for media in content.values():
                ref = media.get("schema", {}).get("$ref", "").lstrip("#") or None
            found[str(operation["operationId"])] = ref
    return found


def _decodes_json_parts(openapi: OpenAPI) -> bool:
    """Probe: does this openapi-core validate the JSON ``options`` part of a multipart body?

    Sends it an image-to-image request whose options break a bound
    (``steps: 1``) and checks that the break is reported.
    """
    boundary = "probe"
    body = (
        b'--probe\r\nContent-Disposition: form-data; name="init_image"\r\n'
        b"Content-Type: image/png\r\n\r\nx\r\n"
        b'--probe\r\nContent-Disposition: form-data; name="options"\r\n'
        b"Content-Type: application/json\r\n\r\n"
        b'{"text_prompts": [{"text": "probe"}], "steps": 1}\r\n--probe--\r\n'
    )
    probe = ValidationInput(
        operation="imageToImage",
        method="POST",
        path="/v1alpha/generation/probe/image-to-image",
        headers=[("Authorization", "probe"), ("Accept", "image/png")],
        content_type=f"multipart/form-data; boundary={boundary}",
        body=body,
    )
    try:
        result = openapi.unmarshal_request(_OpenAPIRequest(probe))
    except Exception:
        return False
    for error in result.errors:
        cause = error.__cause__
        if isinstance(cause, InvalidSchemaValue) and any(
            list(getattr(e, "absolute_path", ())) == ["options", "steps"]
            for e in cause.schema_errors
        ):
            return True
    return False
