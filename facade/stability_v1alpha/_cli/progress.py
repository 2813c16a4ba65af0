"""Batch progress on stderr: a redrawn bar on a terminal, plain lines elsewhere.

A bar redrawn with ``\\r`` is unreadable in a log file or a CI console, so
when stderr is not a terminal each finished prompt gets one line instead.
Failures are always printed in full, above the bar on a terminal. While the
service's rate limit holds the batch back, the bar says so; elsewhere each
pause gets a line of its own.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

from .output import Console, describe_saved, is_flagged
from .report import Failure, Job, SavedImage

__all__ = ["Progress"]

_BAR_WIDTH = 24
_REDRAW_INTERVAL = 0.1


class Progress:
    """Counts finished prompts out of ``total`` and shows it on ``console``."""

    def __init__(
        self, total: int, console: Console, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = total
        self.console = console
        self.done = 0
        self.failed = 0
        self._clock = clock
        self._started = clock()
        self._bar = console.is_terminal and not console.quiet
        self._drawn_at = -_REDRAW_INTERVAL
        self._width = len(str(total))
        self._paused_until = -1.0

    def start(self) -> None:
        if self._bar:
            self._draw(force=True)

    def finished(self, job: Job, saved: list[SavedImage], failures: list[Failure]) -> None:
        """Record one prompt's outcome (saved images and/or failures) and show it."""
        self.done += 1
        if failures:
            self.failed += 1
        counter = f"[{self.done:>{self._width}}/{self.total}]"
        lines = [f"{counter} FAILED {f.describe()}" for f in failures]
        # Flagged images are shown even when the bar or --quiet hides the others.
        verbose = not self._bar and not self.console.quiet
        lines += [
            f"{counter} {job.label()}: {describe_saved(i)}"
            for i in saved
            if verbose or is_flagged(i)
        ]
        if self._bar and lines:
            self._clear()
        for line in lines:
            self.console.write(line + "\n")
        if self._bar:
            self._draw(force=bool(lines) or self.done == self.total)

    def rate_limited(self, seconds: float, concurrency: int) -> None:
        """A rate limit holds every request back for ``seconds``; ``concurrency`` is the new cap."""
        self._paused_until = self._clock() + seconds
        if self._bar:
            self._draw(force=True)
        elif not self.console.quiet:
            self.console.write(
                f"rate limited: waiting {seconds:.1f}s before sending more, "
                f"then at most {concurrency} at once\n"
            )

    def tick(self) -> None:
        """Redraw the bar now and then while nothing finishes (a pause counting down)."""
        if self._bar:
            self._draw()

    def close(self) -> None:
        """End the bar's line so that later messages start on a fresh one."""
        if self._bar:
            self._draw(force=True)
            self.console.write("\n")

    def status(self) -> str:
        """``12/50 done, 2 failed, 1.3/s, ETA 0:28``."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done}/{self.total} done, {self.failed} failed, {rate:.1f}/s"
        if 0 < self.done < self.total:
            text += f", ETA {_duration((self.total - self.done) / rate)}"
        waiting = self._paused_until - self._clock()
        if waiting > 0:
            text += f", waiting on the rate limit ({_duration(waiting)})"
        return text

    def _draw(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._drawn_at < _REDRAW_INTERVAL:
            return
        self._drawn_at = now
        filled = _BAR_WIDTH * self.done // max(self.total, 1)
        line = f"[{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {self.status()}"
        columns = shutil.get_terminal_size((80, 24)).columns
        self.console.write("\r" + line[: max(columns - 1, 1)] + "\x1b[K")

    def _clear(self) -> None:
        self.console.write("\r\x1b[K")


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
