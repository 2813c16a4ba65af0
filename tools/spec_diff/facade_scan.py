"""Which names of the generated package the facade uses, read from its source.

The facade is checked against a regenerated client without running it: every
name it imports from ``stability_v1alpha_api``, every attribute it reads on
those names, and the modules it loads through ``importlib.import_module`` with
a name built from a module-level table (how ``_generated.py`` finds the
operation modules) are collected, then looked up in the regenerated package
with griffe.
"""

from __future__ import annotations

import ast
from pathlib import Path

import griffe

GENERATED_PACKAGE = "stability_v1alpha_api"


def generated_names_used(package_dir: Path, generated: str = GENERATED_PACKAGE) -> set[str]:
    """Dotted names of the generated package that the facade's modules refer to.

    Reads ``from stability_v1alpha_api.x import y``, ``import stability_v1alpha_api.x as m``,
    dynamic imports (``importlib.import_module(f"stability_v1alpha_api.api.{TABLE[op]}")``
    where ``TABLE`` is a module-level dict of strings) and attribute chains on any of those
    names (``m.sync_detailed``, ``models.FinishReason``). Names are relative to the
    package root, e.g. ``api.v1alphageneration.text_to_image._get_kwargs``.
    """
    used: set[str] = set()
    for path in sorted(package_dir.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        used |= _NameScanner(tree, generated).scan()
    return {u for u in used if u}


class _NameScanner:
    """Collects the generated names one facade module uses (see :func:`generated_names_used`)."""

    def __init__(self, tree: ast.Module, generated: str) -> None:
        self.tree = tree
        self.prefix = generated + "."
        self.generated = generated
        self.aliases: dict[str, list[str]] = {}  # local name -> generated paths it may stand for
        self.tables = {
            t.id: [
                v.value
                for v in node.value.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
            for t in node.targets
            if isinstance(t, ast.Name)
        }

    def scan(self) -> set[str]:
        used: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == self.generated or node.module.startswith(self.prefix):
                    base = node.module[len(self.prefix) :] if node.module != self.generated else ""
                    for a in node.names:
                        full = f"{base}.{a.name}" if base else a.name
                        self.aliases[a.asname or a.name] = [full]
                        used.add(full)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith(self.prefix):
                        rel = a.name[len(self.prefix) :]
                        used.add(rel)
                        if a.asname:
                            self.aliases[a.asname] = [rel]
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                modules = self._dynamic_import(node.value)
                if modules:
                    self.aliases[node.targets[0].id] = modules
                    used.update(modules)
        inner = {id(n.value) for n in ast.walk(self.tree) if isinstance(n, ast.Attribute)}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and id(node) not in inner:  # whole chains only
                chain = _attr_chain(node)
                if chain and chain[0] in self.aliases:
                    used.update(".".join([base, *chain[1:]]) for base in self.aliases[chain[0]])
        return used

    def _dynamic_import(self, value: ast.expr) -> list[str]:
        """Modules named by ``importlib.import_module(<str or f-string>)``, if resolvable."""
        if not (isinstance(value, ast.Call) and value.args):
            return []
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name != "import_module":
            return []
        return [
            m[len(self.prefix) :] for m in self._strings(value.args[0]) if m.startswith(self.prefix)
        ]

    def _strings(self, expr: ast.expr) -> list[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value]
        if not isinstance(expr, ast.JoinedStr):
            return []
        results = [""]
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                results = [r + part.value for r in results]
                continue
            inner = part.value if isinstance(part, ast.FormattedValue) else None
            options: list[str] = []
            if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name):
                options = self.tables.get(inner.value.id, [])
            if not options:
                # Unknown piece: keep what is certain, the package path before it.
                return [r.rstrip(".") for r in results if r.rstrip(".")]
            results = [r + o for r in results for o in options]
        return results


def _attr_chain(node: ast.Attribute) -> list[str]:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name):
        parts.append(current.id)
        return parts[::-1]
    return []


# Attributes a generated class gets from its bases (str/int enums, object), which a
# static view of the package does not list.
_INHERITED = frozenset(dir(str)) | frozenset(dir(int)) | frozenset(dir(object)) | {"name", "value"}


def exists(pkg: griffe.Object, dotted: str) -> bool:
    """Whether ``dotted`` resolves in the package. Stops at attributes and functions
    (``FinishReason.SUCCESS.value`` only needs ``FinishReason.SUCCESS``) and at names
    imported from elsewhere, which cannot be checked statically."""
    current: griffe.Object | griffe.Alias = pkg
    for part in dotted.split("."):
        if current.is_alias:
            try:
                current = current.final_target  # type: ignore[union-attr]
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                return True
        if not (current.is_module or current.is_class):
            return True
        if part in current.members:
            current = current.members[part]
        else:
            return bool(current.is_class and part in _INHERITED)
    return True


def public_modules(package_dir: Path) -> dict[str, Path]:
    """Public submodules of the facade (dotted, relative to the package) and their files."""
    out: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts and not any(p.startswith("_") for p in parts):
            out[".".join(parts)] = path
    return out


def spec_dependent(package_dir: Path, generated: str = GENERATED_PACKAGE) -> set[str]:
    """The public submodules whose API a spec change can reach: those built on the generated
    package themselves. The package root, which re-exports the client API, always can; a
    module such as a demo or the fake server uses the facade or the spec file, not the
    generated types, so its API does not follow the spec."""
    return {
        name
        for name, path in public_modules(package_dir).items()
        if _uses_generated(path, generated)
    }


def _uses_generated(path: Path, generated: str) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return True  # cannot tell: keep it in view
    return bool(_NameScanner(tree, generated).scan())
