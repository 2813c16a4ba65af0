"""Renderers for a :class:`~.model.Report`: text for terminals, markdown for PR comments, JSON.

All three show the same content in the same order: a summary by level, the
changes grouped by level and then by operation, the rule explanations for
rules where we deliberately differ from oasdiff, and the code impact with the
"Callers affected" verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .facade_run import call_name, grouped
from .model import Change, Level, Report

_TITLES = {Level.BREAKING: "Breaking", Level.WARNING: "Warnings", Level.INFO: "Info"}
_API_WIDE = "API-wide"


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)


def _by_operation(changes: list[Change]) -> Iterator[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {}
    for c in changes:
        groups.setdefault(c.operation or _API_WIDE, []).append(c)
    yield from groups.items()


def _notes(changes: list[Change]) -> dict[str, str]:
    """Rule id -> why, once per rule, for the rules that explain themselves."""
    return {c.id: c.why for c in changes if c.why}


def _summary_line(report: Report) -> str:
    s = report.summary
    return f"{s['breaking']} breaking, {s['warning']} warning(s), {s['info']} info"


# -- text ------------------------------------------------------------------------------


def _compared(report: Report) -> list[str]:
    """``Base: ...`` and ``Head: ...``: what was compared, and why that."""
    out = []
    for title, side, label in (
        ("Base", report.base, report.old_label),
        ("Head", report.head, report.new_label),
    ):
        chosen = side.get("chosen")
        out.append(f"{title}: {label}" + (f" ({chosen})" if chosen and chosen != "file" else ""))
    return out


def render_text(report: Report) -> str:
    lines = [
        f"OpenAPI spec diff: {report.old_label} -> {report.new_label}",
        *_compared(report),
        _summary_line(report),
        "",
    ]
    if not report.changes:
        lines += ["No changes.", ""]
    for level in Level:
        changes = [c for c in report.changes if c.level is level]
        if not changes:
            continue
        lines.append(f"{_TITLES[level].upper()} ({len(changes)})")
        for operation, group in _by_operation(changes):
            lines.append(f"  {operation}")
            for c in group:
                lines.append(f"    [{c.id}] {c.message}")
                lines.append(f"      at {c.location}")
        for rule_id, why in _notes(changes).items():
            lines.append(f"  why {rule_id}: {why}")
        lines.append("")
    if report.code_impact is not None:
        lines += _impact_text(report.code_impact)
    return "\n".join(lines).rstrip() + "\n"


def _impact_text(impact: dict[str, Any]) -> list[str]:
    lines = ["CODE IMPACT"]
    gen = impact["generated"]
    if gen.get("status") == "ok":
        lines.append(
            f"  Regenerated {gen['package']}: {len(gen['breaking'])} breaking API change(s), "
            f"{len(gen['added'])} public object(s) added"
        )
        lines += [f"    - {b['explanation']}" for b in gen["breaking"]]
        lines += [f"    + {name}" for name in gen["added"]]
    else:
        lines.append(f"  Regenerating {gen['package']} failed: {gen.get('error')}")
    lines += [f"  {line}" for line in _facade_lines(impact["facade"])]
    verdict = _facade_verdict(impact)
    if verdict:
        lines.append(verdict)
    lines.append(f"Callers affected: {'yes' if impact['callers_affected'] else 'no'}")
    lines += [f"  - {r}" for r in impact["reasons"]]
    lines += [f"  note: {n}" for n in impact.get("notes", [])]
    return lines


def _facade_lines(facade: dict[str, Any]) -> list[str]:
    if facade.get("status") == "absent":
        return [f"Facade: {facade['note']}"]
    lines: list[str] = []
    base = facade.get("base")
    if base is not None:
        if base.get("status") == "ok":
            skipped = base.get("not_compared")
            lines.append(
                f"Facade public API vs {base['revision']}: "
                f"{len(base['breaking'])} breaking change(s), "
                f"{len(base['added'])} public object(s) added"
                + (
                    f" (not built on the generated client, so not compared: {', '.join(skipped)})"
                    if skipped
                    else ""
                )
            )
            lines += [f"  - {b['explanation']}" for b in base["breaking"]]
            lines += [f"  + {name}" for name in base["added"]]
        else:
            lines.append(f"Facade public API vs base: {base.get('note')}")
    check = facade.get("import_check")
    if check is not None:
        state = "imports fine" if check["ok"] else f"FAILS to import: {check.get('error')}"
        before = facade.get("import_check_old_client")
        if before is not None:
            state += " (and with the old client: " + (
                "imports fine)" if before["ok"] else "fails too)"
            )
        lines.append(f"Facade with the regenerated client: {state}")
    lines += _run_lines(facade)
    used = facade.get("uses_generated", [])
    missing = facade.get("missing_generated_names", [])
    lines.append(
        f"Facade uses {len(used)} generated name(s); missing in the regenerated client: "
        + (", ".join(missing) if missing else "none")
    )
    return lines


def _run_lines(facade: dict[str, Any]) -> list[str]:
    """The facade calls made on the regenerated client, failures one per line."""
    if facade.get("run_error"):
        return [f"Facade calls on the regenerated client: not run ({facade['run_error']})"]
    run = facade.get("run")
    if not run:
        return []
    failed = [r for r in run if not r["ok"]]
    before = set(facade.get("failing_before", []))
    lines = [
        f"Facade calls on the regenerated client (fake server, new spec): "
        f"{len(run) - len(failed)} of {len(run)} work ({facade.get('run_seconds', 0):.1f} s)"
    ]
    lines += [f"  x {line}" for line in grouped(r for r in failed if call_name(r) not in before)]
    lines += [
        f"  x {line} (fails with the old client too)"
        for line in grouped(r for r in failed if call_name(r) in before)
    ]
    return lines


def _facade_verdict(impact: dict[str, Any]) -> str | None:
    facade = impact["facade"]
    run = facade.get("run")
    if not run:
        return None
    broken = impact.get("facade_breaks", [])
    if not broken:
        return "The facade works: every public call succeeds with the regenerated client"
    verdict = "The facade breaks: " + ", ".join(broken)
    before = set(facade.get("failing_before", []))
    if all(call_name(r) in before for r in run if not r["ok"]):
        verdict += " (with the client of the old spec too, so not because of this change)"
    return verdict


# -- markdown --------------------------------------------------------------------------


def render_markdown(report: Report) -> str:
    s = report.summary
    lines = [
        f"## OpenAPI spec diff: `{report.old_label}` → `{report.new_label}`",
        "",
        *(f"{_md(line)}  " for line in _compared(report)),
        "",
        "| Level | Changes |",
        "| --- | ---: |",
        f"| Breaking | {s['breaking']} |",
        f"| Warning | {s['warning']} |",
        f"| Info | {s['info']} |",
        "",
    ]
    if report.code_impact is not None:
        verdict = "yes" if report.code_impact["callers_affected"] else "no"
        lines += [f"**Callers affected: {verdict}**", ""]
    if not report.changes:
        lines += ["No changes.", ""]
    for level in Level:
        changes = [c for c in report.changes if c.level is level]
        if not changes:
            continue
        body = []
        for operation, group in _by_operation(changes):
            body.append(f"- **{operation}**")
            body += [f"  - `{c.id}`: {_md(c.message)}" for c in group]
        notes = _notes(changes)
        if notes:
            body.append("")
            body += [f"> **Why `{rule_id}`:** {_md(why)}" for rule_id, why in notes.items()]
        title = f"{_TITLES[level]} ({len(changes)})"
        if level is Level.INFO:  # long and harmless: fold it away in a PR comment
            lines += [f"<details><summary>{title}</summary>", "", *body, "", "</details>", ""]
        else:
            lines += [f"### {title}", "", *body, ""]
    if report.code_impact is not None:
        lines += _impact_markdown(report.code_impact)
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _impact_markdown(impact: dict[str, Any]) -> list[str]:
    lines = ["### Code impact", ""]
    gen = impact["generated"]
    if gen.get("status") == "ok":
        lines.append(
            f"Regenerated `{gen['package']}`: {len(gen['breaking'])} breaking API change(s), "
            f"{len(gen['added'])} public object(s) added."
        )
        lines += [f"- ❌ {_md(b['explanation'])}" for b in gen["breaking"]]
        if gen["added"]:
            lines += ["", "<details><summary>Added</summary>", ""]
            lines += [f"- `{name}`" for name in gen["added"]]
            lines += ["", "</details>"]
    else:
        lines.append(f"Regenerating `{gen['package']}` failed: {_md(str(gen.get('error')))}")
    lines.append("")
    for line in _facade_lines(impact["facade"]):
        if line.startswith(("  - ", "  x ")):
            lines.append(f"  - ❌ {_md(line[4:])}")
        elif line.startswith("  + "):
            lines.append(f"  - added `{line[4:]}`")
        else:
            lines.append(f"- {_md(line)}")
    verdict = _facade_verdict(impact)
    if verdict:
        lines += ["", f"**{_md(verdict)}**"]
    lines += ["", f"**Callers affected: {'yes' if impact['callers_affected'] else 'no'}**", ""]
    lines += [f"- {_md(r)}" for r in impact["reasons"]]
    lines += [f"- Note: {_md(n)}" for n in impact.get("notes", [])]
    return lines


# -- json -------------------------------------------------------------------------------


def render_json(report: Report) -> str:
    data = {
        "old": report.old_label,
        "new": report.new_label,
        "base": report.base,
        "head": report.head,
        "changes": [c.to_dict() for c in report.changes],
        "summary": report.summary,
        "code_impact": report.code_impact,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
