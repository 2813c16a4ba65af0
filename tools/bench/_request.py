"""The one request every case makes: engine, prompt, seed, URL and the hand-written body."""

from __future__ import annotations

from typing import Any

__all__ = ["ENGINE", "PROMPT", "SEED", "endpoint", "raw_body"]

ENGINE = "stable-diffusion-512-v2-1"
PROMPT = "a lighthouse on a cliff at dawn, oil painting"
SEED = 1234


def raw_body(size: int, samples: int) -> dict[str, Any]:
    """The JSON body the facade sends for ``text_to_image(PROMPT, width=, height=, samples=,
    seed=)``, written out by hand as a user of plain httpx would."""
    return {
        "text_prompts": [{"text": PROMPT, "weight": 1.0}],
        "width": size,
        "height": size,
        "samples": samples,
        "seed": SEED,
    }


def endpoint(base_url: str) -> str:
    """The text-to-image URL of the benchmark's engine."""
    return f"{base_url.rstrip('/')}/v1alpha/generation/{ENGINE}/text-to-image"
