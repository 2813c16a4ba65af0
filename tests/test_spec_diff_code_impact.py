"""Code impact beyond names: the facade called on the regenerated client, and the attrs
constructors of the generated models.

The end-to-end cases regenerate the client twice and run the facade (a few seconds each):
a field made required (every call fails) and a renamed multipart part (only
image_to_image fails). The probe's recording of failures and the model-field diff are
checked directly, without regenerating.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import griffe
import pytest

from tools.spec_diff import facade_probe
from tools.spec_diff.cli import main
from tools.spec_diff.code_impact import generator_reason
from tools.spec_diff.facade_run import grouped, run_facade
from tools.spec_diff.model_fields import field_breakages

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi.yaml"
METHODS = {
    f"{client}.{method}"
    for client in ("Stability", "AsyncStability")
    for method in ("text_to_image", "image_to_image", "inpaint")
}


def mutated(tmp_path: Path, old: str, new: str) -> str:
    text = SPEC.read_text(encoding="utf-8")
    assert old in text, f"fixture edit does not apply: {old!r}"
    path = tmp_path / "new.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(path)


def impact(capsys: pytest.CaptureFixture[str], new: str) -> dict[str, Any]:
    assert main([str(SPEC), new, "--format", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)["code_impact"]
    return result


def failing(run: list[dict[str, Any]]) -> set[str]:
    return {r["method"] for r in run if not r["ok"]}


_PROMPTS = "      required:\n        - text_prompts\n"
SEED_REQUIRED = (
    f"{_PROMPTS}      properties:\n        text_prompts:",
    f"{_PROMPTS}        - seed\n      properties:\n        text_prompts:",
)
PART_RENAMED = (
    "    ImageToImageRequestBody:\n      type: object\n      required:\n        - init_image\n"
    "        - options\n      properties:\n        init_image:",
    "    ImageToImageRequestBody:\n      type: object\n      required:\n        - image\n"
    "        - options\n      properties:\n        image:",
)


def test_a_field_made_required_breaks_every_call(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = impact(capsys, mutated(tmp_path, *SEED_REQUIRED))
    run = result["facade"]["run"]
    assert {(r["method"], r["samples"]) for r in run} == {(m, s) for m in METHODS for s in (1, 2)}
    assert failing(run) == METHODS
    assert all(r["error"] and ": " in r["error"] for r in run)  # "Type: message"
    assert set(result["facade_breaks"]) == METHODS
    assert result["callers_affected"] is True
    assert any(r.startswith("the facade breaks") for r in result["reasons"])
    # griffe alone saw nothing here; the attrs fields show the new required argument
    kinds = {(b["object"].rsplit(".", 2)[-2], b["kind"]) for b in result["generated"]["breaking"]}
    assert ("TextToImageRequestBody", "field_became_required") in kinds
    assert result["facade"]["run_seconds"] < 60


def test_a_renamed_multipart_part_breaks_image_to_image_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    result = impact(capsys, mutated(tmp_path, *PART_RENAMED))
    run = result["facade"]["run"]
    assert failing(run) == {"Stability.image_to_image", "AsyncStability.image_to_image"}
    assert all(r["ok"] and r["error"] is None for r in run if "image_to_image" not in r["method"])
    renamed = [b for b in result["generated"]["breaking"] if b["kind"] == "field_renamed"]
    assert [(b["old"], b["new"]) for b in renamed] == [("init_image", "image")]


def test_the_text_report_names_the_broken_methods(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([str(SPEC), mutated(tmp_path, *PART_RENAMED)]) == 0
    out = capsys.readouterr().out
    assert "The facade breaks: Stability.image_to_image, AsyncStability.image_to_image" in out
    # The facade refuses before sending, naming the part the new spec requires.
    assert "x Stability.image_to_image (samples 1, 2): InvalidRequestError: image=None" in out


# -- the probe, without regenerating -------------------------------------------------------


class _Raising:
    """Stands in for a client class whose calls fail in assorted ways."""

    errors: ClassVar[dict[str, BaseException]] = {
        "text_to_image": TypeError("Object of type Unset is not JSON serializable"),
        "image_to_image": KeyError("init_image"),
    }

    def __init__(self, **options: Any) -> None:
        pass

    def __enter__(self) -> _Raising:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name in self.errors:
                raise self.errors[name]
            return object()  # not a Generation

        return call


def test_probe_records_any_exception_as_type_and_message() -> None:
    run = facade_probe.run_sync(_Raising, {}, b"png")
    by_method = {(r["method"], r["samples"]): r for r in run}
    assert by_method[("_Raising.text_to_image", 1)] == {
        "method": "_Raising.text_to_image",
        "samples": 1,
        "ok": False,
        "error": "TypeError: Object of type Unset is not JSON serializable",
    }
    assert by_method[("_Raising.image_to_image", 2)]["error"] == "KeyError: 'init_image'"
    assert by_method[("_Raising.inpaint", 1)]["error"] == "returned object, not a Generation"
    assert grouped(run)[0] == (
        "_Raising.text_to_image (samples 1, 2): TypeError: Object of type Unset is not JSON "
        "serializable"
    )


def test_a_probe_that_cannot_start_is_reported_not_raised(tmp_path: Path) -> None:
    result = run_facade(tmp_path / "no-facade", tmp_path, tmp_path / "missing.yaml")
    assert result["import_check"]["ok"] is False
    assert "ModuleNotFoundError" in result["import_check"]["error"]
    assert result["run"] and not any(r["ok"] for r in result["run"])


# -- attrs model fields ----------------------------------------------------------------------

MODEL = """
from attrs import define as _attrs_define
from attrs import field as _attrs_field

@_attrs_define
class Body:
    {fields}
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties)
"""


def load(tmp_path: Path, name: str, fields: str) -> griffe.Object:
    pkg = tmp_path / name / "gen"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    body = MODEL.format(fields=textwrap.indent(textwrap.dedent(fields), "    ").strip())
    (pkg / "models.py").write_text(body)
    obj = griffe.load(
        "gen",
        search_paths=[pkg.parent],
        modules_collection=griffe.ModulesCollection(),
        lines_collection=griffe.LinesCollection(),
        allow_inspection=False,
    )
    assert isinstance(obj, griffe.Object)
    return obj


OLD_FIELDS = """
prompt: str
steps: int | Unset = 50
seed: int | Unset = UNSET
"""


FIELD_CASES = {
    "same": (OLD_FIELDS, []),
    "required": (OLD_FIELDS.replace("seed: int | Unset = UNSET", "seed: int"),
                 [("field_became_required", "seed")]),
    "new-required": (OLD_FIELDS + "style: str\n", [("required_field_added", "style")]),
    "new-optional": (OLD_FIELDS + "style: str | Unset = UNSET\n", []),
    "renamed": (OLD_FIELDS.replace("prompt", "text"), [("field_renamed", "prompt")]),
    "removed": ("prompt: str\nseed: int | Unset = UNSET", [("field_removed", "steps")]),
    "type": (OLD_FIELDS.replace("steps: int", "steps: float"), [("field_type_changed", "steps")]),
    "optional": (OLD_FIELDS.replace("prompt: str", "prompt: str | Unset = UNSET"), []),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FIELD_CASES))
def test_attrs_field_changes(tmp_path: Path, case: str) -> None:
    new_fields, expected = FIELD_CASES[case]
    found = field_breakages(load(tmp_path, "old", OLD_FIELDS), load(tmp_path, "new", new_fields))
    assert [(b["kind"], b["object"].rsplit(".", 1)[-1]) for b in found] == expected


def test_reordered_required_fields_break_positional_calls(tmp_path: Path) -> None:
    old = load(tmp_path, "old", "a: str\nb: int")
    new = load(tmp_path, "new", "b: int\na: str")
    assert [b["kind"] for b in field_breakages(old, new)] == ["required_fields_reordered"]


def test_generator_failures_keep_their_reason() -> None:
    output = (
        "Generating out/pkg\n\nError(s) encountered while generating, client was not created\n"
        "Failed to parse OpenAPI document\n\n1 validation error for OpenAPI\n"
        "paths./a.get.responses\n  Input should be a valid dictionary [type=dict_type]\n"
        "    For further information visit https://errors.pydantic.dev/2/v/dict_type\n\n\n"
        "If you believe this was a mistake or this tool is missing a feature you need, "
        "please open an issue at https://example.invalid/issues\n"
    )
    assert generator_reason(output) == (
        "Error(s) encountered while generating, client was not created | "
        "Failed to parse OpenAPI document | 1 validation error for OpenAPI | "
        "paths./a.get.responses | Input should be a valid dictionary [type=dict_type]"
    )
