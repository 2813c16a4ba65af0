"""Command line of the benchmark; see :mod:`tools.bench`."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from stability_v1alpha._files import atomic_write

from ._report import Case, render_table

ALL_CASES = (1, 2, 3, 4, 5, 6)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Sizes and round counts: the full ones, or small ones for ``--quick`` (smoke runs).

    ``--quick`` keeps 512x512 images (the API's smallest size) but requests as few
    of them, as few times, as each case allows.
    """
    if args.quick:
        rounds = args.rounds or 3
        return {
            "case1": {"size": 512, "samples": 1, "rounds": rounds, "warmup": 1},
            "case2": {"size": 512, "samples": 2, "rounds": rounds, "warmup": 1},
            "case3": {"size": 512, "samples": 2, "processes": 1, "calls": 1},
            "case4": {"total": 8, "concurrency": 4, "latency": 0.01, "size": 512, "rounds": 1},
            "case5": {"runs": 1},
            "case6": {"runs": 1},
        }
    rounds = args.rounds or 200
    return {
        "case1": {"size": 512, "samples": 1, "rounds": rounds, "warmup": 20},
        "case2": {"size": 512, "samples": 4, "rounds": max(1, rounds // 2), "warmup": 10},
        "case3": {"size": 1024, "samples": 10, "processes": 5, "calls": 3},
        "case4": {"total": 64, "concurrency": 8, "latency": 0.05, "size": 512, "rounds": 5},
        "case5": {"runs": 10},
        "case6": {"runs": 3},
    }


def _environment() -> dict[str, Any]:
    import httpx

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "httpx": httpx.__version__,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # Other work on the machine is the main source of noise: keep it on record.
        "loadavg_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _run(selected: list[int], settings: dict[str, Any]) -> list[Case]:
    from . import _memory, _startup, _warm_calls
    from ._serve import ServerProcess

    cases: list[Case] = []

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    if any(n in selected for n in (1, 2, 3, 4)):
        with ServerProcess() as server:
            if 1 in selected:
                log("case 1: one PNG, facade / raw httpx / generated ...")
                cases.append(
                    _warm_calls.single_requests(
                        1,
                        "one PNG",
                        server.base_url,
                        server.api_key,
                        target=1.10,
                        **settings["case1"],
                    )
                )
            if 2 in selected:
                log("case 2: images as JSON, facade / raw httpx / generated ...")
                cases.append(
                    _warm_calls.single_requests(
                        2,
                        "JSON images",
                        server.base_url,
                        server.api_key,
                        target=1.10,
                        **settings["case2"],
                    )
                )
            if 3 in selected:
                log("case 3: large JSON batch, time and memory in fresh processes ...")
                cases.append(
                    _memory.large_batch(server.base_url, server.api_key, **settings["case3"])
                )
            if 4 in selected:
                log("case 4: async batch against a server with latency ...")
                cases.append(_warm_calls.async_batch(server, **settings["case4"]))
    if 5 in selected:
        log("case 5: cold start in fresh interpreters ...")
        cases.append(_startup.cold_start(**settings["case5"]))
    if 6 in selected:
        log("case 6: make generate ...")
        cases.append(_startup.generate(**settings["case6"]))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description="Measure the facade against raw httpx and the generated client.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few rounds (smoke run)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the --json file if it exists"
    )
    parser.add_argument(
        "--rounds", type=int, metavar="N", help="rounds of case 1 (case 2 runs N/2)"
    )
    parser.add_argument(
        "--cases",
        default=",".join(map(str, ALL_CASES)),
        help="comma-separated case numbers to run (default: all)",
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        selected = sorted({int(n) for n in args.cases.split(",") if n.strip()})
    except ValueError:
        parser.error("--cases takes numbers such as 1,2,5")
    if not selected or any(n not in ALL_CASES for n in selected):
        parser.error(f"--cases takes numbers among {ALL_CASES}")

    # --json is checked before the run: better than losing its results at the end.
    if args.json is not None:
        if args.json.is_dir() or not args.json.parent.is_dir():
            parser.error(f"--json {args.json}: not a file in an existing directory")
        if args.json.exists() and not args.overwrite:
            parser.error(f"--json {args.json}: exists; pass --overwrite to replace it")
    settings = _settings(args)
    started = time.perf_counter()
    cases = _run(selected, settings)
    elapsed = time.perf_counter() - started

    environment = _environment()
    print(
        f"Python {environment['python']} on {environment['platform']}, "
        f"{environment['cpus']} CPUs, httpx {environment['httpx']}\n"
    )
    print(render_table(cases))
    verdicts = [row.met for case in cases for row in case.rows if row.met is not None]
    print(
        f"\nTargets met: {sum(verdicts)}/{len(verdicts)}"
        f" (run took {elapsed:.0f} s; reproduce: make bench)"
    )
    if args.quick:
        print("--quick: tiny sizes and few rounds, for smoke runs; the verdicts mean nothing.")
    if args.json is not None:
        document = {  # allow_nan=False below: unmeasured figures are null
            "environment": environment,
            "quick": args.quick,
            "elapsed_s": elapsed,
            "cases": [case.to_json() for case in cases],
            "targets_met": all(verdicts) if verdicts else None,
        }
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
        atomic_write(args.json, text.encode(), overwrite=args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
