"""A missing optional extra is one line naming it, at every entry point that needs it.

The subprocesses below hide one extra from a complete development install:
its modules are blocked in ``sys.modules`` and its distributions are reported
as not installed. ``make dist-check`` does the same with real installations.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from stability_v1alpha.testing import _extra

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parents[1]
TESTING_LINE = (
    "the fake server needs the 'testing' extra (pyyaml not installed): "
    "pip install 'stability-v1alpha[testing]'"
)
# Run first in each subprocess: PyYAML looks uninstalled, as without the extra.
HIDE_TESTING = """\
import sys
from stability_v1alpha.testing import _extra
sys.modules["yaml"] = None  # `import yaml` now raises ModuleNotFoundError
_extra._installed = lambda name: name != "pyyaml"
"""


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def _assert_one_line(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr == f"error: {line}\n"
    assert result.stdout == ""


def test_the_extra_is_read_from_the_metadata_as_declared_in_pyproject() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["testing"]
    names = [requirement.split(">")[0].split("<")[0].split("=")[0] for requirement in declared]
    assert _extra._requirements("testing") == names


def test_a_complete_extra_gives_no_message() -> None:
    assert _extra.missing_extra() is None


def test_the_message_names_each_missing_package_and_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_extra, "_installed", lambda name: name not in {"pyyaml", "werkzeug"})
    assert _extra.missing_extra() == (
        "the fake server needs the 'testing' extra (pyyaml, werkzeug not installed): "
        "pip install 'stability-v1alpha[testing]'"
    )


def test_importing_the_server_without_the_extra_raises_the_one_line(tmp_path: Path) -> None:
    code = HIDE_TESTING + textwrap.dedent(
        """
        try:
            from stability_v1alpha.testing import FakeStabilityServer
        except ModuleNotFoundError as exc:
            print(type(exc).__name__, exc, sep=": ")
        """
    )
    result = _python(code, tmp_path)
    assert result.stdout == f"MissingExtraError: {TESTING_LINE}\n", result.stderr


def test_serve_fake_without_the_extra_prints_one_line(tmp_path: Path) -> None:
    code = HIDE_TESTING + "from stability_v1alpha._cli import main; sys.exit(main(['serve-fake']))"
    _assert_one_line(_python(code, tmp_path), TESTING_LINE)


def test_demo_without_the_extra_prints_one_line(tmp_path: Path) -> None:
    code = HIDE_TESTING + "from stability_v1alpha.demo import main; sys.exit(main(['--out', 'o']))"
    _assert_one_line(_python(code, tmp_path), TESTING_LINE)
    assert not (tmp_path / "o").exists()


def test_fixtures_without_the_extra_fail_with_one_line_and_other_tests_pass(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(HIDE_TESTING)
    pytester.makepyfile(
        """
        def test_uses_the_client(stability_client):
            stability_client.text_to_image("a lighthouse")

        def test_uses_no_fixture():
            assert True
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    assert TESTING_LINE in output
    assert "Traceback" not in output and "import yaml" not in output


def test_to_pil_without_pillow_raises_one_line_naming_the_extra(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["PIL"] = None
        from stability_v1alpha import GeneratedImage
        from stability_v1alpha.testing import make_png
        try:
            GeneratedImage(make_png(8, 8, bytes(192)), seed=1, finish_reason="SUCCESS").to_pil()
        except ImportError as exc:
            print(exc)
        """
    )
    result = _python(code, tmp_path)
    assert result.stdout == "to_pil() needs Pillow: pip install 'stability-v1alpha[pil]'\n"
