"""Cases 1, 2 and 4: the facade against the floor a user could write by hand.

Each variant makes the very same request (same engine, prompt, size, seed,
sample count and ``Accept``) on a warm keep-alive connection of its own and
returns the decoded PNG bytes, so every variant does the whole job a caller
needs done. Rounds interleave the variants and rotate their order (A B C,
B C A, C A B, ...), so drift of the machine and any order effect are spread
over all of them; medians are reported.

Besides wall time, the CPU time of the calling thread is recorded: the server
runs in another process, so this is the client-side work alone, the part a
wrapper can add to, without the server's time and the network's that every
variant pays alike.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ._report import Case, Row, median
from ._request import ENGINE, PROMPT, SEED, endpoint, raw_body
from ._serve import ServerProcess

__all__ = ["async_batch", "single_requests"]

Call = Callable[[], list[bytes]]


def _variants(
    base_url: str, api_key: str, size: int, samples: int, stack: list[Any]
) -> tuple[dict[str, Call], list[str]]:
    """The three ways to make the request: facade, raw httpx, generated client."""
    from stability_v1alpha import Stability
    from stability_v1alpha_api import AuthenticatedClient
    from stability_v1alpha_api.api.v1alphageneration import text_to_image
    from stability_v1alpha_api.models import Accept, TextPrompt, TextToImageRequestBody

    notes: list[str] = []
    png = samples == 1
    accept = "image/png" if png else "application/json"

    facade = Stability(api_key=api_key, base_url=base_url)
    stack.append(facade)

    def facade_call() -> list[bytes]:
        result = facade.text_to_image(PROMPT, width=size, height=size, samples=samples, seed=SEED)
        return [image.data for image in result.images]

    raw = httpx.Client()
    stack.append(raw)
    url = endpoint(base_url)
    headers = {"Authorization": api_key, "Accept": accept}

    def raw_call() -> list[bytes]:
        response = raw.post(url, json=raw_body(size, samples), headers=headers)
        response.raise_for_status()
        if png:
            return [response.content]
        return [base64.b64decode(item["base64"]) for item in response.json()]

    generated = AuthenticatedClient(base_url=base_url, token=api_key, prefix="")
    stack.append(generated.get_httpx_client())

    def body() -> TextToImageRequestBody:
        return TextToImageRequestBody(
            text_prompts=[TextPrompt(text=PROMPT, weight=1.0)],
            width=size,
            height=size,
            samples=samples,
            seed=SEED,
        )

    if png:
        # sync_detailed() cannot return a PNG (it parses every 200 as JSON): time
        # the generated request builder on the generated client's httpx.Client.
        def generated_call() -> list[bytes]:
            kwargs = text_to_image._get_kwargs(ENGINE, body=body(), accept=Accept.IMAGEPNG)
            response = generated.get_httpx_client().request(**kwargs)
            response.raise_for_status()
            return [response.content]

        try:
            text_to_image.sync_detailed(
                ENGINE, client=generated, body=body(), accept=Accept.IMAGEPNG
            )
            outcome = "returned"
        except Exception as exc:  # whatever it raises is what the note reports
            outcome = f"raised {type(exc).__name__}"
        notes.append(
            "generated: `text_to_image.sync_detailed(accept=image/png)` "
            f"{outcome} on the PNG body (it parses every 200 as JSON), so the row times "
            "`text_to_image._get_kwargs(...)` + `client.get_httpx_client().request(...)`"
            " + `.content`"
        )
    else:

        def generated_call() -> list[bytes]:
            response = text_to_image.sync_detailed(
                ENGINE, client=generated, body=body(), accept=Accept.APPLICATIONJSON
            )
            parsed = response.parsed
            assert isinstance(parsed, list), parsed
            return [base64.b64decode(item.base64) for item in parsed]

    variants = {"facade": facade_call, "raw httpx (floor)": raw_call, "generated": generated_call}
    return variants, notes


def _interleave(
    variants: dict[str, Call], rounds: int, warmup: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    names = list(variants)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for index in range(warmup + rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            call = variants[name]
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            result = call()
            t1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            del result
            if index >= warmup:
                wall[name].append((t1 - t0) / 1e6)
                cpu[name].append((c1 - c0) / 1e6)
    return wall, cpu


def single_requests(
    number: int,
    title: str,
    base_url: str,
    api_key: str,
    *,
    size: int,
    samples: int,
    rounds: int,
    warmup: int,
    target: float,
) -> Case:
    """Cases 1 and 2: one request at a time, facade vs raw httpx vs generated client."""
    case = Case(
        number,
        title,
        settings={"size": size, "samples": samples, "rounds": rounds, "warmup": warmup},
    )
    stack: list[Any] = []
    try:
        variants, notes = _variants(base_url, api_key, size, samples, stack)
        case.notes.extend(notes)
        outputs = {name: call() for name, call in variants.items()}
        reference = outputs["raw httpx (floor)"]
        if any(out != reference for out in outputs.values()):
            raise RuntimeError(f"case {number}: the variants did not return the same images")
        if len(reference) != samples:
            raise RuntimeError(f"case {number}: expected {samples} images, got {len(reference)}")
        wall, cpu = _interleave(variants, rounds, warmup)
    finally:
        for item in reversed(stack):
            item.close()

    floor_wall = median(wall["raw httpx (floor)"])
    floor_cpu = median(cpu["raw httpx (floor)"])
    for name in variants:
        is_floor = name.endswith("(floor)")
        case.rows.append(
            Row(
                name,
                "wall per call",
                median(wall[name]),
                "ms",
                ratio=median(wall[name]) / floor_wall,
                target=None if is_floor or name != "facade" else f"<= {target:.2f}",
                samples=len(wall[name]),
                extra={
                    "client_cpu_ms": median(cpu[name]),
                    "client_cpu_ratio": median(cpu[name]) / floor_cpu,
                    "p10_ms": _quantile(wall[name], 0.1),
                    "p90_ms": _quantile(wall[name], 0.9),
                    # Median of the per-round ratios: each call against the floor's
                    # call of the same round, which cancels slow drifts of the load.
                    "paired_ratio_median": median(
                        [a / b for a, b in zip(wall[name], wall["raw httpx (floor)"], strict=True)]
                    ),
                },
            )
        )
    for name in variants:
        case.rows.append(
            Row(
                name,
                "client CPU per call",
                median(cpu[name]),
                "ms",
                ratio=median(cpu[name]) / floor_cpu,
                samples=len(cpu[name]),
            )
        )
    decoded = sum(len(data) for data in reference)
    overhead_us = (median(wall["facade"]) - floor_wall) * 1000
    case.notes.append(
        f"{samples} x {size}x{size} PNG ({decoded / 1024:.0f} KiB decoded) per call; "
        f"facade - floor = {overhead_us:+.0f} us per call (wall), "
        f"{(median(cpu['facade']) - floor_cpu) * 1000:+.0f} us (client CPU)"
    )
    return case


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _batch(call: Callable[[], Awaitable[object]], total: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(total)))
    return time.perf_counter() - started


async def _async_case(
    base_url: str, api_key: str, total: int, concurrency: int, size: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Batch times per variant, and the times of single calls made one at a time."""
    from stability_v1alpha import AsyncStability

    url = endpoint(base_url)
    headers = {"Authorization": api_key, "Accept": "image/png"}
    async with (
        AsyncStability(api_key=api_key, base_url=base_url) as facade,
        httpx.AsyncClient() as raw,
    ):

        async def facade_call() -> object:
            result = await facade.text_to_image(PROMPT, width=size, height=size, seed=SEED)
            return result.image.data

        async def raw_call() -> object:
            response = await raw.post(url, json=raw_body(size, 1), headers=headers)
            response.raise_for_status()
            return response.content

        calls = {"facade (AsyncStability)": facade_call, "raw httpx.AsyncClient": raw_call}
        # Warm-up: open `concurrency` keep-alive connections per client.
        for call in calls.values():
            await _batch(call, concurrency, concurrency)
        times: dict[str, list[float]] = {name: [] for name in calls}
        single: dict[str, list[float]] = {name: [] for name in calls}
        names = list(calls)
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(await _batch(calls[name], total, concurrency))
        for _ in range(max(8, total // 4)):
            for name in names:
                single[name].append(await _batch(calls[name], 1, 1))
    return times, single


def async_batch(
    server: ServerProcess,
    latency: float,
    *,
    total: int,
    concurrency: int,
    size: int,
    rounds: int,
) -> Case:
    """Case 4: achieved throughput of a concurrent batch over the ideal one.

    Two more measurements explain the gap to the ideal: the same batch with the
    server's latency at zero (the fake server's own work plus the client's),
    and single calls made one at a time, whose time over the latency every call
    of the batch pays as well, whatever the client.
    """
    ideal = total * latency / concurrency
    case = Case(
        4,
        "async batch",
        settings={
            "calls": total,
            "concurrency": concurrency,
            "server_latency_s": latency,
            "size": size,
            "rounds": rounds,
            "ideal_s": ideal,
        },
    )
    base_url, api_key = server.base_url, server.api_key
    try:
        server.set_latency(latency)
        times, single = asyncio.run(
            _async_case(base_url, api_key, total, concurrency, size, rounds)
        )
        server.set_latency(0.0)
        zero, _ = asyncio.run(_async_case(base_url, api_key, total, concurrency, size, rounds))
    finally:
        server.set_latency(0.0)
    for name, values in times.items():
        seconds = median(values)
        case.rows.append(
            Row(
                name,
                "batch wall",
                seconds,
                "s",
                ratio=ideal / seconds,
                target=">= 0.90" if name.startswith("facade") else None,
                samples=len(values),
                extra={"min_s": min(values), "max_s": max(values)},
            )
        )
    for name, values in zero.items():
        case.rows.append(
            Row(name, "batch wall, latency 0", median(values), "s", samples=len(values))
        )
    for name, values in single.items():
        case.rows.append(
            Row(
                name,
                "one call alone",
                median(values) * 1000,
                "ms",
                ratio=latency / median(values),
                samples=len(values),
            )
        )
    facade, raw = (median(values) for values in times.values())
    fastest_zero = min(min(values) for values in zero.values())
    case.notes.append(
        f"{total} text-to-image calls ({size}x{size} PNG), at most {concurrency} in flight "
        f"(asyncio.Semaphore), server adds {latency * 1000:.0f} ms per call; "
        f"ratio = ideal / actual, ideal = {total} x {latency * 1000:.0f} ms / {concurrency}"
        f" = {ideal:.3f} s; facade / raw httpx batch time = {facade / raw:.3f}"
    )
    alone = min(median(values) for values in single.values())
    case.notes.append(
        f"'one call alone' rows: a single call with nothing else in flight takes "
        f"{alone * 1000:.1f} ms against the server's {latency * 1000:.0f} ms; every call of the "
        f"batch pays those {(alone - latency) * 1000:.1f} ms too (the round trip and the work "
        f"on both sides, slower after {latency * 1000:.0f} ms of idling), so a batch of such "
        f"calls cannot reach more than {latency / alone:.3f} of the ideal (the ratio column "
        "of those rows)"
    )
    case.notes.append(
        "'latency 0' rows: the same batch with no added latency, i.e. the fake server's own "
        f"work plus the client's: at best {fastest_zero:.3f} s, "
        f"{fastest_zero / total * 1000:.1f} ms per call, {fastest_zero / ideal:.0%} of the ideal "
        "batch time; with latency, part of it is paid inside each call and part is queueing "
        "behind the other calls in flight"
    )
    return case
