"""What a release carries: one version everywhere, type markers, a changelog."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import stability_v1alpha
import stability_v1alpha_api
from stability_v1alpha import Stability
from stability_v1alpha._version import __version__ as DEFINED
from stability_v1alpha.testing import FakeStabilityServer

ROOT = Path(__file__).parents[1]

# PEP 440 public versions: 1.2.3, 1.2.3rc1, 1.2.3.post1, 1.2.3.dev0
PEP_440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def test_the_defined_version_is_a_pep_440_version() -> None:
    assert PEP_440.match(DEFINED), DEFINED


def test_package_metadata_and_dunder_version_show_the_defined_version() -> None:
    # A stale editable install (metadata built from an older _version.py) fails here:
    # `make venv` reinstalls when _version.py changes.
    assert importlib.metadata.version("stability-v1alpha") == DEFINED
    assert stability_v1alpha.__version__ == DEFINED


def test_console_script_version_is_the_defined_version(tmp_path: Path) -> None:
    script = shutil.which("stability-v1alpha", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run(
        [script, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"stability-v1alpha {DEFINED}\n"


def test_user_agent_sent_carries_the_defined_version() -> None:
    with (
        FakeStabilityServer() as server,
        Stability(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        client.text_to_image("a lighthouse", seed=1)
        assert server.requests.last.headers["User-Agent"] == f"stability-v1alpha-python/{DEFINED}"


def test_both_packages_carry_a_py_typed_marker() -> None:
    for package in (stability_v1alpha, stability_v1alpha_api):
        assert (Path(package.__file__).parent / "py.typed").is_file(), package.__name__


def test_changelog_starts_with_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    headings = re.findall(r"^## (.+)$", changelog, flags=re.MULTILINE)
    assert headings, "CHANGELOG.md has no release sections"
    assert headings[0] == "[Unreleased]"
