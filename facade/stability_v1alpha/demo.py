"""Generate one image end to end without an API key or a network.

Starts the embedded fake Stability server on 127.0.0.1, asks it for an image
through the public client exactly as an application would, saves the PNG and
prints its path. ``make demo`` runs this.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import Stability, StabilityError
from .testing import FakeStabilityServer

PROMPT = "A lighthouse on a cliff at dawn, oil painting"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m stability_v1alpha.demo", description=__doc__)
    parser.add_argument("--out", default="out", help="directory for the image (default: out)")
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with FakeStabilityServer() as server:
        print(f"fake Stability server listening on {server.base_url}", file=sys.stderr)
        with Stability(api_key=server.api_key, base_url=server.base_url) as client:
            try:
                image = client.text_to_image(
                    args.prompt, width=args.width, height=args.height, seed=args.seed
                ).image
            except StabilityError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
        path = _free_name(out_dir, f"demo-{image.seed}")
        image.save(path)
    print(f"{image.width}x{image.height} image, seed {image.seed}", file=sys.stderr)
    print(path)
    return 0


def _free_name(directory: Path, stem: str) -> Path:
    """The first ``stem[-N].png`` in ``directory`` that does not exist yet."""
    candidate = directory / f"{stem}.png"
    number = 1
    while candidate.exists():
        number += 1
        candidate = directory / f"{stem}-{number}.png"
    return candidate


if __name__ == "__main__":
    sys.exit(main())
