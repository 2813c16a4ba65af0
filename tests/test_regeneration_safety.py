"""Regeneration never breaks callers: mutate the spec, regenerate, re-run the contract tests.

Each mutation is applied to a copy of ``openapi.yaml``; the client is
regenerated from it into a temporary directory with the pinned generator, and
the facade's contract tests (``tests/test_client_contract.py``, which use only
public names) run against that regenerated package in a subprocess. Changes a
client can absorb must leave them green; changes that break clients must be
reported as breaking by the spec differ.

Regenerating costs a few seconds per mutation, so the default run covers a
representative subset; ``pytest -m slow`` runs the whole catalogue.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())
BIN = Path(sys.executable).parent
Spec = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    """One spec change: how to apply it and what it must do to clients."""

    id: str
    apply: Callable[[Spec], None]
    breaking: bool
    # Run by default (False: only with -m slow).
    representative: bool = False


def _schemas(spec: Spec) -> Spec:
    return spec["components"]["schemas"]


def _base_props(spec: Spec) -> Spec:
    return _schemas(spec)["TextToImageRequestBody"]["properties"]


def _operations(spec: Spec) -> list[Spec]:
    return [op for item in spec["paths"].values() for op in item.values()]


def add_optional_request_field(spec: Spec) -> None:
    _base_props(spec)["style_preset"] = {"type": "string", "description": "A new style knob."}


def add_response_field(spec: Spec) -> None:
    _schemas(spec)["Artifact"]["properties"]["nsfw_score"] = {"type": "number"}


def add_finish_reason(spec: Spec) -> None:
    _schemas(spec)["FinishReason"]["enum"].append("TIMEOUT")


def add_optional_header(spec: Spec) -> None:
    for op in _operations(spec):
        op["parameters"].append(
            {
                "name": "Stability-Client-Id",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            }
        )


def add_operation(spec: Spec) -> None:
    spec["paths"]["/v1alpha/engines/list"] = {
        "get": {
            "operationId": "listEngines",
            "tags": ["v1alpha/engines"],
            "responses": {
                "200": {
                    "description": "Engines.",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"type": "string"}}
                        }
                    },
                }
            },
        }
    }


def rename_component(spec: Spec) -> None:
    text = json.dumps(spec).replace(
        "#/components/schemas/TextPrompt", "#/components/schemas/Prompt"
    )
    renamed = json.loads(text)
    renamed["components"]["schemas"]["Prompt"] = renamed["components"]["schemas"].pop("TextPrompt")
    spec.clear()
    spec.update(renamed)


def reorder_properties(spec: Spec) -> None:
    for schema in _schemas(spec).values():
        if "properties" in schema:
            schema["properties"] = dict(reversed(list(schema["properties"].items())))


def remove_request_field(spec: Spec) -> None:
    del _base_props(spec)["sampler"]


def tighten_bound(spec: Spec) -> None:
    _base_props(spec)["steps"]["maximum"] = 100


def remove_response_field(spec: Spec) -> None:
    artifact = _schemas(spec)["Artifact"]
    del artifact["properties"]["seed"]
    artifact["required"].remove("seed")


def require_new_request_field(spec: Spec) -> None:
    _base_props(spec)["style_preset"] = {"type": "string"}
    _schemas(spec)["TextToImageRequestBody"]["required"].append("style_preset")


MUTATIONS = [
    Mutation("add-optional-request-field", add_optional_request_field, False, True),
    Mutation("add-response-field", add_response_field, False),
    Mutation("add-finish-reason", add_finish_reason, False, True),
    Mutation("add-optional-header", add_optional_header, False),
    Mutation("add-operation", add_operation, False),
    Mutation("rename-component-schema", rename_component, False, True),
    Mutation("reorder-properties", reorder_properties, False),
    Mutation("remove-request-field", remove_request_field, True, True),
    Mutation("tighten-bound", tighten_bound, True, True),
    Mutation("remove-response-field", remove_response_field, True, True),
    Mutation("require-new-request-field", require_new_request_field, True),
]
# A new response enum value crashes the generated parser's strict enums, so the
# differ calls it breaking; the facade reads finish reasons as strings, so its
# callers must stay green. It is checked on both sides.
DIFFER_BREAKING = {m.id for m in MUTATIONS if m.breaking} | {"add-finish-reason"}
# Removing an optional request field is a warning on the wire, as oasdiff rates
# it (old clients still send it; the server ignores it). The Python-level break,
# the generated model losing the argument, is the code-impact report's job.
DIFFER_WARNING = {"remove-request-field"}


def _params(select: Callable[[Mutation], bool]) -> list[Any]:
    return [
        pytest.param(m, id=m.id, marks=() if m.representative else pytest.mark.slow)
        for m in MUTATIONS
        if select(m)
    ]


def _write_mutated(mutation: Mutation, directory: Path) -> Path:
    spec = copy.deepcopy(SPEC)
    mutation.apply(spec)
    path = directory / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _regenerate(spec_path: Path, directory: Path) -> Path:
    out = directory / "gen"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec_path),
            "--config",
            str(ROOT / "generator-config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(out / "stability_v1alpha_api"),
            "--fail-on-warning",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=directory,
    )
    return out


@pytest.mark.parametrize("mutation", _params(lambda m: not m.breaking))
def test_non_breaking_change_keeps_the_contract_tests_green(
    mutation: Mutation, tmp_path: Path
) -> None:
    generated = _regenerate(_write_mutated(mutation, tmp_path), tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(generated), str(ROOT)])}
    where = subprocess.run(
        [sys.executable, "-c", "import stability_v1alpha_api as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(generated)), "the regenerated package was not the one imported"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "test_client_contract.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.parametrize("mutation", [pytest.param(m, id=m.id) for m in MUTATIONS])
def test_differ_classifies_the_mutation(mutation: Mutation, tmp_path: Path) -> None:
    new = _write_mutated(mutation, tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.spec_diff",
            str(ROOT / "openapi.yaml"),
            str(new),
            "--format",
            "json",
            "--no-code-impact",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    breaking = report["summary"]["breaking"]
    if mutation.id in DIFFER_WARNING:
        assert report["summary"]["warning"] > 0, report["changes"]
    elif mutation.id in DIFFER_BREAKING:
        assert breaking > 0, f"{mutation.id} not reported as breaking: {report['changes']}"
    else:
        assert breaking == 0, f"{mutation.id} wrongly reported breaking: {report['changes']}"
