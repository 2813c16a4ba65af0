from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.clip_guidance_preset import ClipGuidancePreset
from ..models.sampler import Sampler
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.text_prompt import TextPrompt


T = TypeVar("T", bound="ImageToImageOptions")


@_attrs_define
class ImageToImageOptions:
    """Generation parameters of an image-to-image request, sent as the JSON
    `options` part of the multipart body.

        Attributes:
            text_prompts (list[TextPrompt]): One or more prompts; at least one is required.
            cfg_scale (float | Unset): How strictly the diffusion follows the prompts. Higher values stay
                closer to the prompt text, lower values give the engine more freedom.
                 Default: 7.0.
            clip_guidance_preset (ClipGuidancePreset | Unset): CLIP guidance mode. `NONE` turns CLIP guidance off; the
                others trade
                speed for adherence to the prompt.
                 Default: ClipGuidancePreset.NONE.
            height (int | Unset): Height of the image in pixels: a multiple of 64 between 512 and
                2048. `height * width` must not exceed 1,048,576 pixels.
                 Default: 512.
            width (int | Unset): Width of the image in pixels: a multiple of 64 between 512 and
                2048. `height * width` must not exceed 1,048,576 pixels.
                 Default: 512.
            sampler (Sampler | Unset): Diffusion sampler. When left out, the service picks one.
            samples (int | Unset): Number of images to generate. More than one requires
                `Accept: application/json`; otherwise the request is rejected with
                `invalid_samples`.
                 Default: 1.
            seed (int | Unset): Seed of the random noise. The same seed, prompt and parameters give
                the same image. 0, or leaving the field out, asks for a random
                seed; the seed used is returned in the `Seed` header and in each
                artifact.
            steps (int | Unset): Number of diffusion steps. More steps cost more time. Default: 50.
            step_schedule_start (float | Unset): Share of the start of the diffusion schedule that is skipped,
                from 0 to 1. It sets how much of `init_image` survives: 0
                returns the initial image unchanged, 1 ignores it completely.
            step_schedule_end (float | Unset): Share of the end of the diffusion schedule that is skipped,
                from 0 to 1.
    """

    text_prompts: list[TextPrompt]
    cfg_scale: float | Unset = 7.0
    clip_guidance_preset: ClipGuidancePreset | Unset = ClipGuidancePreset.NONE
    height: int | Unset = 512
    width: int | Unset = 512
    sampler: Sampler | Unset = UNSET
    samples: int | Unset = 1
    seed: int | Unset = UNSET
    steps: int | Unset = 50
    step_schedule_start: float | Unset = UNSET
    step_schedule_end: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text_prompts = []
        for text_prompts_item_data in self.text_prompts:
            text_prompts_item = text_prompts_item_data.to_dict()
            text_prompts.append(text_prompts_item)

        cfg_scale = self.cfg_scale

        clip_guidance_preset: str | Unset = UNSET
        if not isinstance(self.clip_guidance_preset, Unset):
            clip_guidance_preset = self.clip_guidance_preset.value

        height = self.height

        width = self.width

        sampler: str | Unset = UNSET
        if not isinstance(self.sampler, Unset):
            sampler = self.sampler.value

        samples = self.samples

        seed = self.seed

        steps = self.steps

        step_schedule_start = self.step_schedule_start

        step_schedule_end = self.step_schedule_end

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text_prompts": text_prompts,
            }
        )
        if cfg_scale is not UNSET:
            field_dict["cfg_scale"] = cfg_scale
        if clip_guidance_preset is not UNSET:
            field_dict["clip_guidance_preset"] = clip_guidance_preset
        if height is not UNSET:
            field_dict["height"] = height
        if width is not UNSET:
            field_dict["width"] = width
        if sampler is not UNSET:
            field_dict["sampler"] = sampler
        if samples is not UNSET:
            field_dict["samples"] = samples
        if seed is not UNSET:
            field_dict["seed"] = seed
        if steps is not UNSET:
            field_dict["steps"] = steps
        if step_schedule_start is not UNSET:
            field_dict["step_schedule_start"] = step_schedule_start
        if step_schedule_end is not UNSET:
            field_dict["step_schedule_end"] = step_schedule_end

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.text_prompt import TextPrompt

        d = dict(src_dict)
        text_prompts = []
        _text_prompts = d.pop("text_prompts")
        for text_prompts_item_data in _text_prompts:
            text_prompts_item = TextPrompt.from_dict(text_prompts_item_data)

            text_prompts.append(text_prompts_item)

        cfg_scale = d.pop("cfg_scale", UNSET)

        _clip_guidance_preset = d.pop("clip_guidance_preset", UNSET)
        clip_guidance_preset: ClipGuidancePreset | Unset
        if isinstance(_clip_guidance_preset, Unset):
            clip_guidance_preset = UNSET
        else:
            clip_guidance_preset = ClipGuidancePreset(_clip_guidance_preset)

        height = d.pop("height", UNSET)

        width = d.pop("width", UNSET)

        _sampler = d.pop("sampler", UNSET)
        sampler: Sampler | Unset
        if isinstance(_sampler, Unset):
            sampler = UNSET
        else:
            sampler = Sampler(_sampler)

        samples = d.pop("samples", UNSET)

        seed = d.pop("seed", UNSET)

        steps = d.pop("steps", UNSET)

        step_schedule_start = d.pop("step_schedule_start", UNSET)

        step_schedule_end = d.pop("step_schedule_end", UNSET)

        image_to_image_options = cls(
            text_prompts=text_prompts,
            cfg_scale=cfg_scale,
            clip_guidance_preset=clip_guidance_preset,
            height=height,
            width=width,
            sampler=sampler,
            samples=samples,
            seed=seed,
            steps=steps,
            step_schedule_start=step_schedule_start,
            step_schedule_end=step_schedule_end,
        )

        image_to_image_options.additional_properties = d
        return image_to_image_options

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
