"""``python -m stability_v1alpha.testing``: run the fake server in the foreground."""

from __future__ import annotations

import sys

from ._cli import serve_main

__all__ = ["serve_main"]

if __name__ == "__main__":
    sys.exit(serve_main(prog="python -m stability_v1alpha.testing"))
