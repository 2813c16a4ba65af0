"""``text-to-image --prompts-file FILE``: many prompts, ``--concurrency`` at a time.

The whole file is validated before the first request, so a typo on line 40
costs nothing. Then ``--concurrency`` workers share one async client and pull
prompts in file order; each result is saved the moment it arrives, and a
failed prompt is recorded and skipped, never stopping the others.

Ctrl-C: ``asyncio.run`` turns the first SIGINT into a cancellation of the
main task; the workers are cancelled where they wait on the network, so no
image is ever half-written (saving happens between awaits, and the facade
writes atomically anyway). What finished stays on disk and in the summary.
A second Ctrl-C interrupts at once; even then only complete files remain.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidRequestError
from .errors import failure_from
from .naming import Destination, plan_destination, refuse_existing
from .output import Console, save_generation
from .progress import Progress
from .report import Failure, Job, Report, UsageError
from .run import client_options, generation_params

if TYPE_CHECKING:
    from .._client import AsyncStability

__all__ = ["read_prompts", "run_batch"]


def run_batch(args: argparse.Namespace, console: Console, report: Report) -> None:
    """Generate every prompt of ``--prompts-file``; outcomes go to ``report``."""
    options = client_options(args)
    jobs = read_prompts(args.prompts_file)
    report.prompts = len(jobs)
    destination = plan_destination(
        args.out, samples=args.samples, batch_lines=max(job.line or 0 for job in jobs)
    )
    params = generation_params(args)
    if not _all_valid(jobs, params, console, report):
        return
    if not args.overwrite:
        refuse_existing(
            [p for job in jobs for p in destination.predicted_names(job, args.seed, args.samples)]
        )
    progress = Progress(len(jobs), console)
    progress.start()
    try:
        asyncio.run(_generate(jobs, destination, params, options, args, report, progress))
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        progress.close()
    _print_summary(report, destination, console)


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


async def _generate(
    jobs: list[Job],
    destination: Destination,
    params: dict[str, Any],
    options: dict[str, Any],
    args: argparse.Namespace,
    report: Report,
    progress: Progress,
) -> None:
    from .._client import AsyncStability

    pending = iter(jobs)  # shared by the workers; next() never awaits, so no locking
    async with AsyncStability(**options) as client:

        async def worker() -> None:
            for job in pending:
                await _one(client, job, destination, params, args, report, progress)

        workers = [asyncio.create_task(worker()) for _ in range(min(args.concurrency, len(jobs)))]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancelled us
            report.interrupted = True
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()


async def _one(
    client: AsyncStability,
    job: Job,
    destination: Destination,
    params: dict[str, Any],
    args: argparse.Namespace,
    report: Report,
    progress: Progress,
) -> None:
    """Generate and save one prompt; any failure is recorded, never raised."""
    try:
        generation = await client.text_to_image(job.prompt, **params)
    except Exception as exc:
        failure = failure_from(exc, job)
        report.failed(failure)
        report.job_done(job)
        progress.console.traceback(exc)
        progress.finished(job, [], [failure])
        return
    saved, failures = save_generation(
        generation,
        job,
        destination,
        samples=args.samples,
        overwrite=args.overwrite,
        report=report,
    )
    progress.finished(job, saved, failures)


def _by_line(failure: Failure) -> int:
    return 0 if failure.job is None or failure.job.line is None else failure.job.line


def _print_summary(report: Report, destination: Destination, console: Console) -> None:
    summary = report.summary()
    where = destination.path if destination.is_dir else destination.path.parent
    filtered = summary["content_filtered"]
    images = f"{summary['images']} image(s) in {where}"
    if filtered:
        images += f" ({filtered} content-filtered)"
    if report.interrupted:
        console.write(
            f"interrupted: {len(report.finished)} of {report.prompts} prompts finished "
            f"({summary['succeeded']} succeeded, {summary['failed']} failed), "
            f"{summary['not_run']} not run; {images} kept\n"
        )
    else:
        console.info(
            f"done: {summary['succeeded']} of {report.prompts} prompts succeeded, "
            f"{summary['failed']} failed; {images}"
        )
    if report.failures:
        console.write(f"failures ({len(report.failures)}):\n")
        for failure in sorted(report.failures, key=_by_line):
            console.write(f"  {failure.describe()}\n")
