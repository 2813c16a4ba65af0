"""Case 5's first-image rows: a fresh process that makes one 512x512 PNG and saves it.

This is the cold start a user waits for: start Python, import, build a
client, send one request, write the file, exit. The facade's script is set
against the same task written with plain httpx (post the JSON body, write
the bytes). Both run as ``python -c`` against one ``FakeStabilityServer``
listening on loopback in the benchmark's own process (which only waits
while a child runs), its URL and key passed through the environment.

Every request is answered with the same canned PNG (``respond_next``): one
answer drawn by the fake before the runs, so the fake's drawing time is
not part of the figures. The fake still parses and validates each request,
alike for both scripts. After every run the benchmark checks that the
canned answer was used, that the request met the spec and that the file
holds the PNG.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ._report import Row, median
from ._request import ENGINE, PROMPT, SEED, endpoint, raw_body

if TYPE_CHECKING:
    from stability_v1alpha.testing import FakeStabilityServer

__all__ = ["first_image"]

ROOT = Path(__file__).resolve().parents[2]
SIZE = 512
_TARGET = "<= 1.35"
FACADE = "first PNG, facade"
FLOOR = "first PNG, raw httpx (floor)"

_SCRIPTS = {
    FACADE: f"""\
import os
from stability_v1alpha import Stability

with Stability(api_key=os.environ["BENCH_API_KEY"], base_url=os.environ["BENCH_BASE_URL"]) as c:
    result = c.text_to_image(
        {PROMPT!r}, engine={ENGINE!r}, width={SIZE}, height={SIZE}, seed={SEED}
    )
    result.image.save(os.environ["BENCH_OUT"])
""",
    FLOOR: f"""\
import os
import httpx

response = httpx.post(
    os.environ["BENCH_BASE_URL"] + {endpoint("")!r},
    json={raw_body(SIZE, 1)!r},
    headers={{"Authorization": os.environ["BENCH_API_KEY"], "Accept": "image/png"}},
)
response.raise_for_status()
with open(os.environ["BENCH_OUT"], "xb") as out:
    out.write(response.content)
""",
}
# The headers of the fake's answer that the canned one repeats (Content-Length is added).
_KEPT_HEADERS = ("content-type", "finish-reason", "seed")


def _canned_answer(base_url: str, api_key: str) -> tuple[bytes, dict[str, str]]:
    response = httpx.post(
        endpoint(base_url),
        json=raw_body(SIZE, 1),
        headers={"Authorization": api_key, "Accept": "image/png"},
    )
    response.raise_for_status()
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    return response.content, headers


def first_image(runs: int, env: dict[str, str]) -> tuple[list[Row], list[str]]:
    """Process wall time of each script (median of ``runs``, order rotated each round)."""
    from stability_v1alpha.testing import FakeStabilityServer

    wall: dict[str, list[float]] = {name: [] for name in _SCRIPTS}
    names = list(_SCRIPTS)
    with FakeStabilityServer() as server, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        png, headers = _canned_answer(server.base_url, server.api_key)
        child_env = dict(env, BENCH_BASE_URL=server.base_url, BENCH_API_KEY=server.api_key)
        # Round 0 warms the bytecode cache and the OS file cache; it is not counted.
        for index in range(runs + 1):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                out = Path(tmp) / f"{index}-{names.index(name)}.png"
                server.respond_next(200, png, headers)
                seconds = _run_script(_SCRIPTS[name], dict(child_env, BENCH_OUT=str(out)))
                _check(server, out, png, name)
                if index > 0:
                    wall[name].append(seconds)

    floor_ms = median(wall[FLOOR]) * 1000
    rows = []
    for name in names:
        ms = median(wall[name]) * 1000
        is_floor = name == FLOOR
        rows.append(
            Row(
                name,
                "process wall",
                ms,
                "ms",
                ratio=ms / floor_ms,
                target=None if is_floor else _TARGET,
                samples=len(wall[name]),
            )
        )
    notes = [
        f"first PNG rows: `python -c` scripts that import, make one {SIZE}x{SIZE} text-to-image "
        f"request to a fake server already listening on loopback and save the PNG "
        f"({len(png) / 1024:.0f} KiB), timed from start to exit; every answer is the same "
        "canned PNG, so the fake's drawing is left out; the facade's save() is atomic "
        "(temporary file, fsync, link), the httpx script only writes the bytes"
    ]
    return rows, notes


def _run_script(code: str, env: dict[str, str]) -> float:
    argv = [sys.executable, "-c", code]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"first-image script failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def _check(server: FakeStabilityServer, out: Path, png: bytes, name: str) -> None:
    request = server.requests.last
    problems = []
    if server.pending_faults():
        problems.append("the canned answer was not used")
    if request.validation_errors:
        problems.append(f"the request broke the spec: {list(request.validation_errors)}")
    if not out.is_file() or out.read_bytes() != png:
        problems.append("the saved file is not the PNG the server sent")
    if problems:
        raise RuntimeError(f"{name}: " + "; ".join(problems))
