"""openapi.yaml against the facts page (/work/shared/v1alpha-api.md).

Three checks:

* the document is valid OpenAPI 3.0 (openapi-spec-validator);
* every fact of the facts page is present: one table-driven test over ``FACTS``, each row
  ``(fact id, path, expected)``. The path is a JSON pointer into the spec that is followed
  *after* resolving ``$ref`` and merging ``allOf`` at every step, so a row checks what a
  consumer of the spec sees, not how the spec happens to be factored. Rows about the generation
  parameters are written once and expanded over the three request bodies, reached through their
  operations (so the operation -> schema wiring is checked too);
* every ``example`` in the spec validates against the schema it illustrates.

Path syntax: ``/``-separated JSON pointer tokens (``~1`` for ``/``, ``~0`` for ``~``), plus
``[key=value]`` to pick the element of a list whose ``key`` is ``value`` (parameters by name).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import openapi_spec_validator
import pytest
import referencing
import referencing.jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------------------------
# Resolver: $ref + allOf merge
# --------------------------------------------------------------------------------------------

# Keywords that only annotate a schema: when allOf branches disagree on them, the outer schema
# (or the first branch) wins. Any other disagreement is a contradiction in the spec.
_ANNOTATIONS = frozenset({"description", "title", "example", "externalDocs", "deprecated"})


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _raw_pointer(doc: Any, pointer: str) -> Any:
    """Follow a plain JSON pointer (no $ref resolution)."""
    node = doc
    for token in pointer.lstrip("/").split("/") if pointer not in ("", "/") else []:
        token = _unescape(token)
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _merge(into: dict[str, Any], other: dict[str, Any], where: str) -> None:
    for key, value in other.items():
        if key not in into:
            into[key] = copy.deepcopy(value)
        elif key == "required":
            into[key] = list(dict.fromkeys([*into[key], *value]))
        elif key == "properties":
            for name, prop in value.items():
                if name in into[key]:
                    _merge(into[key][name], prop, f"{where}/properties/{name}")
                else:
                    into[key][name] = copy.deepcopy(prop)
        elif key in _ANNOTATIONS or into[key] == value:
            continue
        else:
            raise AssertionError(f"allOf conflict at {where}: {key}={into[key]!r} vs {value!r}")


def resolve(spec: dict[str, Any], node: Any, where: str = "") -> Any:
    """Return ``node`` with a top-level ``$ref`` followed and an ``allOf`` merged in.

    Only the node itself is resolved; children are resolved lazily by ``lookup`` as it walks.
    Property schemas coming out of an ``allOf`` branch are resolved before being merged, so
    two branches that both describe a property are merged structurally.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local refs are expected, got {ref!r} at {where}"
        assert ref not in seen, f"$ref cycle through {ref} at {where}"
        seen.add(ref)
        # OpenAPI 3.0: siblings of $ref are ignored.
        node = _raw_pointer(spec, ref[1:])
        where = ref
    if isinstance(node, dict) and "allOf" in node:
        merged = {k: copy.deepcopy(v) for k, v in node.items() if k != "allOf"}
        for i, branch in enumerate(node["allOf"]):
            branch = resolve(spec, branch, f"{where}/allOf/{i}")
            if "properties" in branch:
                branch = dict(branch)
                branch["properties"] = {
                    name: resolve(spec, prop, f"{where}/allOf/{i}/properties/{name}")
                    for name, prop in branch["properties"].items()
                }
            _merge(merged, branch, where)
        node = merged
    return node


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def lookup(spec: dict[str, Any], path: str) -> Any:
    """Follow ``path``, resolving at every step. Returns MISSING if a step does not exist."""
    node = resolve(spec, spec, "#")
    walked = "#"
    for raw in path.lstrip("/").split("/"):
        token = _unescape(raw)
        if token.startswith("[") and token.endswith("]"):
            key, _, value = token[1:-1].partition("=")
            if not isinstance(node, list):
                return MISSING
            matches = [resolve(spec, el, walked) for el in node]
            matches = [el for el in matches if isinstance(el, dict) and el.get(key) == value]
            assert len(matches) <= 1, f"{token} is ambiguous at {walked}"
            if not matches:
                return MISSING
            node = matches[0]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return MISSING
            node = resolve(spec, node[int(token)], walked)
        elif isinstance(node, dict):
            if token not in node:
                return MISSING
            node = resolve(spec, node[token], f"{walked}/{raw}")
        else:
            return MISSING
        walked = f"{walked}/{raw}"
    return node


# --------------------------------------------------------------------------------------------
# Expectations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Absent:
    """The path must not exist."""

    def check(self, found: Any) -> bool:
        return found is MISSING


@dataclass(frozen=True)
class Present:
    """The path must exist (any value)."""

    def check(self, found: Any) -> bool:
        return found is not MISSING


@dataclass(frozen=True)
class SetOf:
    """A list whose elements are exactly these, in any order, without duplicates."""

    items: frozenset[Any]

    def __init__(self, *items: Any) -> None:
        object.__setattr__(self, "items", frozenset(items))

    def check(self, found: Any) -> bool:
        return (
            isinstance(found, list)
            and len(found) == len(set(found))
            and frozenset(found) == self.items
        )


@dataclass(frozen=True)
class KeysOf:
    """A mapping whose keys are exactly these."""

    keys: frozenset[str]

    def __init__(self, *keys: str) -> None:
        object.__setattr__(self, "keys", frozenset(keys))

    def check(self, found: Any) -> bool:
        return isinstance(found, dict) and frozenset(found) == self.keys


@dataclass(frozen=True)
class Mentions:
    """A string that contains this text."""

    text: str

    def check(self, found: Any) -> bool:
        return isinstance(found, str) and self.text in found


@dataclass(frozen=True)
class FalseOrAbsent:
    """A boolean flag that is false, explicitly or by the OpenAPI default."""

    def check(self, found: Any) -> bool:
        return found is MISSING or found is False


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@dataclass(frozen=True)
class MethodsOf:
    """A path item that defines exactly these HTTP methods."""

    methods: frozenset[str]

    def __init__(self, *methods: str) -> None:
        object.__setattr__(self, "methods", frozenset(methods))

    def check(self, found: Any) -> bool:
        return isinstance(found, dict) and frozenset(found) & HTTP_METHODS == self.methods


def matches(expected: Any, found: Any) -> bool:
    if hasattr(expected, "check"):
        return bool(expected.check(found))
    if found is MISSING:
        return False
    # Strict on bool/int/str so that `required: 1` or `default: "7"` does not pass.
    if isinstance(expected, bool) or isinstance(found, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(expected, str) or isinstance(found, str):
        return isinstance(found, str) and isinstance(expected, str) and found == expected
    return bool(found == expected)


# --------------------------------------------------------------------------------------------
# The facts table
# --------------------------------------------------------------------------------------------


def esc(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


PATH_T2I = "/v1alpha/generation/{engine_id}/text-to-image"
PATH_I2I = "/v1alpha/generation/{engine_id}/image-to-image"
PATH_MASK = "/v1alpha/generation/{engine_id}/image-to-image/masking"

# operation key -> (path, original operation id)
OPERATIONS = {
    "text-to-image": (PATH_T2I, "v1alpha/generation#textToImage"),
    "image-to-image": (PATH_I2I, "v1alpha/generation#imageToImage"),
    "masking": (PATH_MASK, "v1alpha/generation#masking"),
}


def op(key: str) -> str:
    return f"/paths/{esc(OPERATIONS[key][0])}/post"


def req(key: str, media_type: str) -> str:
    return f"{op(key)}/requestBody/content/{esc(media_type)}"


# The generation parameters as each operation's request body carries them.
GENERATION_BODIES = {
    "text-to-image": f"{req('text-to-image', 'application/json')}/schema",
    "image-to-image": f"{req('image-to-image', 'multipart/form-data')}/schema/properties/options",
    "masking": f"{req('masking', 'multipart/form-data')}/schema/properties/options",
}

CLIP_PRESETS = ("FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST")
SAMPLERS = (
    "DDIM",
    "DDPM",
    "K_DPMPP_2M",
    "K_DPMPP_2S_ANCESTRAL",
    "K_DPM_2",
    "K_DPM_2_ANCESTRAL",
    "K_EULER",
    "K_EULER_ANCESTRAL",
    "K_HEUN",
    "K_LMS",
)
FINISH_REASONS = ("SUCCESS", "ERROR", "CONTENT_FILTERED")
MASK_SOURCES = ("MASK_IMAGE_WHITE", "MASK_IMAGE_BLACK", "INIT_IMAGE_ALPHA")
SEED_MAX = 2147483647
ENGINE_IDS = (
    "stable-diffusion-v1-5",
    "stable-diffusion-512-v2-0",
    "stable-diffusion-512-v2-1",
    "stable-diffusion-768-v2-1",
)
BAD_REQUEST_REASONS = (
    "invalid_samples",
    "invalid_height_or_width",
    "invalid_file_size",
    "invalid_mime_type",
    "invalid_image_dimensions",
    "invalid_mask_image",
    "invalid_prompts",
)
ERROR_STATUSES = {"400": "bad_request", "401": "unauthorized", "403": "permission_denied"}
ERROR_STATUSES["404"] = "not_found"
GENERATION_FIELDS = (
    "text_prompts",
    "cfg_scale",
    "clip_guidance_preset",
    "height",
    "width",
    "sampler",
    "samples",
    "seed",
    "steps",
)

# "Generation parameters (shared by all three bodies)": (relative path, expected).
GENERATION_FACTS: list[tuple[str, Any]] = [
    ("type", "object"),
    ("required", SetOf("text_prompts")),
    ("properties/text_prompts/type", "array"),
    ("properties/text_prompts/minItems", 1),
    ("properties/text_prompts/items/type", "object"),
    ("properties/text_prompts/items/required", SetOf("text")),
    ("properties/text_prompts/items/properties", KeysOf("text", "weight")),
    ("properties/text_prompts/items/properties/text/type", "string"),
    ("properties/text_prompts/items/properties/text/maxLength", 2000),
    ("properties/text_prompts/items/properties/weight/type", "number"),
    ("properties/text_prompts/items/properties/weight/format", "float"),
    ("properties/cfg_scale/type", "number"),
    ("properties/cfg_scale/minimum", 0),
    ("properties/cfg_scale/maximum", 35),
    ("properties/cfg_scale/default", 7),
    ("properties/clip_guidance_preset/type", "string"),
    ("properties/clip_guidance_preset/enum", SetOf(*CLIP_PRESETS)),
    ("properties/clip_guidance_preset/default", "NONE"),
    ("properties/height/type", "integer"),
    ("properties/height/minimum", 512),
    ("properties/height/maximum", 2048),
    ("properties/height/multipleOf", 64),
    ("properties/height/default", 512),
    ("properties/height/description", Mentions("1,048,576")),
    ("properties/width/type", "integer"),
    ("properties/width/minimum", 512),
    ("properties/width/maximum", 2048),
    ("properties/width/multipleOf", 64),
    ("properties/width/default", 512),
    ("properties/sampler/type", "string"),
    ("properties/sampler/enum", SetOf(*SAMPLERS)),
    ("properties/sampler/default", Absent()),  # "server picks"
    ("properties/samples/type", "integer"),
    ("properties/samples/minimum", 1),
    ("properties/samples/maximum", 10),
    ("properties/samples/default", 1),
    ("properties/seed/type", "integer"),
    ("properties/seed/minimum", 0),
    ("properties/seed/maximum", SEED_MAX),
    ("properties/seed/default", Absent()),  # omitted = random; a default would pin it
    ("properties/steps/type", "integer"),
    ("properties/steps/minimum", 10),
    ("properties/steps/maximum", 150),
    ("properties/steps/default", 50),
]

# Fields each body has on top of the shared ones ("ImageToImageOptions", "MaskingOptions").
EXTRA_FIELDS = {
    "text-to-image": (),
    "image-to-image": ("step_schedule_start", "step_schedule_end"),
    "masking": ("mask_source",),
}
EXTRA_FACTS: dict[str, list[tuple[str, Any]]] = {
    "text-to-image": [],
    "image-to-image": [
        (f"properties/{name}/{key}", value)
        for name in ("step_schedule_start", "step_schedule_end")
        for key, value in (("type", "number"), ("minimum", 0), ("maximum", 1))
    ]
    + [
        ("properties/step_schedule_start/default", Absent()),
        ("properties/step_schedule_end/default", Absent()),
    ],
    "masking": [
        ("required", SetOf("text_prompts", "mask_source")),  # overrides the shared row
        ("properties/mask_source/type", "string"),
        ("properties/mask_source/enum", SetOf(*MASK_SOURCES)),
        ("properties/step_schedule_start", Absent()),
        ("properties/step_schedule_end", Absent()),
    ],
}

# 200 response, same for the three operations: (relative path, expected).
SUCCESS_FACTS: list[tuple[str, Any]] = [
    ("content", KeysOf("image/png", "application/json")),
    ("content/image~1png/schema/type", "string"),
    ("content/image~1png/schema/format", "binary"),
    ("content/application~1json/schema/type", "array"),
    ("content/application~1json/schema/items/type", "object"),
    ("content/application~1json/schema/items/properties", KeysOf("base64", "seed", "finishReason")),
    (
        "content/application~1json/schema/items/required",
        SetOf("base64", "seed", "finishReason"),
    ),
    ("content/application~1json/schema/items/properties/base64/type", "string"),
    ("content/application~1json/schema/items/properties/seed/type", "number"),
    ("content/application~1json/schema/items/properties/finishReason/type", "string"),
    ("content/application~1json/schema/items/properties/finishReason/enum", SetOf(*FINISH_REASONS)),
    ("headers/Content-Length/required", True),
    ("headers/Content-Length/schema/type", "integer"),
    ("headers/Finish-Reason/schema/type", "string"),
    ("headers/Finish-Reason/schema/enum", SetOf(*FINISH_REASONS)),
    ("headers/Seed/schema/type", "integer"),
    ("headers/Seed/schema/minimum", 0),
    ("headers/Seed/schema/maximum", SEED_MAX),
]

ERROR_SCHEMA_FACTS: list[tuple[str, Any]] = [
    ("type", "object"),
    ("required", SetOf("name", "id", "message", "temporary", "timeout", "fault")),
    ("properties/name/type", "string"),
    ("properties/id/type", "string"),
    ("properties/message/type", "string"),
    ("properties/temporary/type", "boolean"),
    ("properties/timeout/type", "boolean"),
    ("properties/fault/type", "boolean"),
]


def _build_facts() -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = [
        # Service
        ("server.base-url", "/servers/0/url", "https://api.stability.ai"),
        ("security.global", "/security", [{"api_key_header_Authorization": []}]),
        ("security.scheme.type", "/components/securitySchemes/api_key_header_Authorization/type",
         "apiKey"),
        ("security.scheme.in", "/components/securitySchemes/api_key_header_Authorization/in",
         "header"),
        ("security.scheme.name", "/components/securitySchemes/api_key_header_Authorization/name",
         "Authorization"),
        ("tags.declared", f"/tags/[name={esc('v1alpha/generation')}]/name", "v1alpha/generation"),
        # Operations
        ("paths.exactly-three", "/paths", KeysOf(PATH_T2I, PATH_I2I, PATH_MASK)),
        ("request.text-to-image.media-types", f"{op('text-to-image')}/requestBody/content",
         KeysOf("application/json")),
        ("request.image-to-image.media-types", f"{op('image-to-image')}/requestBody/content",
         KeysOf("multipart/form-data")),
        ("request.masking.media-types", f"{op('masking')}/requestBody/content",
         KeysOf("multipart/form-data")),
        # image-to-image multipart body
        ("request.image-to-image.parts", f"{req('image-to-image', 'multipart/form-data')}"
         "/schema/properties", KeysOf("init_image", "options")),
        ("request.image-to-image.required-parts", f"{req('image-to-image', 'multipart/form-data')}"
         "/schema/required", SetOf("init_image", "options")),
        # masking multipart body
        ("request.masking.parts", f"{req('masking', 'multipart/form-data')}/schema/properties",
         KeysOf("init_image", "mask_image", "options")),
        ("request.masking.required-parts", f"{req('masking', 'multipart/form-data')}"
         "/schema/required", SetOf("init_image", "options")),
    ]  # fmt: skip

    for key in ("image-to-image", "masking"):
        body = req(key, "multipart/form-data")
        images = ("init_image", "mask_image") if key == "masking" else ("init_image",)
        for image in images:
            rows += [
                (f"request.{key}.{image}.type", f"{body}/schema/properties/{image}/type", "string"),
                (
                    f"request.{key}.{image}.format",
                    f"{body}/schema/properties/{image}/format",
                    "binary",
                ),
                # "Images are PNG."
                (
                    f"request.{key}.{image}.encoding",
                    f"{body}/encoding/{image}/contentType",
                    "image/png",
                ),
            ]
        rows.append(
            (
                f"request.{key}.options.encoding",
                f"{body}/encoding/options/contentType",
                "application/json",
            )
        )

    for key, (path, original_id) in OPERATIONS.items():
        o = op(key)
        params = f"{o}/parameters"
        rows += [
            (f"op.{key}.methods", f"/paths/{esc(path)}", MethodsOf("post")),
            (f"op.{key}.tags", f"{o}/tags", ["v1alpha/generation"]),
            (f"op.{key}.x-original-operation-id", f"{o}/x-original-operation-id", original_id),
            (f"op.{key}.security", f"{o}/security", Absent()),  # inherits the global one
            (f"op.{key}.request-required", f"{o}/requestBody/required", True),
            (f"op.{key}.engine_id.in", f"{params}/[name=engine_id]/in", "path"),
            (f"op.{key}.engine_id.required", f"{params}/[name=engine_id]/required", True),
            (f"op.{key}.engine_id.type", f"{params}/[name=engine_id]/schema/type", "string"),
            (f"op.{key}.accept.in", f"{params}/[name=Accept]/in", "header"),
            (f"op.{key}.accept.required", f"{params}/[name=Accept]/required", True),
            (f"op.{key}.accept.type", f"{params}/[name=Accept]/schema/type", "string"),
            (
                f"op.{key}.accept.enum",
                f"{params}/[name=Accept]/schema/enum",
                SetOf("image/png", "application/json"),
            ),
            (f"op.{key}.organization.in", f"{params}/[name=Organization]/in", "header"),
            (
                f"op.{key}.organization.required",
                f"{params}/[name=Organization]/required",
                FalseOrAbsent(),
            ),
            (
                f"op.{key}.organization.type",
                f"{params}/[name=Organization]/schema/type",
                "string",
            ),
            (f"op.{key}.429", f"{o}/responses/429", Present()),
            (f"op.{key}.429.retry-after", f"{o}/responses/429/headers/Retry-After", Present()),
            (
                f"op.{key}.429.retry-after.schema",
                f"{o}/responses/429/headers/Retry-After/schema",
                Present(),
            ),
        ]
        rows += [
            (f"op.{key}.engine_id.mentions.{engine}", f"{params}/[name=engine_id]/description",
             Mentions(engine))
            for engine in ENGINE_IDS
        ]  # fmt: skip
        rows += [
            (f"op.{key}.{status}", f"{o}/responses/{status}", Present())
            for status in ("500", "502", "503")
        ]
        rows += [
            (f"op.{key}.200.{name}", f"{o}/responses/200/{rel}", expected)
            for name, (rel, expected) in zip(_ids(SUCCESS_FACTS), SUCCESS_FACTS, strict=True)
        ]
        for status, error_name in ERROR_STATUSES.items():
            response = f"{o}/responses/{status}"
            rows += [
                (
                    f"op.{key}.{status}.media-types",
                    f"{response}/content",
                    KeysOf("application/vnd.goa.error", "application/json"),
                ),
                (f"op.{key}.{status}.names-{error_name}", f"{response}/description",
                 Mentions(error_name)),
            ]  # fmt: skip
            for media_type in ("application/vnd.goa.error", "application/json"):
                rows += [
                    (
                        f"op.{key}.{status}.{media_type}.{name}",
                        f"{response}/content/{esc(media_type)}/schema/{rel}",
                        expected,
                    )
                    for name, (rel, expected) in zip(
                        _ids(ERROR_SCHEMA_FACTS), ERROR_SCHEMA_FACTS, strict=True
                    )
                ]
        rows += [
            (f"op.{key}.400.mentions.{reason}", f"{o}/responses/400/description", Mentions(reason))
            for reason in BAD_REQUEST_REASONS
        ]

        body = GENERATION_BODIES[key]
        rows.append(
            (
                f"body.{key}.fields",
                f"{body}/properties",
                KeysOf(*GENERATION_FIELDS, *EXTRA_FIELDS[key]),
            )
        )
        extra = dict(EXTRA_FACTS[key])
        shared = [(rel, extra.pop(rel, expected)) for rel, expected in GENERATION_FACTS]
        facts = [*shared, *extra.items()]
        rows += [
            (f"body.{key}.{name}", f"{body}/{rel}", expected)
            for name, (rel, expected) in zip(_ids(facts), facts, strict=True)
        ]
    return rows


def _ids(facts: list[tuple[str, Any]]) -> list[str]:
    """Readable row ids: 'content/application~1json/schema/items/properties/seed/type' ->
    'json.items.seed.type'."""
    ids = []
    for rel, _ in facts:
        for long, short in (
            ("content/application~1json/schema", "json"),
            ("content/image~1png/schema", "png"),
            ("properties/", ""),
        ):
            rel = rel.replace(long, short)
        ids.append(rel.replace("/", "."))
    return ids


FACTS = _build_facts()


def test_fact_ids_are_unique() -> None:
    ids = [fact_id for fact_id, _, _ in FACTS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.0.")
    openapi_spec_validator.validate(spec)


@pytest.mark.parametrize(("fact_id", "path", "expected"), FACTS, ids=[f[0] for f in FACTS])
def test_fact_is_in_spec(spec: dict[str, Any], fact_id: str, path: str, expected: Any) -> None:
    found = lookup(spec, path)
    assert matches(expected, found), (
        f"{fact_id}: at {path}\n  expected {expected!r}\n  found {found!r}"
    )


# --- examples must be valid instances of what they illustrate ---------------------------------

SPEC_URI = "urn:stability-v1alpha:openapi.yaml"


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Yield (pointer to example, pointer to the schema it must satisfy)."""
    if isinstance(node, dict):
        if "example" in node:
            if "schema" in node:  # parameter, header or media type object
                yield f"{pointer}/example", f"{pointer}/schema"
            elif not pointer.endswith("/properties"):  # a schema object
                yield f"{pointer}/example", pointer
        for key, value in node.items():
            if key != "example":
                yield from _examples(value, f"{pointer}/{esc(str(key))}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{i}")


def _load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


EXAMPLES = list(_examples(_load_spec()))


@pytest.mark.parametrize(("example_at", "schema_at"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_matches_its_schema(spec: dict[str, Any], example_at: str, schema_at: str) -> None:
    # OpenAPI 3.0 schemas are (close to) JSON Schema draft 4; `example` is ignored by it.
    resource = referencing.jsonschema.DRAFT4.create_resource(spec)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(SPEC_URI, resource)
    validator = jsonschema.Draft4Validator({"$ref": f"{SPEC_URI}#{schema_at}"}, registry=registry)
    example = _raw_pointer(spec, example_at)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(example)
    ]
    assert not errors, f"example at {example_at} does not satisfy {schema_at}: {errors}"


def test_resolver_merges_allof_and_keeps_outer_keywords(spec: dict[str, Any]) -> None:
    """The resolver itself: a sanity check so that a broken helper cannot pass every row."""
    masking = lookup(spec, "/components/schemas/MaskingOptions")
    assert "allOf" not in masking
    assert {"text_prompts", "mask_source", "steps"} <= set(masking["properties"])
    assert masking["description"].startswith("Generation parameters of a masking request")
    assert lookup(spec, "/components/schemas/MaskingOptions/properties/nope") is MISSING
    assert lookup(spec, f"{op('masking')}/parameters/[name=nope]") is MISSING
    assert not matches(7, "7") and not matches(True, 1) and not matches(1, True)
    with pytest.raises(AssertionError, match="allOf conflict"):
        resolve(spec, {"allOf": [{"type": "string"}, {"type": "integer"}]})
