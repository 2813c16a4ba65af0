"""A user module checked with `mypy --strict`: the facade and the generated models."""

from __future__ import annotations

from stability_v1alpha import Generation, Prompt, Stability
from stability_v1alpha_api.models import TextPrompt, TextToImageRequestBody


def seeds(client: Stability, prompt: str) -> list[int]:
    generation: Generation = client.text_to_image(Prompt(prompt, weight=1.0), samples=2)
    return [image.seed for image in generation.images]


def request_body(prompt: str, height: int) -> TextToImageRequestBody:
    return TextToImageRequestBody(text_prompts=[TextPrompt(text=prompt)], height=height)


def prompt_texts(body: TextToImageRequestBody) -> list[str]:
    return [prompt.text for prompt in body.text_prompts]
