"""The few value types shared by the comparer, the rules table and the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How much a change matters to a client built on the old spec."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for sorting and for ``--fail-on``."""
        return {Level.INFO: 0, Level.WARNING: 1, Level.BREAKING: 2}[self]


class Side(StrEnum):
    """Which way the data flows. The same schema edit means opposite things on each side:
    narrowing what a server accepts breaks requests, widening what it may send breaks
    response parsing."""

    REQUEST = "request"
    RESPONSE = "response"
    NONE = "none"


@dataclass(frozen=True)
class Finding:
    """A detected difference, named by rule id but not yet classified.

    ``where`` lists the response statuses and media types the finding was seen
    under; findings that differ only there are merged before reporting, so a
    change to the shared ``Error`` schema is one line per operation, not one
    per status code.
    """

    rule_id: str
    operation: str | None
    location: str
    message: str
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A classified finding, as reported."""

    id: str
    level: Level
    side: Side
    operation: str | None
    location: str
    message: str
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "level": self.level.value,
            "side": self.side.value,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
        }
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class Report:
    """Everything one run found: classified spec changes and, optionally, code impact."""

    old_label: str
    new_label: str
    changes: list[Change] = field(default_factory=list)
    code_impact: dict[str, Any] | None = None
    # What was compared and why that: {"spec", "revision", "chosen"} each.
    base: dict[str, Any] = field(default_factory=dict)
    head: dict[str, Any] = field(default_factory=dict)

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level is level)

    @property
    def summary(self) -> dict[str, int]:
        return {level.value: self.count(level) for level in Level}

    def worst(self) -> Level | None:
        return max((c.level for c in self.changes), key=lambda lv: lv.rank, default=None)
