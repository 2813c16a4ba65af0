"""Case 3: ten 1024x1024 images as JSON, time and peak memory, facade vs raw httpx.

Each measurement runs in a fresh interpreter (``python -m tools.bench._memory``)
so that resident-set high-water marks of one variant never hide the other's.
In the worker, one small warm-up call first loads every lazily imported module
and opens the connection; then

* RSS: the peak resident set (``VmHWM``, reset through ``/proc/self/clear_refs``
  where the kernel allows it) during the first large call, minus the resident
  set just before it;
* time: every large call, tracemalloc off;
* tracemalloc: one more call with tracing on, its traced peak minus what was
  traced just before it.

Both memory figures include the decoded images the call returns, which a
caller keeps anyway: "2x the decoded size" leaves exactly one transient
copy's worth for everything else (base64 text, parse buffers).
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._report import Case, Row, median

__all__ = ["large_batch"]

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("facade", "raw httpx (floor)")
_TARGET = "<= 2.0"


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _peak_rss_bytes() -> int:
    hwm = _status_kib("VmHWM")
    if hwm is not None:
        return hwm * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _current_rss_bytes() -> int:
    rss = _status_kib("VmRSS")
    return rss * 1024 if rss is not None else _peak_rss_bytes()


def _make_call(variant: str, base_url: str, api_key: str) -> Callable[[int, int], list[bytes]]:
    from ._request import ENGINE, PROMPT, SEED, endpoint, raw_body

    if variant == "facade":
        from stability_v1alpha import Stability

        facade = Stability(api_key=api_key, base_url=base_url)

        def facade_call(size: int, samples: int) -> list[bytes]:
            result = facade.text_to_image(
                PROMPT, engine=ENGINE, width=size, height=size, samples=samples, seed=SEED
            )
            return [image.data for image in result.images]

        return facade_call

    import httpx

    raw = httpx.Client(timeout=120)
    url = endpoint(base_url)
    headers = {"Authorization": api_key, "Accept": "application/json"}

    def raw_call(size: int, samples: int) -> list[bytes]:
        response = raw.post(url, json=raw_body(size, samples), headers=headers)
        response.raise_for_status()
        return [base64.b64decode(item["base64"]) for item in response.json()]

    return raw_call


def worker(variant: str, base_url: str, api_key: str, size: int, samples: int, calls: int) -> None:
    """Measure in this fresh process; print one JSON line."""
    call = _make_call(variant, base_url, api_key)
    call(512, 2)  # warm-up: imports, connection, code paths (JSON answer)
    gc.collect()

    before = _current_rss_bytes()
    reset = _reset_hwm()
    if not reset:
        before = max(before, _peak_rss_bytes())
    started = time.perf_counter()
    images = call(size, samples)
    times = [time.perf_counter() - started]
    rss_delta = _peak_rss_bytes() - before
    decoded = sum(len(image) for image in images)
    del images
    gc.collect()
    for _ in range(calls - 1):
        started = time.perf_counter()
        images = call(size, samples)
        times.append(time.perf_counter() - started)
        del images
        gc.collect()

    tracemalloc.start()
    gc.collect()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    images = call(size, samples)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "variant": variant,
        "times_s": times,
        "decoded_bytes": decoded,
        "images": len(images),
        "rss_delta_bytes": rss_delta,
        "rss_hwm_reset": reset,
        "tracemalloc_peak_bytes": peak - baseline,
        "tracemalloc_retained_bytes": current - baseline,
    }
    print(json.dumps(result), flush=True)


def _spawn(
    variant: str, base_url: str, api_key: str, size: int, samples: int, calls: int
) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "tools.bench._memory",
        variant,
        base_url,
        "--size",
        str(size),
        "--samples",
        str(samples),
        "--calls",
        str(calls),
    ]
    env = dict(os.environ, BENCH_API_KEY=api_key)
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"case 3 worker ({variant}) failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def large_batch(
    base_url: str, api_key: str, *, size: int, samples: int, processes: int, calls: int
) -> Case:
    """Run ``processes`` fresh workers per variant, interleaved, and summarise."""
    case = Case(
        3,
        "large JSON batch",
        settings={"size": size, "samples": samples, "processes": processes, "calls": calls},
    )
    # Let the server render (and cache) the images before anything is timed.
    _spawn("raw httpx (floor)", base_url, api_key, size, samples, 1)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for index in range(processes):
        order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            results[variant].append(_spawn(variant, base_url, api_key, size, samples, calls))

    decoded = results["facade"][0]["decoded_bytes"]
    mib = 1024 * 1024
    floor_time = median([t for r in results["raw httpx (floor)"] for t in r["times_s"]])
    for variant, runs in results.items():
        times = [t for r in runs for t in r["times_s"]]
        is_facade = variant == "facade"
        case.rows.append(
            Row(
                variant,
                "wall per call",
                median(times) * 1000,
                "ms",
                ratio=median(times) / floor_time,
                samples=len(times),
            )
        )
        for key, metric in (
            ("tracemalloc_peak_bytes", "tracemalloc peak"),
            ("rss_delta_bytes", "RSS peak delta"),
        ):
            value = median([r[key] for r in runs])
            case.rows.append(
                Row(
                    variant,
                    metric,
                    value / mib,
                    "MiB",
                    ratio=value / decoded,
                    target=_TARGET if is_facade else None,
                    samples=len(runs),
                    extra={"all_bytes": [r[key] for r in runs]},
                )
            )
    reset = all(r["rss_hwm_reset"] for runs in results.values() for r in runs)
    case.notes.append(
        f"{samples} x {size}x{size} PNG, {decoded / mib:.2f} MiB decoded; memory ratios are "
        "peak extra memory during the call / decoded bytes (the returned images included); "
        "each variant measured in fresh processes, alternating"
        + ("" if reset else "; VmHWM could not be reset: RSS deltas are upper bounds")
    )
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description="case 3 worker (one fresh process)")
    parser.add_argument("variant", choices=VARIANTS)
    parser.add_argument("base_url")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    api_key = os.environ["BENCH_API_KEY"]
    worker(args.variant, args.base_url, api_key, args.size, args.samples, args.calls)


if __name__ == "__main__":
    main()
