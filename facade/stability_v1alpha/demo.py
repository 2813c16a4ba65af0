"""Generate one image end to end without an API key or a network.

Starts the embedded fake Stability server on 127.0.0.1, asks it for an image
through the public client exactly as an application would, and saves the PNG
as ``demo-<seed>.png`` in the output directory (``demo-<seed>-2.png`` and so on
when that name is taken: an existing file is never replaced). It prints the
prompt and what it got on stderr, and the path of the file it wrote on stdout.
``make demo`` runs this; it needs the ``testing`` extra.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from . import GeneratedImage, Stability, StabilityError
from .testing._extra import MissingExtraError

PROMPT = "A lighthouse on a cliff at dawn, oil painting"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m stability_v1alpha.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="out", help="directory for the image (default: out)")
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)

    try:
        from .testing import FakeStabilityServer
    except MissingExtraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with FakeStabilityServer() as server:
        print(f"fake Stability server listening on {server.base_url}", file=sys.stderr)
        print(f"prompt: {args.prompt}", file=sys.stderr)
        with Stability(api_key=server.api_key, base_url=server.base_url) as client:
            try:
                image = client.text_to_image(
                    args.prompt, width=args.width, height=args.height, seed=args.seed
                ).image
            except StabilityError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
    print(f"got a {image.width}x{image.height} image, seed {image.seed}", file=sys.stderr)
    path = _save_under_free_name(image, out_dir, f"demo-{image.seed}")
    print(path)
    return 0


def _save_under_free_name(image: GeneratedImage, directory: Path, stem: str) -> Path:
    """Save as ``stem.png``, or the first free ``stem-N.png``; says when it moved on."""
    first = directory / f"{stem}.png"
    for number in itertools.count(1):
        path = first if number == 1 else directory / f"{stem}-{number}.png"
        try:
            image.save(path)
        except FileExistsError:
            continue
        if path != first:
            print(f"{first} exists and is kept, so the image gets a new name:", file=sys.stderr)
        return path
    raise AssertionError("unreachable")  # itertools.count never ends


if __name__ == "__main__":
    sys.exit(main())
