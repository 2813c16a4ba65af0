"""Human messages on stderr, and saving a generation's images to disk.

stdout is reserved for ``--json``, so a script can read it whatever happens;
everything meant for a person goes to stderr through :class:`Console`,
which also removes the API key from anything it prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from .._models import FinishReason
from .errors import failure_from
from .naming import STDOUT, Destination
from .parser import redact
from .report import Failure, Job, Report, SavedImage

if TYPE_CHECKING:
    from .._models import Generation

__all__ = ["Console", "describe_saved", "is_flagged", "save_generation"]


class Console:
    """Writes human messages to ``stream`` (stderr), never showing a secret."""

    def __init__(
        self, stream: TextIO, *, quiet: bool, secrets: Sequence[str], debug: bool = False
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.secrets = tuple(secrets)
        self.debug = debug

    @property
    def is_terminal(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def write(self, text: str) -> None:
        """Raw text, as given (the progress bar draws with this)."""
        self.stream.write(redact(text, self.secrets))
        self.stream.flush()

    def info(self, message: str) -> None:
        if not self.quiet:
            self.write(message + "\n")

    def warning(self, message: str) -> None:
        self.write(f"warning: {message}\n")

    def error(self, message: str) -> None:
        self.write(f"error: {message}\n")

    def traceback(self, error: BaseException) -> None:
        """The full traceback of ``error``, only with ``--debug``."""
        if self.debug:
            import traceback

            self.write("".join(traceback.format_exception(error)))


def save_generation(
    generation: Generation,
    job: Job,
    destination: Destination,
    *,
    samples: int,
    overwrite: bool,
    report: Report,
) -> tuple[list[SavedImage], list[Failure]]:
    """Write every image of ``generation`` and record each outcome in ``report``.

    Each image is written atomically (complete or absent, even on Ctrl-C) and
    an existing file is replaced only with ``overwrite``; an image that cannot
    be written is a failure of its own, the others are still saved. With
    ``--out -`` the one image goes to stdout.
    """
    saved: list[SavedImage] = []
    failures: list[Failure] = []
    for index, image in enumerate(generation.images, start=1):
        path = destination.name_for(job, image.seed, index, samples)
        try:
            if destination.to_stdout:
                sys.stdout.buffer.write(image.data)
                sys.stdout.buffer.flush()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                image.save(path, overwrite=overwrite)
        except OSError as exc:
            failure = failure_from(exc, job, path=path)
            report.failed(failure)
            failures.append(failure)
            continue
        record = SavedImage(job, path, image.seed, image.finish_reason, image.content_filtered)
        report.saved(record)
        saved.append(record)
    report.job_done(job)
    return saved, failures


def is_flagged(image: SavedImage) -> bool:
    """True for an image that did not finish normally (content filter, error)."""
    return image.finish_reason != FinishReason.SUCCESS


def describe_saved(image: SavedImage) -> str:
    """``saved cat-42.png (seed 42)``, flagged when the safety filter hit it."""
    if image.path == STDOUT:
        text = f"wrote the PNG to stdout (seed {image.seed})"
    else:
        text = f"saved {image.path} (seed {image.seed})"
    if image.content_filtered:
        text += " [CONTENT FILTERED: the service may have blurred this image]"
    elif is_flagged(image):
        text += f" [finish reason {image.finish_reason}]"
    return text
