"""The batch journal: what a batch has made, so that ``--resume`` does not make it again.

A batch appends to ``batch-journal.jsonl`` in its output directory one JSON
object per line (the README documents the fields), each written in one
``write``, flushed and fsynced before the images it names are saved. A record
therefore means "these files were being written": the line is done once all
of them exist, which atomic writes make the same as "complete". A crash can
leave a last line cut short; it is dropped (and cut off the file) on resume.

A record is matched to a prompt by its line number and two SHA-256 hashes:
of the prompt text, and of every flag that changes the image.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .._files import fsync_directory
from .._png import PNGFormatError, check_png_header
from .report import Job, UsageError

__all__ = ["JOURNAL_NAME", "Journal", "Record", "ResumePlan", "fingerprint"]

JOURNAL_NAME = "batch-journal.jsonl"
FORMAT = 1
_PNG_HEAD = 33  # signature and IHDR: enough to tell a complete PNG's start


def fingerprint(job: Job, params: Mapping[str, Any], engine: str) -> tuple[str, str]:
    """SHA-256 of the prompt and of the image-changing flags (``engine``: the default)."""
    image_flags = {"operation": "text-to-image", "engine": engine, **params}
    canonical = json.dumps(image_flags, sort_keys=True, separators=(",", ":"))
    return _sha256(job.prompt), _sha256(canonical)


@dataclass(frozen=True, slots=True)
class Record:
    """One journal line: the images one prompt line was given."""

    line: int
    prompt_sha256: str
    params_sha256: str
    files: tuple[str, ...]
    seeds: tuple[int, ...]
    finish_reasons: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "line": self.line,
                "prompt_sha256": self.prompt_sha256,
                "params_sha256": self.params_sha256,
                "files": list(self.files),
                "seeds": list(self.seeds),
                "finish_reasons": list(self.finish_reasons),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: bytes) -> Record:
        """Read one line; ``ValueError`` says why it is not a record."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a format {FORMAT} record")
        record = cls(
            line=data["line"],
            prompt_sha256=data["prompt_sha256"],
            params_sha256=data["params_sha256"],
            files=tuple(data["files"]),
            seeds=tuple(data["seeds"]),
            finish_reasons=tuple(data["finish_reasons"]),
        )
        if not (
            isinstance(record.line, int)
            and all(isinstance(v, str) for v in (record.prompt_sha256, record.params_sha256))
            and all(isinstance(f, str) and f and Path(f).name == f for f in record.files)
            and len(record.files) == len(record.seeds) == len(record.finish_reasons)
        ):
            raise ValueError("a field has the wrong type")
        return record


@dataclass
class ResumePlan:
    """What a resumed batch does with each prompt line."""

    done: list[Job] = field(default_factory=list)
    todo: list[Job] = field(default_factory=list)
    # Lines generated again although the journal has them, and why.
    changed: dict[Job, str] = field(default_factory=dict)
    # Files of incomplete earlier sets, removed so that each line ends with one set.
    removed: list[Path] = field(default_factory=list)


class Journal:
    """The journal file of one output directory; opened for appending on first use."""

    def __init__(self, path: Path, records: Mapping[int, Record]) -> None:
        self.path = path
        self.records = dict(records)
        self._file: IO[bytes] | None = None

    @classmethod
    def open(cls, directory: Path, *, resume: bool) -> Journal:
        """The journal in ``directory``; one already there needs ``resume``.

        Raises :class:`UsageError` for a journal without ``resume`` (nothing
        is sent then) and for a line in it that is not a record.
        """
        path = directory / JOURNAL_NAME
        if not path.exists():
            return cls(path, {})
        if not resume:
            raise UsageError(
                f"{path} records an earlier batch into this directory: pass --resume to "
                "finish it (lines already done are skipped), or choose another --out"
            )
        return cls(path, _read(path))

    def plan(self, jobs: Sequence[Job], fingerprints: Mapping[Job, tuple[str, str]]) -> ResumePlan:
        """Sort ``jobs`` into done and to do; removes the files of incomplete sets."""
        plan = ResumePlan()
        directory = self.path.parent
        for job in jobs:
            record = self.records.get(job.line) if job.line is not None else None
            prompt, params = fingerprints[job]
            if record is None:
                plan.todo.append(job)
                continue
            if record.prompt_sha256 != prompt or record.params_sha256 != params:
                plan.todo.append(job)
                what = "prompt" if record.prompt_sha256 != prompt else "generation flags"
                plan.changed[job] = f"the {what} changed since the earlier run"
                continue
            present = [directory / name for name in record.files if _is_png(directory / name)]
            if len(present) == len(record.files):
                plan.done.append(job)
                continue
            plan.todo.append(job)
            for path in present:  # part of a set whose writing was cut short
                path.unlink()
                plan.removed.append(path)
        if self.records:
            self._remove_partial_writes({name for r in self.records.values() for name in r.files})
        return plan

    def append(self, record: Record) -> None:
        """Add ``record`` durably: written in one call, flushed and fsynced."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open for the batch
            if created:
                fsync_directory(self.path.parent)
        self._file.write(record.to_json().encode("utf-8") + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records[record.line] = record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _remove_partial_writes(self, names: set[str]) -> None:
        """Temporary files of image writes a crash cut short (``.NAME.XXXX.part``)."""
        with contextlib.suppress(OSError):
            for entry in self.path.parent.iterdir():
                name = entry.name
                if name.startswith(".") and name.endswith(".part"):
                    target = name[1 : -len(".part")].rsplit(".", 1)[0]
                    if target in names:
                        entry.unlink(missing_ok=True)


def _read(path: Path) -> dict[int, Record]:
    """Every record (the last one of a line wins); a cut-short last line is cut off."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the journal ({exc.strerror or exc})") from None
    complete, _, torn = data.rpartition(b"\n")
    if torn:
        with open(path, "r+b") as file:  # the next record must start on a line of its own
            file.truncate(len(complete) + 1 if complete else 0)
            os.fsync(file.fileno())
    records: dict[int, Record] = {}
    for number, text in enumerate(complete.split(b"\n") if complete else [], start=1):
        try:
            record = Record.from_json(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"{path}, line {number}: not a journal record ({exc}); "
                "repair or remove the file, or choose another --out"
            ) from None
        records[record.line] = record
    return records


def _is_png(path: Path) -> bool:
    try:
        with open(path, "rb") as file:
            check_png_header(file.read(_PNG_HEAD))
    except (OSError, PNGFormatError):
        return False
    return True


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
