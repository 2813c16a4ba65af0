"""ARCHITECTURE.md stays true: the rooms it names exist and imports only run down the layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "facade" / "stability_v1alpha"
TEXT = (ROOT / "ARCHITECTURE.md").read_text()
# The rooms in the order of the table: each may import only those listed before it.
ROOMS = re.findall(r"^\| `(_?_?[a-z_]+\.py)` \|", TEXT, flags=re.MULTILINE)


def test_the_table_names_every_core_module_and_only_existing_ones() -> None:
    on_disk = sorted(
        p.name for p in PACKAGE.glob("*.py") if p.name not in ("__main__.py", "demo.py")
    )
    assert sorted(ROOMS) == on_disk


@pytest.mark.parametrize(
    "path", sorted(set(re.findall(r"((?:facade|generated|tools)/[\w/.]+)", TEXT)))
)
def test_paths_named_exist(path: str) -> None:
    assert (ROOT / path).exists(), path


def _core_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / module).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0] + ".py")
            else:
                found.update(f"{alias.name}.py" for alias in node.names)
    return {name for name in found if name in ROOMS}


@pytest.mark.parametrize("module", ROOMS)
def test_imports_run_down_the_layers_only(module: str) -> None:
    below = set(ROOMS[: ROOMS.index(module)])
    assert _core_imports(module) <= below, _core_imports(module) - below
