"""Default settings and service limits, in a module light enough for the CLI to import."""

from __future__ import annotations

__all__ = [
    "DEFAULT_ENGINES",
    "DEFAULT_FILTERED_WORDS",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEFAULT_STEP_SCHEDULE_START",
    "MAX_PIXELS",
]

# The engines of the v1alpha era.
DEFAULT_ENGINES: frozenset[str] = frozenset(
    {
        "stable-diffusion-v1-5",
        "stable-diffusion-512-v2-0",
        "stable-diffusion-512-v2-1",
        "stable-diffusion-768-v2-1",
    }
)
# A token no real prompt contains by accident; tests use it to provoke invalid_prompts.
DEFAULT_FILTERED_WORDS: frozenset[str] = frozenset({"forbidden-word"})
# Largest accepted image part; bigger uploads fail with invalid_file_size.
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# height * width limit of the service.
MAX_PIXELS = 1_048_576
# The spec gives step_schedule_start no default; 0.65 is what the later REST API used.
DEFAULT_STEP_SCHEDULE_START = 0.65
