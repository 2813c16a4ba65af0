"""``text-to-image --prompts-file FILE``: many prompts, ``--concurrency`` at a time.

The whole file is validated before the first request, so a typo on line 40
costs nothing. Then workers share one async client and pull prompts in file
order; each result is saved the moment it arrives, and a failed prompt is
recorded and skipped, never stopping the others.

Every finished prompt is recorded in the output directory's journal
(:mod:`.journal`) before its images are written, so ``--resume`` can skip
what an interrupted or crashed run finished.

Rate limits are waited out, never failed: the client shares a 429's pause
with every request it sends next, and the batch halves the prompts in flight
at each pause (:mod:`.throttle`) and puts a prompt the limit refused back at
the head of the queue.

Ctrl-C: ``asyncio.run`` turns the first SIGINT into a cancellation of the
main task; the workers are cancelled where they wait on the network, so no
image is ever half-written (saving happens between awaits, and the facade
writes atomically anyway). What finished stays on disk, in the journal and
in the summary. A second Ctrl-C interrupts at once; even then only complete
files remain.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import APIStatusError, InvalidRequestError
from .._failures import RetryPolicy
from .._pacing import is_rate_limited
from .errors import failure_from
from .journal import Journal, Record, ResumePlan, fingerprint
from .naming import Destination, plan_destination, refuse_existing
from .output import Console, save_generation
from .parser import PROG
from .progress import Progress
from .report import Failure, Job, Report, UsageError, line_ranges
from .run import client_options, generation_params
from .throttle import AdaptiveConcurrency

if TYPE_CHECKING:
    from .._client import AsyncStability
    from .._pacing import RequestGate

__all__ = ["read_prompts", "run_batch"]

# How often the batch looks at the client's rate-limit pause (and redraws the bar).
_WATCH_INTERVAL = 0.1
# How one prompt's turn ended.
_SUCCEEDED, _FAILED, _REFUSED = "succeeded", "failed", "refused"


def run_batch(args: argparse.Namespace, console: Console, report: Report) -> None:
    """Generate every prompt of ``--prompts-file``; outcomes go to ``report``."""
    options = client_options(args)
    if args.max_rate is not None:
        options["max_requests_per_second"] = args.max_rate
    jobs = read_prompts(args.prompts_file)
    report.plan(jobs)
    destination = plan_destination(
        args.out, samples=args.samples, batch_lines=max(job.line or 0 for job in jobs)
    )
    params = generation_params(args)
    if not _all_valid(jobs, params, console, report):
        return
    journal = Journal.open(destination.path, resume=args.resume)
    from .._constants import DEFAULT_ENGINE

    fingerprints = {job: fingerprint(job, params, DEFAULT_ENGINE) for job in jobs}
    plan = journal.plan(jobs, fingerprints)
    for job in plan.done:
        report.skipped(job)
    report.changed = plan.changed
    _announce(plan, console)
    if not args.overwrite:
        refuse_existing(
            [
                p
                for job in plan.todo
                for p in destination.predicted_names(job, args.seed, args.samples)
            ]
        )
    batch = _Batch(destination, params, args, report, journal, fingerprints)
    if plan.todo:
        batch.progress = Progress(len(plan.todo), console)
        batch.progress.start()
        try:
            asyncio.run(batch.generate(plan.todo, options))
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            batch.progress.close()
            journal.close()
    _print_summary(report, destination, console, args)


def read_prompts(source: str) -> list[Job]:
    """The prompts of a file (``-``: stdin), one per line, with their line numbers."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--prompts-file {source}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"--prompts-file {source}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"--prompts-file {source}: {exc.strerror or exc}") from None
    jobs = [
        Job(line.strip(), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not jobs:
        raise UsageError(f"--prompts-file {source}: no prompts (blank and '#' lines are skipped)")
    return jobs


def _all_valid(jobs: list[Job], params: dict[str, Any], console: Console, report: Report) -> bool:
    """Check the flags once and every prompt, with the facade's own rules.

    A flag error is raised (one line, exit 2); bad prompts are each reported
    with their line number. Either way nothing has been sent.
    """
    from .._parameters import RULES
    from .._validation import check_call

    def check(prompt: str) -> None:
        check_call(
            "text_to_image", RULES["text_to_image"], prompt, None, params, max_upload_bytes=1
        )

    check("placeholder")  # InvalidRequestError: a flag is wrong
    valid = True
    for job in jobs:
        try:
            check(job.prompt)
        except InvalidRequestError as exc:
            failure = failure_from(exc, job)
            report.failed(failure)
            console.error(failure.describe())
            valid = False
    if not valid:
        console.error("nothing was sent; fix the prompts file and run again")
    return valid


def _announce(plan: ResumePlan, console: Console) -> None:
    """What ``--resume`` found in the journal."""
    if plan.done:
        console.info(
            f"resuming: {len(plan.done)} line(s) already done are skipped, "
            f"{len(plan.todo)} to generate"
        )
    for job, reason in sorted(plan.changed.items(), key=lambda item: item[0].line or 0):
        console.warning(f"{job.label()}: {reason}; generating it again")
    for path in plan.removed:
        console.warning(f"removed {path}: its set of images was left incomplete")


class _Dispatcher:
    """Hands prompts to the workers in order, at most ``throttle.limit`` in flight.

    A prompt a rate limit refused goes back to the head of the queue; the
    workers stop once every prompt has ended (not merely been handed out).
    """

    def __init__(self, jobs: list[Job], throttle: AdaptiveConcurrency) -> None:
        self.throttle = throttle
        self._queue = deque(jobs)
        self._unfinished = len(jobs)
        self._in_flight = 0
        self._changed = asyncio.Condition()

    async def take(self) -> Job | None:
        """The next prompt once one may start, or None when all have ended."""
        async with self._changed:
            await self._changed.wait_for(self._may_take)
            if self._unfinished == 0:
                return None
            self._in_flight += 1
            return self._queue.popleft()

    async def finish(self, job: Job, outcome: str) -> None:
        async with self._changed:
            self._in_flight -= 1
            if outcome == _REFUSED:
                self._queue.appendleft(job)
            else:
                self._unfinished -= 1
            if outcome == _SUCCEEDED:
                self.throttle.succeeded()
            self._changed.notify_all()

    def _may_take(self) -> bool:
        if self._unfinished == 0:
            return True
        return bool(self._queue) and self._in_flight < self.throttle.limit


class _Batch:
    """One run's shared state: the queue, the prompts in flight, the throttle."""

    progress: Progress

    def __init__(
        self,
        destination: Destination,
        params: dict[str, Any],
        args: argparse.Namespace,
        report: Report,
        journal: Journal,
        fingerprints: dict[Job, tuple[str, str]],
    ) -> None:
        self.destination = destination
        self.params = params
        self.args = args
        self.report = report
        self.journal = journal
        self.fingerprints = fingerprints
        self._refusals: dict[Job, int] = {}

    async def generate(self, todo: list[Job], options: dict[str, Any]) -> None:
        from .._client import AsyncStability

        dispatcher = _Dispatcher(todo, AdaptiveConcurrency(min(self.args.concurrency, len(todo))))
        throttle = dispatcher.throttle

        async with AsyncStability(**options) as client:
            gate: RequestGate = client._gate

            async def worker() -> None:
                while (job := await dispatcher.take()) is not None:
                    await dispatcher.finish(job, await self._one(client, gate, job))

            async def watch() -> None:
                seen = gate.pauses
                while True:
                    await asyncio.sleep(_WATCH_INTERVAL)
                    if gate.pauses != seen:
                        self.report.rate_limit_pauses += gate.pauses - seen
                        seen = gate.pauses
                        throttle.rate_limited()
                        self.progress.rate_limited(gate.pause_remaining(), throttle.limit)
                    self.progress.tick()

            watcher = asyncio.create_task(watch())
            workers = [asyncio.create_task(worker()) for _ in range(throttle.ceiling)]
            try:
                await asyncio.gather(*workers)
            except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancelled us
                self.report.interrupted = True
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)

    async def _one(self, client: AsyncStability, gate: RequestGate, job: Job) -> str:
        """Generate and save one prompt: succeeded, failed, or refused by a rate limit.

        A refused prompt is to be run again; any failure is recorded, never raised.
        """
        try:
            generation = await client.text_to_image(job.prompt, **self.params)
        except APIStatusError as exc:
            if is_rate_limited(exc.status_code, exc.headers):
                self._refused(gate, job)
                return _REFUSED
            return self._failed(failure_from(exc, job), exc)
        except Exception as exc:
            return self._failed(failure_from(exc, job), exc)
        self._refusals.pop(job, None)
        samples, overwrite = self.args.samples, self.args.overwrite
        names = [
            self.destination.name_for(job, image.seed, index, samples)
            for index, image in enumerate(generation.images, start=1)
        ]
        if overwrite or not any(path.exists() for path in names):
            # Journalled first: a crash before the files leaves a record --resume redoes.
            assert job.line is not None
            record = Record(
                job.line,
                *self.fingerprints[job],
                files=tuple(path.name for path in names),
                seeds=tuple(image.seed for image in generation.images),
                finish_reasons=tuple(image.finish_reason for image in generation.images),
            )
            try:
                self.journal.append(record)
            except OSError as exc:
                return self._failed(failure_from(exc, job, path=self.journal.path), exc)
        saved, failures = save_generation(
            generation,
            job,
            self.destination,
            samples=samples,
            overwrite=overwrite,
            report=self.report,
        )
        self.progress.finished(job, saved, failures)
        return _FAILED if failures else _SUCCEEDED

    def _refused(self, gate: RequestGate, job: Job) -> None:
        """A rate limit refused ``job`` after the client's retries: wait, then run it again.

        The client has paused for the Retry-After already; one that said 0
        (or a pause already over) still gets a back-off, growing with each
        refusal of the same prompt, so that the batch never spins.
        """
        refusals = self._refusals[job] = self._refusals.get(job, 0) + 1
        if gate.pause_remaining() <= 0:
            gate.pause(RetryPolicy().backoff(refusals))

    def _failed(self, failure: Failure, error: BaseException) -> str:
        assert failure.job is not None
        self.report.failed(failure)
        self.report.job_done(failure.job)
        self.progress.console.traceback(error)
        self.progress.finished(failure.job, [], [failure])
        return _FAILED


def _print_summary(
    report: Report, destination: Destination, console: Console, args: argparse.Namespace
) -> None:
    summary = report.summary()
    where = destination.path if destination.is_dir else destination.path.parent
    filtered = summary["content_filtered"]
    images = f"{summary['images']} image(s) in {where}"
    if filtered:
        images += f" ({filtered} content-filtered)"
    skipped = f", {summary['skipped']} skipped (done before)" if summary["skipped"] else ""
    if report.interrupted:
        console.write(
            f"interrupted: {summary['succeeded']} succeeded, {summary['failed']} failed"
            f"{skipped}, {summary['not_run']} not run "
            f"(lines {line_ranges(summary['not_run_lines'])}); {images} kept\n"
        )
    else:
        console.info(
            f"done: {summary['succeeded']} of {report.prompts} prompts succeeded, "
            f"{summary['failed']} failed{skipped}; {images}"
        )
    if report.rate_limit_pauses:
        console.info(f"the rate limit paused the batch {report.rate_limit_pauses} time(s)")
    if report.failures:
        console.write(f"failures ({len(report.failures)}):\n")
        for failure in sorted(report.failures, key=_by_line):
            console.write(f"  {failure.describe()}\n")
    if report.interrupted or any(f.kind == "api" for f in report.failures):
        what = "finish the batch" if report.interrupted else "retry the failed lines"
        console.write(f"to {what}, run:\n  {resume_command(args.command_line)}\n")


def resume_command(arguments: list[str]) -> str:
    """The command line that resumes this batch (the same, with ``--resume``)."""
    if "--resume" not in arguments:
        arguments = [*arguments, "--resume"]
    return shlex.join([PROG, *arguments])


def _by_line(failure: Failure) -> int:
    return 0 if failure.job is None or failure.job.line is None else failure.job.line
