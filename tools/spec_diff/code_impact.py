"""What a spec change does to the Python code: the generated client and the facade.

The spec diff says what changes on the wire; callers, though, see Python. This
module regenerates the low-level client from both spec versions with the
pinned generator (the same command as ``make generate``), diffs the two
packages' public API with griffe and their attrs model constructors with
:mod:`.model_fields`, and then checks the hand-written facade:

* with a base revision, the facade of that revision is extracted from git and
  its public API is griffe-diffed against the working tree's, for the modules
  a spec change can reach (:func:`.facade_scan.spec_dependent`);
* in every mode, the working-tree facade is run on the *new* generated package
  against the fake server serving the new spec (:mod:`.facade_run`), and the
  generated names it uses (found by reading its imports and attribute
  accesses) are looked up in the new package.

It ends in a plain verdict, ``callers_affected``, with the reasons, and the
facade methods that break (``facade_breaks``).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe
import yaml

from .facade_run import call_name, grouped, run_facade
from .facade_scan import (
    GENERATED_PACKAGE,
    exists,
    generated_names_used,
    public_modules,
    spec_dependent,
)
from .model_fields import covered_paths, field_breakages
from .sources import SPEC_FILE

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
        with ThreadPoolExecutor(max_workers=2) as pool:  # the generator is single-threaded
            old_job = pool.submit(
                _generate, inputs.old_spec, inputs.old_config, work / "old", package
            )
            new_job = pool.submit(
                _generate, inputs.new_spec, inputs.new_config, work / "new", package
            )
            old, new = old_job.result(), new_job.result()
        warnings = [
            f"{label} spec: {g.warnings}" for label, g in (("old", old), ("new", new)) if g.warnings
        ]
        if warnings:
            generated["warnings"] = warnings
        old_pkg = new_pkg = None
        if old.error or new.error:
            generated["status"] = "failed"
            generated["error"] = "; ".join(
                f"{label} spec: {g.error}" for label, g in (("old", old), ("new", new)) if g.error
            )
        else:
            old_pkg, new_pkg = _load(package, old.path), _load(package, new.path)
            generated["status"] = "ok"
            generated["breaking"] = _generated_breakages(old_pkg, new_pkg)
            generated["added"] = _outermost(_public_paths(new_pkg) - _public_paths(old_pkg))
        gen_dirs = (None if old.error else old.path, None if new.error else new.path)
        facade = _facade(inputs, work, gen_dirs, (old_pkg, new_pkg))
    verdict, reasons, notes = _verdict(inputs, generated, facade)
    return {
        "generated": generated,
        "facade": facade,
        "callers_affected": verdict,
        "facade_breaks": _broken_methods(facade),
        "reasons": reasons,
        "notes": notes,
    }


def _generated_breakages(old: griffe.Object, new: griffe.Object) -> list[dict[str, Any]]:
    """griffe's API diff plus the attrs constructor changes it cannot see (one verdict each)."""
    covered = covered_paths(old, new)
    found = [_breakage(b) for b in _breakages(old, new) if b.obj.path not in covered]
    return found + field_breakages(old, new)


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


@dataclass(frozen=True)
class _Generated:
    path: Path  # the directory to put on sys.path
    error: str = ""
    warnings: str = ""


def _generate(spec: str, config: str, where: Path, package: str) -> _Generated:
    """Generate ``package`` into ``where/src`` with the pinned generator and ``config``."""
    where.mkdir(parents=True)
    (where / SPEC_FILE).write_text(spec, encoding="utf-8")
    (where / "generator-config.yml").write_text(config, encoding="utf-8")
    out = where / "src"
    out.mkdir()
    exe = generator_command()
    if exe is None:
        return _Generated(out, f"openapi-python-client not found next to {sys.executable}")
    env = dict(os.environ)
    # The generator's post-hooks run `ruff` from PATH: make it the pinned one.
    env["PATH"] = f"{exe.parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(exe),
        "generate",
        "--path",
        SPEC_FILE,
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
        return _Generated(out, "the generator timed out")
    output = proc.stdout + "\n" + proc.stderr
    if proc.returncode != 0 or not (out / package / "__init__.py").exists():
        reason = generator_reason(output) or f"exit status {proc.returncode}"
        return _Generated(out, f"generation failed: {reason}")
    return _Generated(out, warnings=generator_reason(output) if "Warning" in output else "")


# Lines of the generator's output that carry no reason.
_BOILERPLATE = ("If you believe this was a mistake", "For further information visit", "Generating ")


def generator_reason(output: str, limit: int = 20) -> str:
    """The generator's explanation, without its banner and links, as one line."""
    lines = [ln.strip() for ln in output.splitlines()]
    kept = [ln for ln in lines if ln and not ln.startswith(_BOILERPLATE)]
    text = " | ".join(kept[:limit])
    return text + (f" | ... ({len(kept) - limit} more lines)" if len(kept) > limit else "")


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
        probe = run_facade(facade_root, new_gen, new_gen.parent / SPEC_FILE)
        out["import_check"] = probe["import_check"]
        out["run"] = probe["run"]
        out["run_seconds"] = probe["seconds"]
        if "server_error" in probe:
            out["run_error"] = probe["server_error"]
        broken = not all(r["ok"] for r in probe["run"]) or not probe["import_check"]["ok"]
        if broken and old_gen is not None:
            # Does the same facade fail with the client of the old spec? Then the
            # failure is not this change's doing (a half-written facade, say).
            before = run_facade(facade_root, old_gen, old_gen.parent / SPEC_FILE)
            out["import_check_old_client"] = before["import_check"]
            out["failing_before"] = [call_name(r) for r in before["run"] if not r["ok"]]
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
    package_dir = facade_root / FACADE_PACKAGE
    submodules = set(public_modules(package_dir)) | set(
        public_modules(target / FACADE_DIR / FACADE_PACKAGE)
    )
    in_scope = _spec_scope(
        submodules, spec_dependent(package_dir, _package_name(inputs.new_config))
    )
    return {
        "status": "ok",
        "revision": rev,
        "breaking": [b for b in map(_breakage, _breakages(old, new)) if in_scope(b["object"])],
        "added": [p for p in _outermost(_public_paths(new) - _public_paths(old)) if in_scope(p)],
        "not_compared": sorted(m for m in submodules if not in_scope(f"{FACADE_PACKAGE}.{m}")),
    }


def _spec_scope(submodules: set[str], dependent: set[str]) -> Callable[[str], bool]:
    """Whether a facade object's API can follow the spec: it lives in the package root
    (the client API) or in a public submodule built on the generated package."""

    def in_scope(path: str) -> bool:
        rel = path.removeprefix(FACADE_PACKAGE).lstrip(".")
        home = max(
            (m for m in submodules if rel == m or rel.startswith(m + ".")), key=len, default=""
        )
        return not home or any(home == d or home.startswith(d + ".") for d in dependent)

    return in_scope


def _broken_methods(facade: dict[str, Any]) -> list[str]:
    """Public methods with a call that fails on the regenerated client."""
    return list(dict.fromkeys(r["method"] for r in facade.get("run", []) if not r["ok"]))


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
    _run_verdict(facade, check["ok"], reasons, notes)
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
        if facade.get("run"):
            reasons.append(
                f"all {len(facade['run'])} facade calls work with the regenerated client "
                "against the fake server serving the new spec"
            )
    if base.get("status") == "ok":
        reasons.append(f"no facade API breakages against {base.get('revision')}")
    return False, reasons, notes


def _run_verdict(
    facade: dict[str, Any], imports: bool, reasons: list[str], notes: list[str]
) -> None:
    """What calling the facade on the regenerated client showed (an import failure is
    reported once, by the import check, not once per call)."""
    if facade.get("run_error") and imports:
        notes.append(
            f"could not run the facade against the new spec ({facade['run_error']}): "
            "whether its calls still work is unknown"
        )
    if not imports:
        return
    before = set(facade.get("failing_before", []))
    failed = [r for r in facade.get("run", []) if not r["ok"]]
    new = grouped(r for r in failed if call_name(r) not in before)
    old = grouped(r for r in failed if call_name(r) in before)
    if new:
        reasons.append("the facade breaks with the regenerated client: " + _listing(new))
    if old:
        notes.append(
            "facade calls that fail with the client of the old spec too, so not because of "
            "this change: " + _listing(old)
        )


def _touches(obj: str, used: Iterable[str]) -> bool:
    return any(u == obj or u.startswith(obj + ".") or obj.startswith(u + ".") for u in used)


def _listing(items: Iterable[str], limit: int = 6) -> str:
    items = list(items)
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")
