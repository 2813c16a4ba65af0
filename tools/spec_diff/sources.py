"""Where the two spec versions come from: two files, or a git revision and the working tree.

Only read-only git is used (``rev-parse``, ``log``, ``show``; the code impact
module adds ``archive``), so the tool is safe to run in a checkout with
uncommitted work.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .loader import Spec, SpecError, parse_text

SPEC_FILE = "openapi.yaml"
CONFIG_FILE = "generator-config.yml"
# Used when a version has no generator config of its own (a spec outside the repo).
FALLBACK_CONFIG = (
    "package_name_override: stability_v1alpha_api\nproject_name_override: stability-v1alpha-api\n"
)


@dataclass
class Versions:
    """Both specs, their labels for the report, and what code impact needs."""

    old: Spec
    new: Spec
    old_label: str
    new_label: str
    old_text: str
    new_text: str
    old_config: str
    new_config: str
    repo_root: Path
    base_rev: str | None = None


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpecError(f"git {' '.join(args)} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()
        raise SpecError(f"git {' '.join(args)} failed: {detail[-1] if detail else proc.returncode}")
    return proc.stdout


def repo_root(start: Path) -> Path | None:
    """The top of the git work tree containing ``start``, or None outside git."""
    try:
        return Path(_git(start, "rev-parse", "--show-toplevel").strip())
    except SpecError:
        return None


def last_commit_touching(root: Path, path: str) -> str:
    """The newest commit that changed ``path``: the natural base for "what did I change"."""
    rev = _git(root, "log", "-1", "--format=%H", "--", path).strip()
    if not rev:
        raise SpecError(f"no commit has touched {path}; pass --base REV or two files")
    return rev


def _config_in_tree(root: Path) -> str:
    path = root / CONFIG_FILE
    return path.read_text(encoding="utf-8") if path.exists() else FALLBACK_CONFIG


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from exc


def from_files(old_path: str, new_path: str, root: Path) -> Versions:
    """Two spec files; generator config and facade come from ``root``."""
    old_text, new_text = _read(old_path), _read(new_path)
    config = _config_in_tree(root)
    return Versions(
        old=Spec(parse_text(old_text, old_path), old_path),
        new=Spec(parse_text(new_text, new_path), new_path),
        old_label=old_path,
        new_label=new_path,
        old_text=old_text,
        new_text=new_text,
        old_config=config,
        new_config=config,
        repo_root=root,
    )


def from_git(root: Path, base: str | None, spec: str = SPEC_FILE) -> Versions:
    """Old: ``spec`` at ``base`` (default: the last commit that changed it); new: working tree."""
    rev = base or last_commit_touching(root, spec)
    full = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    short = _git(root, "rev-parse", "--short", full).strip()
    old_text = _git(root, "show", f"{full}:{spec}")
    new_path = root / spec
    new_text = _read(str(new_path))
    try:
        old_config = _git(root, "show", f"{full}:{CONFIG_FILE}")
    except SpecError:
        old_config = _config_in_tree(root)
    return Versions(
        old=Spec(parse_text(old_text, f"{spec}@{short}"), f"{spec}@{short}"),
        new=Spec(parse_text(new_text, str(new_path)), str(new_path)),
        old_label=f"{spec}@{base} ({short})" if base and base != short else f"{spec}@{short}",
        new_label=f"{spec} (working tree)",
        old_text=old_text,
        new_text=new_text,
        old_config=old_config,
        new_config=_config_in_tree(root),
        repo_root=root,
        base_rev=short,
    )
