"""Where images go and what they are called.

``--out`` is read as follows (the README documents the same rules):

* an existing directory, or a path ending in ``/``: images go inside it;
* a batch (``--prompts-file``) always writes into a directory, created if needed;
* several samples and a path ending in ``.png``: ``NAME-1.png``, ``NAME-2.png``...;
* several samples and any other path: a directory, created if needed;
* one image: the path is the file name, given ``.png`` if it has another
  suffix or none; a name with another image format's suffix (``photo.jpg``)
  is refused: the service sends PNG bytes only;
* ``-`` with one image: the PNG bytes go to stdout.

Inside a directory the names are readable and stable: ``<slug>-<seed>.png``,
``<slug>-<seed>-<index>.png`` with several samples, and with a batch the
prompt's line number first (``0007-<slug>-<seed>.png``), so files sort in the
order of the prompts file and two equal prompts never share a name.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .report import Job, UsageError

__all__ = ["STDOUT", "Destination", "plan_destination", "refuse_existing", "slugify"]

# The --out value (and the saved path) that stands for standard output.
STDOUT = Path("-")

SLUG_MAX_LENGTH = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Names a viewer would open as another format, though the file would hold a PNG.
_OTHER_IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif", ".heic"}
)


def slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """A file-name-safe ASCII summary of a prompt: lowercase words joined by dashes.

    Accents are dropped rather than the letters (``café`` gives ``cafe``), and
    a long prompt is cut at a word boundary when one is near the limit.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = slug[:cut] if cut >= max_length // 2 else slug[:max_length]
        slug = slug.rstrip("-")
    return slug or "image"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the images of one command go: a directory, or a file name."""

    path: Path
    is_dir: bool
    line_width: int = 4

    @property
    def to_stdout(self) -> bool:
        return not self.is_dir and self.path == STDOUT

    def fixed_names(self, samples: int) -> list[Path] | None:
        """The file names when they do not depend on the seeds, else None.

        Known names are checked for collisions before anything is sent.
        """
        if self.is_dir:
            return None
        if self.to_stdout:
            return []
        return [self._numbered(index, samples) for index in range(1, samples + 1)]

    def predicted_names(self, job: Job, seed: int | None, samples: int) -> list[Path]:
        """The names known before the request (checked first), else an empty list.

        Besides fixed names, a single image with ``--seed`` is predictable:
        the service answers with the seed it was given.
        """
        fixed = self.fixed_names(samples)
        if fixed is not None:
            return fixed
        if seed is not None and samples == 1:
            return [self.name_for(job, seed, 1, 1)]
        return []

    def name_for(self, job: Job, seed: int, index: int, samples: int) -> Path:
        """The file for image ``index`` (1-based) of ``samples`` made for ``job``."""
        if not self.is_dir:
            return self._numbered(index, samples)
        parts = [] if job.line is None else [f"{job.line:0{self.line_width}d}"]
        parts += [slugify(job.prompt), str(seed)]
        if samples > 1 or index > 1:
            parts.append(str(index))
        return self.path / ("-".join(parts) + ".png")

    def _numbered(self, index: int, samples: int) -> Path:
        if samples == 1 and index == 1:
            return self.path
        return self.path.with_name(f"{self.path.stem}-{index}{self.path.suffix}")


def plan_destination(out: str | None, *, samples: int, batch_lines: int | None) -> Destination:
    """Read ``--out`` for a run of ``samples`` images per prompt.

    ``batch_lines`` is the last line number of a prompts file (None for one
    prompt); it sets the width of the line-number prefix. Raises
    :class:`UsageError` when ``--out`` cannot hold what the run produces.
    """
    width = max(4, len(str(batch_lines))) if batch_lines is not None else 4
    if out is None:
        return Destination(Path("."), True, width)
    if out == str(STDOUT):
        if batch_lines is not None or samples > 1:
            raise UsageError(
                "--out - writes one image to stdout; for several give a directory or NAME.png"
            )
        return Destination(STDOUT, False, width)
    path = Path(out).expanduser()
    if path.is_dir() or out.endswith(("/", os.sep)):
        return Destination(path, True, width)
    if path.suffix.lower() in _OTHER_IMAGE_SUFFIXES:
        raise UsageError(
            f"--out {out}: the service returns PNG images; give a .png name or a directory"
        )
    several = batch_lines is not None or samples > 1
    if not several:
        return Destination(
            path if _is_png_name(path) else path.with_name(path.name + ".png"), False, width
        )
    if batch_lines is not None and _is_png_name(path):
        raise UsageError(f"--out {out}: --prompts-file writes many files; give a directory")
    if batch_lines is None and _is_png_name(path):
        return Destination(path, False, width)
    if path.exists():
        raise UsageError(f"--out {out}: exists and is not a directory (needed for several images)")
    return Destination(path, True, width)


def _is_png_name(path: Path) -> bool:
    return path.suffix.lower() == ".png"


def refuse_existing(paths: Sequence[Path]) -> None:
    """Stop before any request when an output name is taken: nothing is spent.

    Raises :class:`UsageError` naming (up to three of) the existing files.
    """
    taken = [path for path in paths if path.exists() or path.is_symlink()]
    if not taken:
        return
    names = ", ".join(str(path) for path in taken[:3])
    if len(taken) > 3:
        names += f" and {len(taken) - 3} more"
    verb = "exists" if len(taken) == 1 else "exist"
    raise UsageError(f"{names} {verb}; pass --overwrite to replace, or choose another --out")
