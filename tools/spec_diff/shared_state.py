"""The state one comparison shares between its walkers: both specs, the schema
walker, and where findings go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .loader import Spec
from .model import Finding
from .schema_diff import SchemaDiffer


@dataclass(frozen=True)
class SharedState:
    old: Spec
    new: Spec
    schemas: SchemaDiffer
    sink: Callable[[Finding], None]
    # The generator's content_type_overrides: media types it parses as another.
    media_aliases: Mapping[str, str]

    def emit(
        self,
        rule_id: str,
        operation: str | None,
        location: tuple[str, ...],
        message: str,
        where: tuple[str, ...] = (),
    ) -> None:
        self.sink(Finding(rule_id, operation, ".".join(map(str, location)), message, where))
