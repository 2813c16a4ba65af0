"""Drive the working-tree facade on a regenerated client, against the fake server.

Run as a script in a fresh interpreter by :mod:`.facade_run`, never imported:
``python facade_probe.py FACADE_DIR GENERATED_DIR SPEC_FILE``. The two
directories go first on ``sys.path``, so ``stability_v1alpha`` is the working
tree's and ``stability_v1alpha_api`` the one generated from ``SPEC_FILE``; the
fake server validates requests against that same spec.

Every facade module is imported first, then each public operation is called
on :class:`Stability` and :class:`AsyncStability` with one and with several
samples, with the arguments a caller would write. Whatever a call raises is
recorded as ``"Type: message"``; nothing escapes. The result is one JSON
object on stdout.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

FACADE = "stability_v1alpha"
GENERATED = "stability_v1alpha_api"
CLIENTS = ("Stability", "AsyncStability")
METHODS = ("text_to_image", "image_to_image", "inpaint")
SAMPLES = (1, 2)
PROMPT = "a lighthouse at dawn, oil painting"
SIDE = 64  # the images sent: small, but a valid PNG of a size the service accepts


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def use_paths(facade_dir: str, generated_dir: str) -> None:
    # The editable install maps both packages to the working tree through a meta-path
    # finder, which would win over sys.path: drop it so the regenerated package is used.
    sys.meta_path[:] = [
        f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")
    ]
    sys.path[:0] = [facade_dir, generated_dir]


def import_everything(generated_dir: str) -> None:
    """Import the generated package and every facade module (``__main__`` aside)."""
    generated = importlib.import_module(GENERATED)
    if not str(generated.__file__).startswith(generated_dir):
        raise ImportError(f"{GENERATED} was imported from {generated.__file__}, not the new copy")
    package = importlib.import_module(FACADE)
    for info in pkgutil.walk_packages(package.__path__, FACADE + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(info.name)


def arguments(method: str, samples: int, png: bytes) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if method == "text_to_image":
        return (PROMPT,), {"samples": samples}
    if method == "image_to_image":
        return (png, PROMPT), {"samples": samples}
    return (png, PROMPT), {"mask_image": png, "samples": samples}


def check(result: Any, samples: int) -> str | None:
    images = getattr(result, "images", None)
    if images is None:
        return f"returned {type(result).__name__}, not a Generation"
    if len(images) != samples:
        return f"returned {len(images)} image(s) for samples={samples}"
    return None


def entry(client: str, method: str, samples: int, error: str | None) -> dict[str, Any]:
    return {"method": f"{client}.{method}", "samples": samples, "ok": error is None, "error": error}


def run_sync(cls: Any, options: dict[str, Any], png: bytes) -> list[dict[str, Any]]:
    out = []
    for method in METHODS:
        for samples in SAMPLES:
            try:
                with cls(**options) as client:
                    args, kwargs = arguments(method, samples, png)
                    error = check(getattr(client, method)(*args, **kwargs), samples)
            except Exception as exc:
                error = describe(exc)
            out.append(entry(cls.__name__, method, samples, error))
    return out


async def run_async(cls: Any, options: dict[str, Any], png: bytes) -> list[dict[str, Any]]:
    out = []
    for method in METHODS:
        for samples in SAMPLES:
            try:
                async with cls(**options) as client:
                    args, kwargs = arguments(method, samples, png)
                    error = check(await getattr(client, method)(*args, **kwargs), samples)
            except Exception as exc:
                error = describe(exc)
            out.append(entry(cls.__name__, method, samples, error))
    return out


def failed_everywhere(error: str) -> list[dict[str, Any]]:
    return [entry(c, m, s, error) for c in CLIENTS for m in METHODS for s in SAMPLES]


def probe(facade_dir: str, generated_dir: str, spec_file: str) -> dict[str, Any]:
    use_paths(facade_dir, generated_dir)
    try:
        import_everything(generated_dir)
    except BaseException as exc:  # a module may even call sys.exit on import
        error = describe(exc)
        return {"import_check": {"ok": False, "error": error}, "run": failed_everywhere(error)}
    result: dict[str, Any] = {"import_check": {"ok": True}}
    try:
        import yaml

        facade = importlib.import_module(FACADE)
        testing = importlib.import_module(FACADE + ".testing")
        spec = yaml.safe_load(Path(spec_file).read_text(encoding="utf-8"))
        server = testing.FakeStabilityServer(spec=spec).start()
        png = testing.make_png(SIDE, SIDE, bytes(3 * SIDE * SIDE))
    except Exception as exc:
        result["run"] = []
        result["server_error"] = describe(exc)
        return result
    options = {"api_key": server.api_key, "base_url": server.base_url, "max_retries": 0}
    try:
        clients: dict[str, Callable[[], list[dict[str, Any]]]] = {
            "Stability": lambda: run_sync(facade.Stability, options, png),
            "AsyncStability": lambda: asyncio.run(run_async(facade.AsyncStability, options, png)),
        }
        run: list[dict[str, Any]] = []
        for name, calls in clients.items():
            try:
                run += calls()
            except Exception as exc:  # the client class itself is missing or broken
                run += [entry(name, m, s, describe(exc)) for m in METHODS for s in SAMPLES]
        result["run"] = run
    finally:
        server.stop()
    return result


if __name__ == "__main__":
    outcome = probe(*sys.argv[1:4])
    sys.stdout.write(json.dumps(outcome) + "\n")
