"""Contract tests of the public client, sync and async, against the fake server on loopback.

These are the tests the regeneration-safety suite re-runs against a client
regenerated from a mutated spec: they touch only public names.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stability_v1alpha as sv
from stability_v1alpha import AsyncStability, Stability
from stability_v1alpha.testing import FakeStabilityServer
from support import SleepRecorder, png

KEY = "sk-contract-test-7f3a9c"


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeStabilityServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean(server: FakeStabilityServer) -> None:
    server.reset()


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest, server: FakeStabilityServer) -> Callable[..., Any]:
    """Call a client method by name on a sync or an async client, returning its result."""

    def run(
        method: str, *args: Any, client_options: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        options = {"api_key": KEY, "base_url": server.base_url, **(client_options or {})}
        if request.param == "sync":
            with Stability(**options) as client:
                return getattr(client, method)(*args, **kwargs)

        async def go() -> Any:
            async with AsyncStability(**options) as client:
                return await getattr(client, method)(*args, **kwargs)

        return asyncio.run(go())

    return run


def last(server: FakeStabilityServer) -> Any:
    assert server.requests, "the server saw no request"
    return server.requests[-1]


def options_of(recorded: Any) -> dict[str, Any]:
    """The JSON document the request carried: the body, or the multipart `options` part."""
    if recorded.json is not None:
        return dict(recorded.json)
    return dict(json.loads(recorded.parts["options"].data))


# -- success paths --------------------------------------------------------------------------


def test_single_sample_asks_for_png_and_sends_only_what_was_set(call: Any, server: Any) -> None:
    generation = call("text_to_image", "a lighthouse", seed=42, width=640)
    image = generation.image
    assert generation.images == [image]
    assert (image.width, image.height) == (640, 512)
    assert image.seed == 42
    assert image.finish_reason == sv.FinishReason.SUCCESS
    assert not image.content_filtered
    recorded = last(server)
    assert recorded.headers["Accept"] == "image/png"
    assert recorded.headers["Authorization"] == KEY
    assert recorded.path == "/v1alpha/generation/stable-diffusion-512-v2-1/text-to-image"
    assert options_of(recorded) == {
        "text_prompts": [{"text": "a lighthouse", "weight": 1.0}],
        "samples": 1,
        "seed": 42,
        "width": 640,
    }
    assert not recorded.validation_errors


def test_several_samples_come_back_as_json_artifacts(call: Any, server: Any) -> None:
    generation = call("text_to_image", "a fox", samples=3, seed=7, steps=20, cfg_scale=9.5)
    assert len(generation.images) == 3
    assert [img.seed for img in generation.images] == [7, 8, 9]
    assert len({img.data for img in generation.images}) == 3
    recorded = last(server)
    assert recorded.headers["Accept"] == "application/json"
    assert options_of(recorded)["samples"] == 3


def test_prompt_forms_and_negative_prompt(call: Any, server: Any) -> None:
    call(
        "text_to_image",
        ["plain", ("paired", 0.5), sv.Prompt("object", weight=2)],
        negative_prompt="blurry",
    )
    assert options_of(last(server))["text_prompts"] == [
        {"text": "plain", "weight": 1.0},
        {"text": "paired", "weight": 0.5},
        {"text": "object", "weight": 2.0},
        {"text": "blurry", "weight": -1.0},
    ]


def test_every_option_reaches_the_server(call: Any, server: Any) -> None:
    call(
        "text_to_image",
        "x",
        engine="stable-diffusion-v1-5",
        width=512,
        height=768,
        cfg_scale=0,
        steps=10,
        seed=2147483647,
        sampler=sv.Sampler.K_EULER_ANCESTRAL,
        clip_guidance_preset=sv.ClipGuidancePreset.FAST_BLUE,
        client_options={"organization": "org-123456"},
    )
    recorded = last(server)
    assert recorded.path.startswith("/v1alpha/generation/stable-diffusion-v1-5/")
    assert recorded.headers["Organization"] == "org-123456"
    body = options_of(recorded)
    assert body["sampler"] == "K_EULER_ANCESTRAL"
    assert body["clip_guidance_preset"] == "FAST_BLUE"
    assert (body["height"], body["cfg_scale"], body["steps"], body["seed"]) == (
        768,
        0,
        10,
        2147483647,
    )


@pytest.mark.parametrize("kind", ["path", "bytes", "file", "pil"])
def test_image_to_image_accepts_every_image_form(
    call: Any, server: Any, tmp_path: Path, kind: str
) -> None:
    data = png(512, 512)
    source: Any
    if kind == "path":
        source = tmp_path / "init.png"
        source.write_bytes(data)
    elif kind == "bytes":
        source = data
    elif kind == "file":
        source = io.BytesIO(data)
    else:
        from PIL import Image

        source = Image.open(io.BytesIO(data))
    generation = call("image_to_image", source, "make it blue", step_schedule_start=0.4)
    assert generation.image.width == 512
    recorded = last(server)
    assert recorded.path.endswith("/image-to-image")
    if kind != "pil":
        assert recorded.parts["init_image"].data == data
    assert options_of(recorded)["step_schedule_start"] == 0.4
    assert "step_schedule_end" not in options_of(recorded)
    assert not recorded.validation_errors


def test_inpaint_with_a_mask_defaults_to_white_pixels(call: Any, server: Any) -> None:
    init, mask = png(512, 512), png(512, 512, fill=b"\xff\xff\xff")
    call("inpaint", init, "a door", mask_image=mask)
    recorded = last(server)
    assert recorded.path.endswith("/image-to-image/masking")
    assert recorded.parts["mask_image"].data == mask
    assert options_of(recorded)["mask_source"] == "MASK_IMAGE_WHITE"
    assert not recorded.validation_errors


def test_inpaint_without_a_mask_uses_the_alpha_channel(call: Any, server: Any) -> None:
    call("inpaint", png(512, 512, alpha=0), "a window", samples=2)
    recorded = last(server)
    assert "mask_image" not in recorded.parts
    assert options_of(recorded)["mask_source"] == "INIT_IMAGE_ALPHA"


def test_content_filtered_images_are_flagged(call: Any, server: Any) -> None:
    server.content_filter_next()
    image = call("text_to_image", "x").image
    assert image.content_filtered
    assert image.finish_reason == sv.FinishReason.CONTENT_FILTERED


def test_unknown_finish_reason_and_extra_fields_are_kept(call: Any, server: Any) -> None:
    import base64

    data = png(512, 512)
    encoded = base64.b64encode(data).decode()
    artifacts = [
        {"base64": encoded, "seed": 5, "finishReason": "NEW_REASON", "x": 1},
        {"base64": encoded, "seed": 6.0, "finishReason": "SUCCESS"},
    ]
    server.respond_next(
        200, json.dumps(artifacts).encode(), headers={"Content-Type": "application/json"}
    )
    generation = call("text_to_image", "x", samples=2)
    assert [(i.seed, i.finish_reason) for i in generation.images] == [
        (5, "NEW_REASON"),
        (6, "SUCCESS"),
    ]
    assert generation.image.data == data


# -- errors ----------------------------------------------------------------------------------


def test_wrong_key_is_an_authentication_error(call: Any, server: Any) -> None:
    with pytest.raises(sv.AuthenticationError) as info:
        call("text_to_image", "x", client_options={"api_key": "sk-wrong"})
    assert info.value.status_code == 401
    assert info.value.name == "unauthorized"
    assert "sk-wrong" not in str(info.value)


def test_unknown_engine_is_not_found(call: Any) -> None:
    with pytest.raises(sv.NotFoundError) as info:
        call("text_to_image", "x", engine="no-such-engine")
    assert info.value.name == "not_found"
    assert isinstance(info.value.error_id, str)
    assert info.value.temporary is False


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, sv.BadRequestError),
        (403, sv.PermissionDeniedError),
        (404, sv.NotFoundError),
        (409, sv.APIStatusError),
    ],
)
def test_client_errors_are_typed_and_not_retried(
    call: Any, server: Any, sleeps: SleepRecorder, status: int, exc: type
) -> None:
    server.fail_next(status)
    with pytest.raises(exc) as info:
        call("text_to_image", "x")
    assert type(info.value) is exc
    assert info.value.status_code == status
    assert len(server.requests) == 1
    assert sleeps.delays == []


def test_transient_errors_are_retried_then_succeed(
    call: Any, server: Any, sleeps: SleepRecorder
) -> None:
    server.fail_next(503, times=2)
    assert call("text_to_image", "x").image.data
    assert len(server.requests) == 3
    assert len(sleeps.delays) == 2


def test_rate_limit_waits_as_told(call: Any, server: Any, sleeps: SleepRecorder) -> None:
    server.fail_next(429, retry_after=3)
    call("text_to_image", "x")
    assert sleeps.delays == [3.0]


def test_retries_are_bounded(call: Any, server: Any, sleeps: SleepRecorder) -> None:
    server.fail_next(500, times=10)
    with pytest.raises(sv.InternalServerError):
        call("text_to_image", "x", client_options={"max_retries": 1})
    assert len(server.requests) == 2


def test_validation_errors_are_raised_before_sending(call: Any, server: Any) -> None:
    with pytest.raises(sv.InvalidRequestError) as info:
        call("text_to_image", "x", width=600)
    assert info.value.field == "width"
    assert info.value.value == 600
    assert "64" in info.value.rule
    assert isinstance(info.value, ValueError)
    assert len(server.requests) == 0


def test_mask_size_must_match(call: Any, server: Any) -> None:
    with pytest.raises(sv.InvalidRequestError, match="mask_image"):
        call("inpaint", png(512, 512), "x", mask_image=png(576, 512))
    assert len(server.requests) == 0


# -- client object ---------------------------------------------------------------------------


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STABILITY_API_KEY", raising=False)
    with pytest.raises(sv.StabilityError, match="STABILITY_API_KEY"):
        Stability()


def test_environment_supplies_key_and_base_url(
    monkeypatch: pytest.MonkeyPatch, server: Any
) -> None:
    monkeypatch.setenv("STABILITY_API_KEY", KEY)
    monkeypatch.setenv("STABILITY_BASE_URL", server.base_url)
    with Stability() as client:
        assert client.base_url == server.base_url
        assert client.text_to_image("x").image.data


def test_repr_and_with_options_hide_the_key(server: Any) -> None:
    with Stability(api_key=KEY, base_url=server.base_url) as client:
        copy = client.with_options(timeout=5.0, max_retries=0)
        assert copy.max_retries == 0 and client.max_retries == 2
        assert copy.timeout.read == 5.0
        assert KEY not in repr(client) and KEY not in repr(copy)
        copy.close()  # shares the pool: the original keeps working
        assert client.text_to_image("x").image.data


def test_debug_log_names_each_attempt_without_the_key(
    server: Any, caplog: pytest.LogCaptureFixture, sleeps: SleepRecorder
) -> None:
    server.fail_next(502)
    with caplog.at_level(logging.DEBUG), Stability(api_key=KEY, base_url=server.base_url) as client:
        client.text_to_image("x")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("stability_v1alpha")]
    assert any("attempt 1" in m for m in messages)
    assert any("retrying" in m for m in messages)
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_save_is_atomic_and_refuses_to_overwrite(tmp_path: Path, server: Any) -> None:
    with Stability(api_key=KEY, base_url=server.base_url) as client:
        image = client.text_to_image("x", seed=3).image
    target = tmp_path / "img.png"
    assert image.save(target) == target
    assert target.read_bytes() == image.data
    with pytest.raises(FileExistsError):
        image.save(target)
    image.save(target, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.png"]
    assert image.to_pil().size == (512, 512)
