"""What a spec change does to the Python code: the generated client and the facade.

The spec diff says what changes on the wire; callers, though, see Python. This
module regenerates the low-level client from both spec versions with the
pinned generator (the same command as ``make generate``), diffs the two
packages' public API with griffe, and then checks the hand-written facade:

* with a base revision, the facade of that revision is extracted from git and
  its public API is griffe-diffed against the working tree's;
* in every mode, the working-tree facade is imported in a subprocess with the
  *new* generated package first on ``sys.path``, and the generated names it
  uses (found by reading its imports and attribute accesses) are looked up in
  the new package.

It ends in a plain verdict, ``callers_affected``, with the reasons.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe
import yaml

from .facade_scan import GENERATED_PACKAGE, exists, generated_names_used

FACADE_PACKAGE = "stability_v1alpha"
FACADE_DIR = "facade"
_GENERATE_TIMEOUT = 300


@dataclass
class Inputs:
    """Both spec versions and where to find everything else.

    ``old_config`` is the generator config the old spec was generated with (the
    base revision's, when there is one); ``base_rev`` is None when two files are
    compared, in which case there is no old facade to diff against.
    """

    repo_root: Path
    old_spec: str
    new_spec: str
    old_config: str
    new_config: str
    base_rev: str | None = None
    breaking_spec_changes: int = 0


def assess(inputs: Inputs) -> dict[str, Any]:
    """Regenerate, diff and check the facade; return a JSON-ready dict."""
    with tempfile.TemporaryDirectory(prefix="spec-diff-") as tmp:
        work = Path(tmp)
        package = _package_name(inputs.new_config)
        generated: dict[str, Any] = {"package": package}
        old_dir, old_err = _generate(inputs.old_spec, inputs.old_config, work / "old", package)
        new_dir, new_err = _generate(inputs.new_spec, inputs.new_config, work / "new", package)
        old_pkg = new_pkg = None
        if old_err or new_err:
            generated["status"] = "failed"
            generated["error"] = "; ".join(
                e
                for e in (old_err and f"old spec: {old_err}", new_err and f"new spec: {new_err}")
                if e
            )
        else:
            old_pkg, new_pkg = _load(package, old_dir), _load(package, new_dir)
            generated["status"] = "ok"
            generated["breaking"] = [_breakage(b) for b in _breakages(old_pkg, new_pkg)]
            generated["added"] = _outermost(_public_paths(new_pkg) - _public_paths(old_pkg))
        gen_dirs = (None if old_err else old_dir, None if new_err else new_dir)
        facade = _facade(inputs, work, gen_dirs, (old_pkg, new_pkg))
    verdict, reasons, notes = _verdict(inputs, generated, facade)
    return {
        "generated": generated,
        "facade": facade,
        "callers_affected": verdict,
        "reasons": reasons,
        "notes": notes,
    }


# -- regeneration -------------------------------------------------------------------


def _package_name(config_text: str) -> str:
    try:
        config = yaml.safe_load(config_text) or {}
    except yaml.YAMLError:
        return GENERATED_PACKAGE
    return str(config.get("package_name_override") or GENERATED_PACKAGE)


def media_aliases(config_text: str) -> dict[str, str]:
    """The generator's ``content_type_overrides``: media types it parses as another."""
    try:
        config = yaml.safe_load(config_text) or {}
    except yaml.YAMLError:
        return {}
    overrides = config.get("content_type_overrides") if isinstance(config, dict) else None
    return {str(k): str(v) for k, v in (overrides or {}).items()}


def generator_command() -> Path | None:
    """The pinned openapi-python-client next to the running interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / "openapi-python-client"
    return candidate if candidate.exists() else None


def _generate(spec: str, config: str, where: Path, package: str) -> tuple[Path, str]:
    """Generate ``package`` into ``where``; returns (parent dir for sys.path, error or "")."""
    where.mkdir(parents=True)
    (where / "openapi.yaml").write_text(spec, encoding="utf-8")
    (where / "generator-config.yml").write_text(config, encoding="utf-8")
    out = where / "src"
    out.mkdir()
    exe = generator_command()
    if exe is None:
        return out, f"openapi-python-client not found next to {sys.executable}"
    env = dict(os.environ)
    # The generator's post-hooks run `ruff` from PATH: make it the pinned one.
    env["PATH"] = f"{exe.parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(exe),
        "generate",
        "--path",
        "openapi.yaml",
        "--config",
        "generator-config.yml",
        "--meta",
        "none",
        "--output-path",
        str(out / package),
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=where, env=env, capture_output=True, text=True, timeout=_GENERATE_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return out, "the generator timed out"
    if proc.returncode != 0 or not (out / package / "__init__.py").exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return out, "generation failed: " + " | ".join(tail)
    return out, ""


def _load(package: str, search_path: Path) -> griffe.Object:
    # A fresh collection per load: the two versions share module names.
    obj = griffe.load(
        package,
        search_paths=[search_path],
        modules_collection=griffe.ModulesCollection(),
        lines_collection=griffe.LinesCollection(),
        allow_inspection=False,
    )
    assert isinstance(obj, griffe.Object)
    return obj


# -- API diff ------------------------------------------------------------------------


def _breakages(old: griffe.Object, new: griffe.Object) -> list[griffe.Breakage]:
    try:
        return list(griffe.find_breaking_changes(old, new))
    except Exception as exc:  # griffe can fail on exotic code; report rather than crash
        return [_FailedBreakage(old, str(exc))]


class _FailedBreakage(griffe.Breakage):
    kind = griffe.BreakageKind.OBJECT_CHANGED_KIND

    def __init__(self, obj: griffe.Object, error: str) -> None:
        super().__init__(obj, "", "", details=f"griffe could not compare: {error}")


def _short(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, griffe.Parameter):
        return value.name + (f"={value.default}" if value.default is not None else "")
    if isinstance(value, griffe.Object | griffe.Alias):
        return value.kind.value if not value.is_alias else "alias"
    return str(value)


def _breakage(b: griffe.Breakage) -> dict[str, Any]:
    """One griffe breakage as kind / object / old -> new, plus a sentence."""
    old, new = _short(b.old_value), _short(b.new_value)
    path = b.obj.path
    sentence = f"{path}: {b.kind.value}"
    if b.kind is griffe.BreakageKind.OBJECT_REMOVED:
        sentence = f"{path} ({old}) was removed"
    elif old or new:
        sentence += f" ({old or '-'} -> {new or '-'})"
    if b.details:
        sentence += f"; {b.details}"
    return {
        "kind": b.kind.name.lower(),
        "object": path,
        "old": old,
        "new": new,
        "explanation": sentence,
    }


def _public_paths(obj: griffe.Object) -> set[str]:
    """Paths of the public objects defined (not just imported) in a package."""
    out: set[str] = set()
    stack: list[griffe.Object] = [obj]
    while stack:
        current = stack.pop()
        for name, member in current.members.items():
            if name.startswith("_") or member.is_alias:
                continue
            out.add(member.path)
            if member.is_module or member.is_class:
                stack.append(member)  # type: ignore[arg-type]
    return out


def _outermost(paths: set[str]) -> list[str]:
    """Added paths without those inside another added path (a new module, not its members)."""
    return sorted(p for p in paths if not any(p.startswith(q + ".") for q in paths))


# -- the facade ----------------------------------------------------------------------


def _facade(
    inputs: Inputs,
    work: Path,
    gen_dirs: tuple[Path | None, Path | None],
    packages: tuple[griffe.Object | None, griffe.Object | None],
) -> dict[str, Any]:
    """Check the working-tree facade: against its base revision, and against both clients.

    Every check also runs against the client generated from the *old* spec, so that a
    facade already broken before this change (work in progress) is reported as such and
    not blamed on the spec.
    """
    facade_root = inputs.repo_root / FACADE_DIR
    out: dict[str, Any] = {
        "package": FACADE_PACKAGE,
        "mode": "base" if inputs.base_rev else "new-generated",
    }
    if not (facade_root / FACADE_PACKAGE / "__init__.py").exists():
        out["status"] = "absent"
        out["note"] = (
            f"{FACADE_DIR}/{FACADE_PACKAGE} does not exist in the working tree; nothing to check"
        )
        return out
    out["status"] = "checked"
    if inputs.base_rev:
        out["base"] = _facade_against_base(inputs, work, facade_root)
    used = sorted(
        generated_names_used(facade_root / FACADE_PACKAGE, _package_name(inputs.new_config))
    )
    out["uses_generated"] = used
    old_pkg, new_pkg = packages
    if new_pkg is not None:
        out["missing_generated_names"] = [n for n in used if not exists(new_pkg, n)]
        out["already_missing_before"] = [
            n
            for n in out["missing_generated_names"]
            if old_pkg is not None and not exists(old_pkg, n)
        ]
    old_gen, new_gen = gen_dirs
    if new_gen is not None:
        out["import_check"] = _import_check(facade_root, new_gen)
        if not out["import_check"]["ok"] and old_gen is not None:
            out["import_check_old_client"] = _import_check(facade_root, old_gen)
    return out


def _facade_against_base(inputs: Inputs, work: Path, facade_root: Path) -> dict[str, Any]:
    rev = inputs.base_rev or ""
    target = work / "base-facade"
    target.mkdir()
    proc = subprocess.run(
        ["git", "archive", "--format=tar", rev, f"{FACADE_DIR}/{FACADE_PACKAGE}"],
        cwd=inputs.repo_root,
        capture_output=True,
        timeout=60,
    )
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        return {
            "status": "absent",
            "note": f"{FACADE_DIR}/{FACADE_PACKAGE} does not exist at {rev}"
            + (f" ({msg[-1]})" if msg else ""),
        }
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(target, filter="data")
    try:
        old = _load(FACADE_PACKAGE, target / FACADE_DIR)
        new = _load(FACADE_PACKAGE, facade_root)
    except Exception as exc:
        return {"status": "failed", "note": f"griffe could not load the facade: {exc}"}
    return {
        "status": "ok",
        "revision": rev,
        "breaking": [_breakage(b) for b in _breakages(old, new)],
        "added": _outermost(_public_paths(new) - _public_paths(old)),
    }


_IMPORT_SNIPPET = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    facade, generated, facade_pkg, gen_pkg = sys.argv[1:5]
    # The editable install maps both packages to the working tree through a meta-path
    # finder, which would win over sys.path: drop it so the regenerated package is used.
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not getattr(f, "__module__", "").startswith("__editable__")]
    sys.path[:0] = [facade, generated]
    pkg = importlib.import_module(facade_pkg)
    gen = importlib.import_module(gen_pkg)
    if not gen.__file__.startswith(generated):
        raise SystemExit(f"{gen_pkg} was imported from {gen.__file__}, not the regenerated copy")
    for info in pkgutil.walk_packages(pkg.__path__, facade_pkg + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(info.name)
    print("ok")
    """
)


def _import_check(facade_root: Path, new_gen: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-c",
        _IMPORT_SNIPPET,
        str(facade_root),
        str(new_gen),
        FACADE_PACKAGE,
        GENERATED_PACKAGE,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=new_gen)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "import timed out"}
    if proc.returncode == 0:
        return {"ok": True}
    lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
    return {"ok": False, "error": lines[-1] if lines else f"exit status {proc.returncode}"}


# -- verdict --------------------------------------------------------------------------


def _verdict(
    inputs: Inputs, generated: dict[str, Any], facade: dict[str, Any]
) -> tuple[bool, list[str], list[str]]:
    """``(callers affected, reasons, notes)``: reasons decide the verdict; notes are
    problems that exist without this change (for example a half-written facade)."""
    reasons: list[str] = []
    notes: list[str] = []
    if inputs.breaking_spec_changes:
        reasons.append(
            f"{inputs.breaking_spec_changes} breaking change(s) on the wire: requests that old "
            "clients send or responses they parse may fail at run time, whatever the Python "
            "API says"
        )
    base = facade.get("base") or {}
    if base.get("breaking"):
        reasons.append(
            f"the facade's public API breaks against {base.get('revision')}: "
            + _listing(b["explanation"] for b in base["breaking"])
        )
    check = facade.get("import_check") or {"ok": True}
    before = facade.get("import_check_old_client") or {"ok": True}
    if not check["ok"] and before["ok"]:
        reasons.append(
            f"the facade no longer imports with the regenerated client: {check['error']}"
        )
    elif not check["ok"]:
        notes.append(
            "the facade does not import even with the client generated from the old spec, so "
            f"not because of this change: {check['error']}"
        )
    earlier = facade.get("already_missing_before", [])
    missing = [n for n in facade.get("missing_generated_names", []) if n not in earlier]
    if missing:
        reasons.append(
            "the facade uses generated names the regenerated client no longer has: "
            + _listing(missing)
        )
    if earlier:
        notes.append("generated names the facade uses were missing already: " + _listing(earlier))
    used = facade.get("uses_generated", [])
    gen_breaks = generated.get("breaking", [])
    prefix = generated.get("package", GENERATED_PACKAGE) + "."
    touching = [b for b in gen_breaks if _touches(b["object"].removeprefix(prefix), used)]
    if touching:
        reasons.append(
            "generated API the facade uses changed: " + _listing(b["explanation"] for b in touching)
        )
    others = [b for b in gen_breaks if b not in touching]
    if others:
        reasons.append(
            f"{len(others)} breaking change(s) in {generated.get('package')} itself, for callers "
            "importing it directly: " + _listing(b["explanation"] for b in others)
        )
    if generated.get("status") == "failed":
        reasons.append(
            f"could not regenerate the client ({generated.get('error')}): code impact unknown"
        )
    if reasons:
        return True, reasons, notes
    reasons.append("no breaking spec changes")
    if generated.get("status") == "ok":
        reasons.append(f"no breaking changes in the regenerated {generated.get('package')}")
    if facade.get("status") == "checked":
        reasons.append("every generated name the facade uses still exists")
        if check["ok"]:
            reasons.append("the facade imports with the regenerated client")
    if base.get("status") == "ok":
        reasons.append(f"no facade API breakages against {base.get('revision')}")
    return False, reasons, notes


def _touches(obj: str, used: Iterable[str]) -> bool:
    return any(u == obj or u.startswith(obj + ".") or obj.startswith(u + ".") for u in used)


def _listing(items: Iterable[str], limit: int = 6) -> str:
    items = list(items)
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")
