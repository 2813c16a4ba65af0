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

__all__ = [
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Job",
    "Report",
    "UsageError",
    "line_ranges",
]

EXIT_OK = 0
EXIT_API = 1  # API, network or file-system failure: worth retrying later
EXIT_USAGE = 2  # the command asked for something impossible: fix it first
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

Kind = Literal["api", "usage"]
# How a prompt of the run ended, as the summary counts them.
OUTCOMES = ("succeeded", "failed", "skipped", "not_run")


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
    """Every outcome of one run, in the order they happened.

    Each prompt ends in one of four states: *succeeded* (all its images
    saved), *failed* (a failure names it: a bad prompt, an API error, an image
    not saved), *skipped* (done by an earlier run, see ``--resume``) or *not
    run* (the run stopped first: a usage error, Ctrl-C). A failure that names
    no prompt (a bad flag, an existing output file) stops the whole run: its
    prompts are not run. So ``prompts == succeeded + failed + skipped + not_run``
    whatever happened.
    """

    jobs: list[Job] = field(default_factory=list)
    images: list[SavedImage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    finished: set[Job] = field(default_factory=set)
    resumed: set[Job] = field(default_factory=set)
    # Resumed lines generated again, with the reason (the prompt changed...).
    changed: dict[Job, str] = field(default_factory=dict)
    # Times a rate limit held the whole batch back.
    rate_limit_pauses: int = 0
    interrupted: bool = False

    def plan(self, jobs: Sequence[Job]) -> None:
        """The prompts this run is about, in file order."""
        self.jobs = list(jobs)

    @property
    def prompts(self) -> int:
        return len(self.jobs)

    def saved(self, image: SavedImage) -> None:
        self.images.append(image)

    def failed(self, failure: Failure) -> None:
        self.failures.append(failure)

    def job_done(self, job: Job) -> None:
        self.finished.add(job)

    def skipped(self, job: Job) -> None:
        self.resumed.add(job)

    def outcome(self, job: Job) -> str:
        """``succeeded``, ``failed``, ``skipped`` or ``not_run``."""
        if job in self._failed:
            return "failed"
        if job in self.resumed:
            return "skipped"
        return "succeeded" if job in self.finished else "not_run"

    @property
    def _failed(self) -> set[Job]:
        return {f.job for f in self.failures if f.job is not None}

    def lines(self, outcome: str) -> list[int | None]:
        """Line numbers of the prompts with ``outcome``, in file order."""
        return [job.line for job in self.jobs if self.outcome(job) == outcome]

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
        counts = {outcome: 0 for outcome in OUTCOMES}
        for job in self.jobs:
            counts[self.outcome(job)] += 1
        return {
            "prompts": self.prompts,
            **counts,
            "images": len(self.images),
            "content_filtered": sum(1 for i in self.images if i.content_filtered),
            "rate_limit_pauses": self.rate_limit_pauses,
            "interrupted": self.interrupted,
            "exit_code": self.exit_code(),
            "failed_lines": self.lines("failed"),
            "not_run_lines": self.lines("not_run"),
            "changed_lines": [job.line for job in self.jobs if job in self.changed],
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


def line_ranges(lines: Sequence[int | None]) -> str:
    """``3-7, 9, 12-13``: line numbers, runs of consecutive ones joined."""
    numbers = sorted(line for line in lines if line is not None)
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
