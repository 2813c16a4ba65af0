"""What a run produced: saved images, failures, the summary and the exit code.

One :class:`Report` collects every outcome as it happens, so an interrupted
batch still reports (and keeps) what finished. The same record is rendered
twice: as human lines on stderr and, with ``--json``, as the one JSON
document on stdout.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from .parser import redact

__all__ = ["EXIT_API", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "Job", "Report", "UsageError"]

EXIT_OK = 0
EXIT_API = 1  # API, network or file-system failure: worth retrying later
EXIT_USAGE = 2  # the command asked for something impossible: fix it first
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

Kind = Literal["api", "usage"]


class UsageError(Exception):
    """A problem with the command line or its inputs, found before spending anything."""


@dataclass(frozen=True, slots=True)
class Job:
    """One prompt to generate from; ``line`` is its line in ``--prompts-file``."""

    prompt: str
    line: int | None = None

    def label(self) -> str:
        """How messages refer to this job ("line 7"), empty for a lone prompt."""
        return "" if self.line is None else f"line {self.line}"


@dataclass(frozen=True, slots=True)
class SavedImage:
    """An image written to disk."""

    job: Job
    path: Path
    seed: int
    finish_reason: str
    content_filtered: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "seed": self.seed,
            "finish_reason": self.finish_reason,
            "content_filtered": self.content_filtered,
            "prompt": self.job.prompt,
            "line": self.job.line,
        }


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that did not happen: a prompt that failed or an image not saved."""

    job: Job | None
    kind: Kind
    type: str
    error: str
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": None if self.job is None else self.job.prompt,
            "line": None if self.job is None else self.job.line,
            "error": self.error,
            "type": self.type,
            "path": None if self.path is None else str(self.path),
        }

    def describe(self) -> str:
        """One line for a human: where, what kind, what went wrong."""
        where = self.job.label() if self.job is not None else ""
        return f"{where}: {self.error}" if where else self.error


@dataclass
class Report:
    """Every outcome of one run, in the order they happened."""

    prompts: int = 0
    images: list[SavedImage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    finished: set[Job] = field(default_factory=set)
    interrupted: bool = False

    def saved(self, image: SavedImage) -> None:
        self.images.append(image)

    def failed(self, failure: Failure) -> None:
        self.failures.append(failure)

    def job_done(self, job: Job) -> None:
        self.finished.add(job)

    @property
    def failed_jobs(self) -> int:
        return len({f.job for f in self.failures if f.job is not None})

    @property
    def succeeded_jobs(self) -> int:
        failed = {f.job for f in self.failures}
        return len(self.finished - failed)

    def exit_code(self) -> int:
        """130 if interrupted, else 1 for any API failure, 2 for usage problems, else 0."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        kinds = {f.kind for f in self.failures}
        if "api" in kinds:
            return EXIT_API
        if "usage" in kinds:
            return EXIT_USAGE
        return EXIT_OK

    def summary(self) -> dict[str, Any]:
        return {
            "prompts": self.prompts,
            "succeeded": self.succeeded_jobs,
            "failed": self.failed_jobs,
            "not_run": self.prompts - len(self.finished),
            "images": len(self.images),
            "content_filtered": sum(1 for i in self.images if i.content_filtered),
            "interrupted": self.interrupted,
            "exit_code": self.exit_code(),
        }

    def write_json(self, stream: TextIO, secrets: Sequence[str] = ()) -> None:
        """The one JSON document ``--json`` promises (ASCII, so any locale can print it).

        ``secrets`` are masked like in every other output, should a message quote one.
        """
        document = {
            "images": [i.to_json() for i in self.images],
            "failures": [f.to_json() for f in self.failures],
            "summary": self.summary(),
        }
        stream.write(redact(json.dumps(document, indent=2), secrets) + "\n")
        stream.flush()
