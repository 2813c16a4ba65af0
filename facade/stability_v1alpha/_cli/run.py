"""One prompt, one API call: ``text-to-image PROMPT``, ``image-to-image``, ``inpaint``.

Uses the blocking client: a single request gains nothing from asyncio, and a
Ctrl-C then arrives as a plain ``KeyboardInterrupt`` (an image being written
is still complete or absent: the facade writes atomically).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidRequestError
from .._parameters import RULES
from .errors import blames_prompt, failure_from
from .inputs import check_image_files
from .naming import plan_destination, refuse_existing
from .output import Console, describe_saved, is_flagged, save_generation
from .report import Job, Report, UsageError

if TYPE_CHECKING:
    from .._client import Stability
    from .._models import Generation

__all__ = ["GENERATION_FLAGS", "client_options", "generation_params", "run_single"]

# Flags passed to every generating call as keyword arguments of the same name:
# the parameters text-to-image declares (the other commands add their own).
GENERATION_FLAGS = tuple(RULES["text_to_image"])


def client_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for the client; unset flags keep the facade's defaults."""
    key = args.api_key if args.api_key is not None else os.environ.get("STABILITY_API_KEY", "")
    if not key.strip():
        raise UsageError("no API key: set STABILITY_API_KEY or pass --api-key")
    options = {
        "api_key": key,
        "organization": args.organization,
        "base_url": args.base_url,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
    }
    return {name: value for name, value in options.items() if value is not None}


def generation_params(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``text_to_image`` and its siblings, unset flags left out."""
    params = {name: getattr(args, name) for name in GENERATION_FLAGS}
    return {name: value for name, value in params.items() if value is not None}


def run_single(args: argparse.Namespace, console: Console, report: Report) -> None:
    """Generate the images of one prompt and save them; outcomes go to ``report``."""
    job = Job(args.prompt)
    report.plan([job])
    options = client_options(args)
    destination = plan_destination(args.out, samples=args.samples, batch_lines=None)
    if destination.to_stdout:
        if args.json:
            raise UsageError("--out - and --json both write to stdout: choose one")
        if sys.stdout.isatty():
            raise UsageError("--out -: stdout is a terminal; redirect it (> cat.png) or pipe it")
    if not args.overwrite:
        refuse_existing(destination.predicted_names(job, args.seed, args.samples))
    params = generation_params(args)
    files = {"init_image": getattr(args, "init", None), "mask_image": getattr(args, "mask", None)}
    check_image_files({"INIT": files["init_image"], "--mask": files["mask_image"]})

    from .._client import Stability

    if console.is_terminal:
        count = "1 image" if args.samples == 1 else f"{args.samples} images"
        console.info(f"{args.command}: generating {count}...")
    try:
        with Stability(**options) as client:
            generation = _call(client, args, params)
    except Exception as exc:
        # A bad flag or input file stops the run; a bad prompt, or the API, fails the prompt.
        blamed = not isinstance(exc, InvalidRequestError) or blames_prompt(exc)
        failure = failure_from(exc, job if blamed else None, files=files)
        report.failed(failure)
        if blamed:
            report.job_done(job)
        console.traceback(exc)
        console.error(failure.describe())
        return
    saved, failures = save_generation(
        generation,
        job,
        destination,
        samples=args.samples,
        overwrite=args.overwrite,
        report=report,
    )
    for image in saved:
        if is_flagged(image):
            console.warning(describe_saved(image))
        else:
            console.info(describe_saved(image))
    for failure in failures:
        console.error(failure.describe())


def _call(client: Stability, args: argparse.Namespace, params: dict[str, Any]) -> Generation:
    if args.command == "text-to-image":
        return client.text_to_image(args.prompt, **params)
    if args.command == "image-to-image":
        return client.image_to_image(
            args.init,
            args.prompt,
            step_schedule_start=args.step_schedule_start,
            step_schedule_end=args.step_schedule_end,
            **params,
        )
    return client.inpaint(
        args.init, args.prompt, mask_image=args.mask, mask_source=args.mask_source, **params
    )
