"""Result rows, the printed table and the JSON document.

Every case reports rows of one shape so the table and the JSON stay uniform:
what was measured (case, variant, metric), its median, its ratio to the
floor of the same case, and the target that ratio is held to. A row with no
target is context (the floor itself, or a figure shown for comparison).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Case", "Row", "median", "render_table"]


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values (a case that could not run)."""
    return statistics.median(values) if values else float("nan")


@dataclass
class Row:
    """One measured figure."""

    variant: str
    metric: str
    value: float
    unit: str
    ratio: float | None = None
    # "<= 1.05" / ">= 0.90": the bound the ratio is held to, if any.
    target: str | None = None
    samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        op, bound = self.target.split()
        return self.ratio <= float(bound) if op == "<=" else self.ratio >= float(bound)


@dataclass
class Case:
    """One numbered case of the benchmark, with its rows and notes."""

    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            item = asdict(row)
            item["met"] = row.met
            rows.append(_finite(item))
        return {
            "case": self.number,
            "title": self.title,
            "settings": self.settings,
            "rows": rows,
            "notes": self.notes,
            "targets_met": _all_met(self.rows),
        }


def _finite(value: Any) -> Any:
    """NaN (a figure that could not be measured) becomes null: JSON has no NaN."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _all_met(rows: Sequence[Row]) -> bool | None:
    verdicts = [row.met for row in rows if row.met is not None]
    return all(verdicts) if verdicts else None


def _value(row: Row) -> str:
    if row.value != row.value:  # NaN
        return "n/a"
    if row.unit == "ms":
        return f"{row.value:.3f} ms" if row.value < 10 else f"{row.value:.1f} ms"
    if row.unit == "s":
        return f"{row.value:.3f} s"
    if row.unit == "MiB":
        return f"{row.value:.2f} MiB"
    if row.unit == "us":
        return f"{row.value:.0f} us"
    return f"{row.value:.3g} {row.unit}".strip()


def render_table(cases: Sequence[Case], markdown: bool = True) -> str:
    """One table for every case (Markdown, so it pastes into the README), then the notes."""
    header = ["case", "variant", "metric", "median", "ratio", "target", "met"]
    lines = [header]
    for case in cases:
        for row in case.rows:
            ratio = "" if row.ratio is None else f"{row.ratio:.3f}"
            met = {None: "", True: "yes", False: "NO"}[row.met]
            lines.append(
                [
                    f"{case.number}. {case.title}",
                    row.variant,
                    row.metric,
                    _value(row),
                    ratio,
                    row.target or "",
                    met,
                ]
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        out.append("| " + " | ".join(cells) + " |")
        if index == 0:
            out.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    notes = [f"{case.number}. {note}" for case in cases for note in case.notes]
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(f"- {note}" for note in notes)
    return "\n".join(out)
