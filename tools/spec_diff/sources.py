"""Where the two spec versions come from: two files, or a git revision and the working tree.

Only read-only git is used (``rev-parse``, ``status``, ``merge-base``, ``log``,
``show``; the code impact module adds ``archive``), so the tool is safe to run in a checkout with
uncommitted work.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .bundle import bundle, has_external_refs
from .loader import Spec, SpecError, parse_text

SPEC_FILE = "openapi.yaml"
MAIN_BRANCH = "main"
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
    # What was compared and why that, for the report: spec, revision (or None), chosen.
    base: dict[str, str | None] = field(default_factory=dict)
    head: dict[str, str | None] = field(default_factory=dict)


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


def _commit(root: Path, rev: str) -> str | None:
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip() or None
    except SpecError:
        return None


def has_uncommitted_change(root: Path, path: str) -> bool:
    """Whether ``path`` differs from HEAD in the index or the working tree."""
    return bool(_git(root, "status", "--porcelain", "--", path).strip())


def choose_base(root: Path, spec: str, main: str = MAIN_BRANCH) -> tuple[str, str]:
    """``(revision, why)``: what a plain review compares the spec with.

    * an uncommitted change to the spec: HEAD, so the report shows that change;
    * otherwise, on a branch: the merge-base with the main branch (``main``, or
      ``origin/main`` in a clone that has only the remote one), so the report shows
      everything the branch changed;
    * on the main branch itself (or a branch with no commits of its own): the
      previous commit that changed the spec, so the report shows the latest change.
    """
    if has_uncommitted_change(root, spec):
        return "HEAD", f"{spec} has uncommitted changes"
    head = _commit(root, "HEAD")
    if head is None:
        raise SpecError("the repository has no commits yet; pass --base REV or two files")
    for ref in (main, f"origin/{main}"):
        if _commit(root, ref) is None:
            continue
        fork = _git(root, "merge-base", "HEAD", ref).strip()
        if fork and fork != head:
            return fork, f"merge-base of HEAD and {ref}"
        break
    changes = _git(root, "log", "--format=%H", "-2", "--", spec).split()
    if len(changes) < 2:
        raise SpecError(
            f"{spec} has no earlier committed version to compare with; pass --base REV or two files"
        )
    return changes[1], f"the commit before the latest change to {spec} ({changes[0][:7]})"


def _config_in_tree(root: Path) -> str:
    path = root / CONFIG_FILE
    return path.read_text(encoding="utf-8") if path.exists() else FALLBACK_CONFIG


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _spec(text: str, path: str, label: str, read: Callable[[str], str]) -> tuple[Spec, str]:
    """The spec, with references to other files inlined, and the text to generate from
    (the bundled document when there were such references: the generator gets one file)."""
    doc = parse_text(text, label)
    if not has_external_refs(doc):
        return Spec(doc, label), text
    doc = bundle(doc, path, read)
    return Spec(doc, label), yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def load_file(path: str | Path) -> Spec:
    """Load a spec from a YAML or JSON file (references to other files inlined)."""
    return _spec(_read(str(path)), str(path), str(path), _read)[0]


def from_files(old_path: str, new_path: str, root: Path) -> Versions:
    """Two spec files; generator config and facade come from ``root``."""
    old, old_text = _spec(_read(old_path), old_path, old_path, _read)
    new, new_text = _spec(_read(new_path), new_path, new_path, _read)
    config = _config_in_tree(root)
    return Versions(
        old=old,
        new=new,
        old_label=old_path,
        new_label=new_path,
        old_text=old_text,
        new_text=new_text,
        old_config=config,
        new_config=config,
        repo_root=root,
        base={"spec": old_path, "revision": None, "chosen": "file"},
        head={"spec": new_path, "revision": None, "chosen": "file"},
    )


def from_git(
    root: Path, base: str | None, spec: str = SPEC_FILE, main: str = MAIN_BRANCH
) -> Versions:
    """Old: ``spec`` at ``base`` (default: :func:`choose_base`); new: the working tree."""
    rev, why = (base, "given with --base") if base else choose_base(root, spec, main)
    full = _commit(root, rev)
    if full is None:
        raise SpecError(f"unknown git revision: {rev}")
    short = _git(root, "rev-parse", "--short", full).strip()
    old, old_text = _spec(
        _git(root, "show", f"{full}:{spec}"),
        spec,
        f"{spec}@{short}",
        lambda name: _git(root, "show", f"{full}:{name}"),
    )
    new_path = root / spec
    new, new_text = _spec(
        _read(str(new_path)), spec, str(new_path), lambda name: _read(str(root / name))
    )
    try:
        old_config = _git(root, "show", f"{full}:{CONFIG_FILE}")
    except SpecError:
        old_config = _config_in_tree(root)
    head = _commit(root, "HEAD")
    if has_uncommitted_change(root, spec) or head is None:
        head_rev, head_why = None, "uncommitted changes included"
    else:
        head_rev = _git(root, "rev-parse", "--short", head).strip()
        head_why = "HEAD: no uncommitted changes"
    return Versions(
        old=old,
        new=new,
        old_label=f"{spec}@{rev} ({short})" if rev != short and rev != full else f"{spec}@{short}",
        new_label=f"{spec} (working tree)" if head_rev is None else f"{spec}@{head_rev}",
        old_text=old_text,
        new_text=new_text,
        old_config=old_config,
        new_config=_config_in_tree(root),
        repo_root=root,
        base_rev=short,
        base={"spec": spec, "revision": short, "chosen": why},
        head={"spec": spec, "revision": head_rev, "chosen": head_why},
    )
