"""The facade's public surface: exports, docstrings, no generated types, spec-bound constants."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any

import pytest
import stability_v1alpha
import yaml
from stability_v1alpha import _validation
from stability_v1alpha._parameters import RULES

SPEC = yaml.safe_load((Path(__file__).parents[1] / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]


def _public_objects() -> list[tuple[str, Any]]:
    import stability_v1alpha.testing

    found = []
    modules = [stability_v1alpha, stability_v1alpha.testing]
    for module, name in [(m, n) for m in modules for n in m.__all__]:
        obj = getattr(module, name)
        found.append((name, obj))
        if inspect.isclass(obj):
            for attr in dir(obj):
                member = inspect.getattr_static(obj, attr)
                if not attr.startswith("_") and (
                    inspect.isfunction(member) or isinstance(member, property)
                ):
                    found.append((f"{name}.{attr}", member))
    return found


PUBLIC = _public_objects()
# Classes, functions and properties carry docstrings; constants (DEFAULT_ENGINE,
# __version__, ...) cannot, and are described in their module's docstring or the README.
DOCUMENTABLE = [
    (name, obj)
    for name, obj in PUBLIC
    if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, property)
]


def test_every_public_name_is_checked_for_a_docstring_or_is_a_constant() -> None:
    constants = {name for name, obj in PUBLIC if (name, obj) not in DOCUMENTABLE}
    assert all(name.isupper() or name == "__version__" for name in constants), constants


@pytest.mark.parametrize(("name", "obj"), DOCUMENTABLE, ids=[n for n, _ in DOCUMENTABLE])
def test_public_name_has_a_docstring(name: str, obj: Any) -> None:
    assert inspect.getdoc(obj), f"{name} has no docstring"


def _annotation_modules(tp: Any) -> set[str]:
    modules = {getattr(tp, "__module__", "")}
    for arg in typing.get_args(tp):
        modules |= _annotation_modules(arg)
    return modules


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_no_generated_type_in_public_signatures(name: str, obj: Any) -> None:
    targets = []
    if inspect.isclass(obj):
        targets = [obj.__init__] if "__init__" in vars(obj) else []
        if hasattr(obj, "__dataclass_fields__"):
            targets.append(obj)
    elif inspect.isfunction(obj):
        targets = [obj]
    elif isinstance(obj, property) and obj.fget is not None:
        targets = [obj.fget]
    for target in targets:
        # PIL types are imported only for type checkers; supply them here.
        from PIL.Image import Image as PILImage

        hints = typing.get_type_hints(
            target, globalns=vars(inspect.getmodule(target)), localns={"PILImage": PILImage}
        )
        for hint in hints.values():
            leaked = {m for m in _annotation_modules(hint) if m.startswith("stability_v1alpha_api")}
            assert not leaked, f"{name} exposes generated types: {hint}"


def test_importing_the_facade_does_not_import_the_generated_package() -> None:
    import subprocess
    import sys

    code = "import sys, stability_v1alpha; print('stability_v1alpha_api' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("constants", "schema"),
    [
        (stability_v1alpha.FinishReason, "FinishReason"),
        (stability_v1alpha.Sampler, "Sampler"),
        (stability_v1alpha.ClipGuidancePreset, "ClipGuidancePreset"),
        (stability_v1alpha.MaskSource, "MaskSource"),
    ],
)
def test_exported_constants_match_the_spec_enums(constants: type, schema: str) -> None:
    values = {v for k, v in vars(constants).items() if k.isupper()}
    assert values == set(SCHEMAS[schema]["enum"])


def _prop(schema: str, name: str) -> dict[str, Any]:
    props = SCHEMAS[schema].get("properties")
    if props is None:
        for part in SCHEMAS[schema]["allOf"]:
            props = part.get("properties", {})
            if name in props:
                break
    return props[name]


def _bounded_rules() -> list[tuple[str, str, Any]]:
    """Every declared parameter whose rule has bounds, with the schema that states them."""
    schemas = {
        "text_to_image": "TextToImageRequestBody",
        "image_to_image": "ImageToImageOptions",
        "masking": "MaskingOptions",
    }
    found = {}
    for operation, rules in RULES.items():
        for name, rule in rules.items():
            if hasattr(rule, "low") and name not in found:
                found[name] = (schemas[operation], name, rule)
    return list(found.values())


BOUNDED = _bounded_rules()


def test_every_bounded_parameter_is_checked() -> None:
    assert {name for _, name, _ in BOUNDED} >= {
        "width",
        "height",
        "cfg_scale",
        "steps",
        "samples",
        "seed",
        "step_schedule_start",
        "step_schedule_end",
    }


@pytest.mark.parametrize(("schema", "field", "rule"), BOUNDED, ids=[n for _, n, _ in BOUNDED])
def test_client_side_bounds_match_the_spec(schema: str, field: str, rule: Any) -> None:
    prop = _prop(schema, field)
    assert (prop["minimum"], prop["maximum"]) == (rule.low, rule.high)
    assert prop.get("multipleOf", 1) == getattr(rule, "step", 1)


def test_prompt_length_and_pixel_budget_match_the_spec() -> None:
    assert SCHEMAS["TextPrompt"]["properties"]["text"]["maxLength"] == _validation.MAX_PROMPT_LENGTH
    width = _prop("TextToImageRequestBody", "width")["description"]
    assert f"must not exceed {_validation.MAX_PIXELS:,} pixels" in " ".join(width.split())
