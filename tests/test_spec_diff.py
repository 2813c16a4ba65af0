"""The spec differ end to end: realistic spec pairs, the CLI, git revisions, code impact.

The per-rule classification lives in test_spec_diff_rules.py. Here:

* realistic pairs from this API's history: the developer preview (200 without a
  body, untyped multipart ``options``) against our openapi.yaml, errors moving
  media type, the v1beta path rename, a path parameter rename, allOf-merged
  options and a shared component seen from both sides;
* the CLI: formats, exit codes, usage errors;
* ``--base REV`` on a throwaway clone of this repo (never the working repo);
* code impact (regenerates the client twice, a few seconds each): kept to three
  tests, one on the real facade and two on a small facade in a scratch repo.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.spec_diff import Level, Spec, SpecError, diff_specs, load_file
from tools.spec_diff.cli import main
from tools.spec_diff.code_impact import media_aliases
from tools.spec_diff.facade_scan import generated_names_used, public_modules, spec_dependent

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi.yaml"
PREVIEW = ROOT / "tests" / "spec_pairs" / "developer_preview.yaml"
OPS = ("text-to-image", "image-to-image", "image-to-image/masking")


def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        assert old in text, f"fixture edit does not apply: {old!r}"
        text = text.replace(old, new)
    return text


# The change the README section walks through: a tighter bound, a new response
# enum value and a new optional request field.
STEPS_100 = (
    "          minimum: 10\n          maximum: 150\n",
    "          minimum: 10\n          maximum: 100\n",
)
TIMEOUT = (
    "        - CONTENT_FILTERED\n    TextToImageRequestBody:",
    "        - CONTENT_FILTERED\n        - TIMEOUT\n    TextToImageRequestBody:",
)
STYLE = (
    "          description: Number of diffusion steps. More steps cost more time.\n",
    "          description: Number of diffusion steps. More steps cost more time.\n"
    "        style_preset:\n          type: string\n          description: Style of the image.\n",
)


def readme_change() -> str:
    return edited(spec_text(), STEPS_100, TIMEOUT, STYLE)


def diff_texts(old: str, new: str, aliases: dict[str, str] | None = None) -> list[Any]:
    return diff_specs(Spec(yaml.safe_load(old), "old"), Spec(yaml.safe_load(new), "new"), aliases)


def ids(changes: list[Any], level: Level | None = None) -> list[str]:
    return [c.id for c in changes if level is None or c.level is level]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- realistic pairs ---------------------------------------------------------------------


def test_identical_specs_have_no_changes() -> None:
    spec = load_file(SPEC)
    assert diff_specs(spec, load_file(SPEC)) == []


def test_developer_preview_to_current() -> None:
    """Filling in the preview: bodies appear (info), options gain a schema (its required
    fields break old callers that sent anything), sizes gain multipleOf (breaking)."""
    changes = diff_specs(load_file(PREVIEW), load_file(SPEC))
    by_id = {c.id: c for c in changes}
    body_added = [
        c for c in changes if c.id == "response-media-type-added" and "status 200" in c.message
    ]
    assert len(body_added) == 6  # image/png and application/json, three operations
    assert all(c.level is Level.INFO and "had no body" in c.message for c in body_added)
    required = [c.message for c in changes if c.id == "new-required-request-property"]
    assert any("'options/text_prompts'" in m for m in required)
    assert any("'options/mask_source'" in m for m in required)
    assert by_id["new-required-request-property"].level is Level.BREAKING
    assert by_id["new-optional-request-property"].level is Level.INFO
    assert by_id["request-property-multiple-of-set"].level is Level.BREAKING
    assert by_id["api-operation-id-removed"].level is Level.WARNING
    # Nothing was taken away from responses, so nothing on the response side breaks.
    assert not [c for c in changes if c.side.value == "response" and c.level is Level.BREAKING]
    # The inline enum of the preview and our allOf[$ref] + default are the same schema.
    text_to_image = [c for c in changes if c.operation and c.operation.endswith("}/text-to-image")]
    assert not [c for c in text_to_image if "clip_guidance_preset" in c.message]


def test_current_to_developer_preview_removes_bodies() -> None:
    changes = diff_specs(load_file(SPEC), load_file(PREVIEW))
    removed = [c for c in changes if c.id == "response-media-type-removed"]
    assert {c.level for c in removed} == {Level.BREAKING}
    assert any("no body any more" in c.message and "status 200" in c.message for c in removed)
    assert "request-property-removed" in ids(changes, Level.WARNING)


def test_errors_moving_to_application_json_are_breaking_but_annotated() -> None:
    """goa's error media type replaced by application/json: breaking for clients that match
    on the media type (oasdiff agrees); our generator maps one onto the other, and says so."""
    old = PREVIEW.read_text(encoding="utf-8")
    error = "\n          schema:\n            $ref: '#/components/schemas/Error'"
    new = edited(old, (f"application/vnd.goa.error:{error}", f"application/json:{error}"))
    aliases = media_aliases((ROOT / "generator-config.yml").read_text(encoding="utf-8"))
    changes = diff_texts(old, new, aliases)
    removed = [c for c in changes if c.id == "response-media-type-removed"]
    assert len(removed) == 3 and {c.level for c in removed} == {Level.BREAKING}
    assert all("treats as the same type" in c.message for c in removed)
    assert "status 400, 401, 403, 404" in removed[0].message  # merged across statuses
    assert {c.level for c in changes if c.id == "response-media-type-added"} == {Level.INFO}


def test_v1beta_path_rename_is_removal_plus_addition() -> None:
    changes = diff_texts(
        spec_text(), spec_text().replace("/v1alpha/generation/", "/v1beta/generation/")
    )
    assert (
        sorted(ids(changes))
        == ["api-path-removed-without-deprecation"] * 3 + ["endpoint-added"] * 3
    )
    assert {c.operation for c in changes if c.id == "endpoint-added"} == {
        f"POST /v1beta/generation/{{engine_id}}/{op}" for op in OPS
    }


def test_path_parameter_rename_is_the_same_endpoint() -> None:
    new = edited(spec_text(), ("name: engine_id\n", "name: engineId\n")).replace(
        "{engine_id}", "{engineId}"
    )
    changes = diff_texts(spec_text(), new)
    assert ids(changes) == ["request-path-parameter-renamed"] * 3
    assert changes[0].operation == "POST /v1alpha/generation/{engineId}/text-to-image"
    assert changes[0].level is Level.INFO


def test_allof_options_report_the_shared_change_per_operation() -> None:
    """TextToImageRequestBody reaches image-to-image and masking through allOf."""
    preset = "            - $ref: '#/components/schemas/ClipGuidancePreset'\n          default:"
    new = edited(
        spec_text(),
        (f"{preset} NONE", f"{preset} FAST_BLUE"),
        ("        - SLOWER\n        - SLOWEST\n", "        - SLOWER\n"),
    )
    changes = diff_texts(spec_text(), new)
    defaults = [c for c in changes if c.id == "request-property-default-value-changed"]
    assert {c.operation.rsplit("}/", 1)[1] for c in defaults} == set(OPS)
    assert {c.level for c in defaults} == {Level.WARNING}
    assert any("'options/clip_guidance_preset'" in c.message for c in defaults)
    removed = [c for c in changes if c.id == "request-property-enum-value-removed"]
    assert len(removed) == 3 and {c.level for c in removed} == {Level.BREAKING}


def test_new_bound_below_the_baked_in_default_says_so() -> None:
    new = edited(
        spec_text(),
        (
            "          minimum: 10\n          maximum: 150\n",
            "          minimum: 10\n          maximum: 40\n",
        ),
    )
    changes = diff_texts(spec_text(), new)
    assert all("sends the default 50 explicitly" in c.message for c in changes)


def test_shared_component_is_classified_per_side() -> None:
    """One enum used in a request and a response: growing it is info on one side and
    breaking on the other, reported for the same operation."""

    def doc(values: list[str]) -> dict[str, Any]:
        color = {"$ref": "#/components/schemas/Color"}
        body = {"type": "object", "properties": {"color": color}}
        return {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/paint": {
                    "post": {
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": body}},
                            }
                        },
                    }
                }
            },
            "components": {"schemas": {"Color": {"type": "string", "enum": values}}},
        }

    changes = diff_specs(Spec(doc(["RED"])), Spec(doc(["RED", "BLUE"])))
    assert [(c.id, c.level) for c in changes] == [
        ("response-property-enum-value-added", Level.BREAKING),
        ("request-property-enum-value-added", Level.INFO),
    ]
    assert {c.operation for c in changes} == {"POST /paint"}


def test_recursive_schemas_terminate() -> None:
    def doc(max_len: int) -> dict[str, Any]:
        node = {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": max_len},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        }
        return {
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/tree": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Node"}
                                    }
                                },
                            }
                        }
                    }
                }
            },
            "components": {"schemas": {"Node": node}},
        }

    changes = diff_specs(Spec(doc(10)), Spec(doc(20)))
    assert ids(changes) == ["response-property-max-length-increased"]


def test_loader_rejects_what_it_cannot_compare(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not an OpenAPI 3"):
        load_file(write(tmp_path, "swagger.yaml", "swagger: '2.0'\n"))
    with pytest.raises(SpecError, match="points at nothing"):
        bad = {
            "openapi": "3.0.3",
            "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/nope"}}}}},
        }
        diff_specs(Spec(bad), Spec(bad))


# -- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    return str(SPEC), write(tmp_path, "new.yaml", readme_change())


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_text_output(capsys: pytest.CaptureFixture[str], pair: tuple[str, str]) -> None:
    code, out = run_cli(capsys, *pair, "--no-code-impact")
    assert code == 0
    assert "6 breaking, 0 warning(s), 3 info" in out
    assert "BREAKING (6)" in out and "INFO (3)" in out
    line = "[request-property-max-decreased] request property 'steps': maximum decreased"
    assert f"{line} from 150 to 100" in out
    assert "why response-property-enum-value-added:" in out
    assert "CODE IMPACT" not in out


def test_markdown_output(capsys: pytest.CaptureFixture[str], pair: tuple[str, str]) -> None:
    _, out = run_cli(capsys, *pair, "--no-code-impact", "--format", "markdown")
    assert out.startswith("## OpenAPI spec diff:")
    assert "| Breaking | 6 |" in out
    assert "### Breaking (6)" in out
    assert "<details><summary>Info (3)</summary>" in out
    assert "- **POST /v1alpha/generation/{engine_id}/text-to-image**" in out


def test_json_output(capsys: pytest.CaptureFixture[str], pair: tuple[str, str]) -> None:
    _, out = run_cli(capsys, *pair, "--no-code-impact", "--format", "json")
    data = json.loads(out)
    assert set(data) >= {"changes", "summary", "code_impact"}
    assert data["summary"] == {"breaking": 6, "warning": 0, "info": 3}
    assert data["code_impact"] is None
    first = data["changes"][0]
    assert set(first) >= {"id", "level", "operation", "location", "message"}
    assert first == {
        "id": "request-property-max-decreased",
        "level": "breaking",
        "side": "request",
        "operation": "POST /v1alpha/generation/{engine_id}/text-to-image",
        "location": "paths./v1alpha/generation/{engine_id}/text-to-image.post.requestBody.content."
        "application/json.schema.properties.steps.maximum",
        "message": "request property 'steps': maximum decreased from 150 to 100",
    }


@pytest.mark.parametrize(
    ("edits", "fail_on", "expected"),
    [
        ((STEPS_100,), "breaking", 1),
        ((STEPS_100,), None, 0),
        ((STYLE,), "breaking", 0),
        ((STYLE,), "warning", 0),
        ((("default: NONE", "default: SIMPLE"),), "breaking", 0),
        ((("default: NONE", "default: SIMPLE"),), "warning", 1),
        ((STEPS_100,), "warning", 1),
        ((), "warning", 0),
    ],
)
def test_exit_codes(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    edits: tuple[tuple[str, str], ...],
    fail_on: str | None,
    expected: int,
) -> None:
    new = write(tmp_path, "new.yaml", edited(spec_text(), *edits))
    args = [str(SPEC), new, "--no-code-impact", *(["--fail-on", fail_on] if fail_on else [])]
    code, _ = run_cli(capsys, *args)
    assert code == expected


@pytest.mark.parametrize(
    "args",
    [
        ["only-one.yaml"],
        ["a.yaml", "b.yaml", "c.yaml"],
        [str(SPEC), str(SPEC), "--base", "HEAD"],
        ["--format", "pdf"],
        ["--fail-on", "info"],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--no-code-impact"])
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_input_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.yaml"), str(SPEC), "--no-code-impact"]) == 2
    assert "cannot read" in capsys.readouterr().err
    not_openapi = write(tmp_path, "x.yaml", "hello: world\n")
    assert main([not_openapi, str(SPEC), "--no-code-impact"]) == 2
    assert "not an OpenAPI 3.x document" in capsys.readouterr().err


def test_internal_errors_exit_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pair: tuple[str, str]
) -> None:
    def broken(*args: object) -> None:
        raise ValueError("walker fell over")

    monkeypatch.setattr("tools.spec_diff.cli.diff_specs", broken)
    assert main([*pair, "--no-code-impact"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: internal error while comparing the specs (ValueError: walker fell over); "
        "--debug shows where"
    )
    assert main([*pair, "--no-code-impact", "--debug"]) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "--list-rules")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:4] for line in out.splitlines()[1:]}
    assert rows["request-property-max-set"] == ["breaking", "request", "same"]
    assert rows["response-property-max-set"] == ["info", "response", "absent"]
    assert rows["response-property-enum-value-added"] == ["breaking", "response", "warning"]
    assert rows["response-body-any-of-added"] == ["breaking", "response", "same"]


def test_module_entry_point(pair: tuple[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.spec_diff", *pair, "--no-code-impact", "--fail-on=breaking"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "BREAKING (6)" in proc.stdout


# -- git revisions, on a throwaway clone ------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=spec-diff", "-c", "user.email=spec-diff@example.invalid", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    target = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(ROOT), str(target))
    return target


def test_base_revision(capsys: pytest.CaptureFixture[str], clone: Path) -> None:
    spec = clone / "openapi.yaml"
    spec.write_text(edited(spec.read_text(), STEPS_100))
    git(clone, "commit", "--quiet", "-am", "lower steps maximum")
    spec.write_text(edited(spec.read_text(), STYLE))
    _, out = run_cli(
        capsys, "--repo", str(clone), "--base", "HEAD~1", "--no-code-impact", "--format", "json"
    )
    assert json.loads(out)["summary"] == {"breaking": 3, "warning": 0, "info": 3}
    _, out = run_cli(
        capsys, "--repo", str(clone), "--base", "HEAD", "--no-code-impact", "--format", "json"
    )
    assert json.loads(out)["summary"] == {"breaking": 0, "warning": 0, "info": 3}
    assert main(["--repo", str(clone), "--base", "no-such-rev", "--no-code-impact"]) == 2
    assert "no-such-rev" in capsys.readouterr().err


# -- code impact (regenerates twice per test) ---------------------------------------------------


def test_code_impact_of_the_readme_change(
    capsys: pytest.CaptureFixture[str], pair: tuple[str, str]
) -> None:
    _, out = run_cli(capsys, *pair, "--format", "json")
    impact = json.loads(out)["code_impact"]
    gen = impact["generated"]
    assert gen["status"] == "ok"
    assert gen["breaking"] == []  # new enum member and new keyword argument with a default
    assert "stability_v1alpha_api.models.finish_reason.FinishReason.TIMEOUT" in gen["added"]
    assert (
        "stability_v1alpha_api.models.text_to_image_request_body.TextToImageRequestBody.style_preset"
        in gen["added"]
    )
    facade = impact["facade"]
    assert facade["mode"] == "new-generated"
    assert facade["status"] == "checked"
    assert facade["missing_generated_names"] == []
    # Harmless for the facade: every call still works on the regenerated client.
    assert len(facade["run"]) == 12 and all(r["ok"] for r in facade["run"])
    assert impact["facade_breaks"] == []
    assert impact["callers_affected"] is True
    assert "breaking change(s) on the wire" in impact["reasons"][0]


SMALL_FACADE = '''\
"""A small facade over the generated client, for the code impact tests."""

from stability_v1alpha_api.api.v1alphageneration import text_to_image
from stability_v1alpha_api.models import FinishReason

__all__ = ["FinishReason", "generate", "finish_reasons"]


def generate(engine: str, prompt: str, *, steps: int = 50) -> object:
    return text_to_image.sync_detailed


def finish_reasons() -> list[str]:
    return [FinishReason.SUCCESS.value]
'''


@pytest.fixture
def scratch_repo(tmp_path: Path) -> Path:
    """A repo holding our spec and generator config, committed without a facade."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(SPEC, repo / "openapi.yaml")
    shutil.copy(ROOT / "generator-config.yml", repo / "generator-config.yml")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "spec only")
    return repo


def add_facade(repo: Path, text: str) -> None:
    pkg = repo / "facade" / "stability_v1alpha"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(text, encoding="utf-8")


def test_code_impact_facade_broken_by_an_operation_rename(
    capsys: pytest.CaptureFixture[str], scratch_repo: Path
) -> None:
    add_facade(scratch_repo, SMALL_FACADE)
    git(scratch_repo, "add", ".")
    git(scratch_repo, "commit", "--quiet", "-m", "facade")
    # Working tree: the operationId changes (wire contract unchanged) and the facade drops
    # a public function.
    spec = scratch_repo / "openapi.yaml"
    spec.write_text(
        edited(spec.read_text(), ("operationId: textToImage", "operationId: generateFromText"))
    )
    add_facade(scratch_repo, SMALL_FACADE.replace("def finish_reasons", "def _finish_reasons"))
    code, out = run_cli(capsys, "--repo", str(scratch_repo), "--base", "HEAD", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [c["id"] for c in data["changes"]] == ["api-operation-id-removed"]
    impact = data["code_impact"]
    removed = {
        b["object"] for b in impact["generated"]["breaking"] if b["kind"] == "object_removed"
    }
    assert "stability_v1alpha_api.api.v1alphageneration.text_to_image" in removed
    facade = impact["facade"]
    assert facade["base"]["status"] == "ok"
    assert any(
        b["object"] == "stability_v1alpha.finish_reasons" for b in facade["base"]["breaking"]
    )
    assert "api.v1alphageneration.text_to_image.sync_detailed" in facade["missing_generated_names"]
    assert facade["import_check"]["ok"] is False
    assert impact["callers_affected"] is True
    reasons = " ".join(impact["reasons"])
    assert "facade's public API breaks" in reasons
    assert "no longer imports" in reasons
    assert "no longer has" in reasons


def test_code_impact_when_the_base_has_no_facade(
    capsys: pytest.CaptureFixture[str], scratch_repo: Path
) -> None:
    add_facade(scratch_repo, SMALL_FACADE)  # untracked: exists in the working tree only
    spec = scratch_repo / "openapi.yaml"
    spec.write_text(edited(spec.read_text(), STYLE))
    code, out = run_cli(capsys, "--repo", str(scratch_repo), "--base", "HEAD")
    assert code == 0
    assert "does not exist at" in out
    assert "Facade with the regenerated client: imports fine" in out
    assert "Callers affected: no" in out


def test_only_modules_the_spec_can_reach_are_compared(tmp_path: Path) -> None:
    """The demo and the fake server are built on the facade and the spec file, not on the
    generated types: their API cannot follow a spec change, so it is not listed; a public
    module built on the generated package is."""
    package = ROOT / "facade" / "stability_v1alpha"
    assert {"demo", "testing"} <= set(public_modules(package))
    assert spec_dependent(package).isdisjoint({"demo", "testing", "testing.pytest_plugin"})
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "raw.py").write_text("from stability_v1alpha_api import models\n")
    (tmp_path / "demo.py").write_text("from . import raw\n")
    (tmp_path / "_private.py").write_text("import stability_v1alpha_api.types\n")
    assert spec_dependent(tmp_path) == {"raw"}


def test_generated_names_used_follows_dynamic_imports(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        textwrap.dedent("""
        import importlib
        from stability_v1alpha_api import models
        import stability_v1alpha_api.types as t

        _MODULES = {"a": "text_to_image", "b": "masking"}

        def f(op):
            module = importlib.import_module(
                "stability_v1alpha_api.api.v1alphageneration." f"{_MODULES[op]}"
            )
            return module._get_kwargs, models.FinishReason.SUCCESS.value, t.UNSET
    """)
    )
    assert generated_names_used(tmp_path) == {
        "models",
        "models.FinishReason.SUCCESS.value",
        "types",
        "types.UNSET",
        "api.v1alphageneration.text_to_image",
        "api.v1alphageneration.text_to_image._get_kwargs",
        "api.v1alphageneration.masking",
        "api.v1alphageneration.masking._get_kwargs",
    }
