"""Property tests over the facade's inputs, judged by the fake server's spec validation.

* Every **valid** combination of arguments (all three operations, every
  prompt form, sizes within the pixel budget, enums, images and masks that fit)
  is sent to the fake server: the call succeeds, the server's validation of
  the request (openapi.yaml plus the service's own rules) finds nothing, and
  the request carries exactly the parameters that were set (None is not sent).
* Every **invalid** combination (a valid one with one or more arguments
  broken) raises ``InvalidRequestError`` naming one of the broken arguments,
  and the server receives nothing.

The valid cases answer with a canned image (``respond_next``) so that the
fake does not spend time drawing: validation still runs and is recorded.
Set ``PROPERTY_EXAMPLES_SCALE`` (default 1) to run more or fewer examples.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stability_v1alpha import (
    AsyncStability,
    ClipGuidancePreset,
    InvalidRequestError,
    MaskSource,
    Prompt,
    Sampler,
    Stability,
)
from stability_v1alpha._png import read_png_info
from stability_v1alpha.testing import FakeStabilityServer
from support import (
    ENGINE,
    JSON_HEADERS,
    KEY,
    PNG_8,
    PNG_HEADERS,
    artifacts_body,
    png,
)

SCALE = float(os.environ.get("PROPERTY_EXAMPLES_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "database": None,
}

SAMPLERS = [v for k, v in vars(Sampler).items() if not k.startswith("_")]
PRESETS = [v for k, v in vars(ClipGuidancePreset).items() if not k.startswith("_")]
ENGINES = [
    "stable-diffusion-v1-5",
    "stable-diffusion-512-v2-0",
    "stable-diffusion-512-v2-1",
    "stable-diffusion-768-v2-1",
]
SIZES = list(range(512, 2049, 64))

# ------------------------------------------------------------------------------------------------
# Strategies: valid arguments
# ------------------------------------------------------------------------------------------------

# Any Unicode scalar value but surrogates (not encodable); at least one non-space character.
# The fake filters one made-up word; keep it out.
texts = (
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=2000)
    .filter(lambda t: t.strip() != "")
    .filter(lambda t: "forbidden-word" not in t.lower())
)
short_texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda t: t.strip() != "" and "forbidden-word" not in t.lower()
)
weights = st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(-100, 100)
one_prompt = st.one_of(
    short_texts,
    st.builds(Prompt, short_texts, weights),
    st.tuples(short_texts, weights),
)
prompts = st.one_of(
    texts,
    one_prompt,
    st.lists(one_prompt, min_size=1, max_size=5),
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


# (width, height) pairs within the pixel budget; None leaves a side to the service (512).
SIZE_PAIRS = [
    (w, h) for w in [None, *SIZES] for h in [None, *SIZES] if (w or 512) * (h or 512) <= 1_048_576
]


@st.composite
def common_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments shared by the three methods; each one may be absent, None or set."""
    kwargs: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {"samples": st.integers(1, 10)},
            optional={
                "negative_prompt": maybe(short_texts),
                "engine": st.sampled_from(ENGINES),
                "cfg_scale": maybe(st.floats(0, 35) | st.integers(0, 35)),
                "steps": maybe(st.integers(10, 150)),
                "seed": maybe(st.integers(0, 2_147_483_647)),
                "sampler": maybe(st.sampled_from(SAMPLERS)),
                "clip_guidance_preset": maybe(st.sampled_from(PRESETS)),
            },
        )
    )
    kwargs["width"], kwargs["height"] = draw(st.sampled_from(SIZE_PAIRS))
    return kwargs


image_sides = st.integers(1, 64)


@dataclass(frozen=True)
class Call:
    """One facade call: the method, its positional and keyword arguments."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __repr__(self) -> str:  # keep Hypothesis' falsifying examples readable
        shown = [a if not isinstance(a, bytes) else f"<{len(a)} bytes>" for a in self.args]
        return f"{self.method}({shown}, {self.kwargs})"


@st.composite
def valid_calls(draw: st.DrawFn) -> Call:
    method = draw(st.sampled_from(["text_to_image", "image_to_image", "inpaint"]))
    kwargs = draw(common_kwargs())
    prompt = draw(prompts)
    if method == "text_to_image":
        return Call(method, (prompt,), kwargs)
    width, height = draw(image_sides), draw(image_sides)
    if method == "image_to_image":
        for name in ("step_schedule_start", "step_schedule_end"):
            value = draw(maybe(st.floats(0, 1) | st.sampled_from([0, 1])))
            if value is not None or draw(st.booleans()):
                kwargs[name] = value
        return Call(method, (png(width, height, alpha=draw(st.booleans())), prompt), kwargs)
    source = draw(st.sampled_from([None, *(v for k, v in vars(MaskSource).items() if k[0] != "_")]))
    alpha = source == MaskSource.INIT_IMAGE_ALPHA or draw(st.booleans())
    init = png(width, height, alpha=alpha)
    if source is not None:
        kwargs["mask_source"] = source
    if source in (MaskSource.MASK_IMAGE_WHITE, MaskSource.MASK_IMAGE_BLACK) or (
        source is None and not alpha
    ):
        kwargs["mask_image"] = png(width, height, fill=b"\xff\xff\xff")
    elif draw(st.booleans()):
        kwargs["mask_image"] = png(width, height, fill=b"\x00\x00\x00")
    return Call(method, (init, prompt), kwargs)


# ------------------------------------------------------------------------------------------------
# What a valid call must put on the wire
# ------------------------------------------------------------------------------------------------


def expected_prompts(prompt: Any, negative: str | None) -> list[dict[str, Any]]:
    items = prompt if isinstance(prompt, list) else [prompt]
    result = []
    for item in items:
        if isinstance(item, str):
            result.append({"text": item, "weight": 1.0})
        elif isinstance(item, Prompt):
            result.append({"text": item.text, "weight": float(item.weight)})
        else:
            result.append({"text": item[0], "weight": float(item[1])})
    if negative is not None:
        result.append({"text": negative, "weight": -1.0})
    return result


def expected_params(call: Call) -> dict[str, Any]:
    prompt = call.args[-1]
    kwargs = call.kwargs
    params = {
        name: value
        for name, value in kwargs.items()
        if value is not None
        and name not in ("negative_prompt", "engine", "mask_image")
        and not (name == "samples" and value is None)
    }
    params["text_prompts"] = expected_prompts(prompt, kwargs.get("negative_prompt"))
    if call.method == "inpaint":
        params.setdefault(
            "mask_source",
            MaskSource.MASK_IMAGE_WHITE
            if kwargs.get("mask_image") is not None
            else MaskSource.INIT_IMAGE_ALPHA,
        )
    return params


def same_number(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0) or a == b
    return bool(a == b)


def check_wire(call: Call, record: Any) -> None:
    assert record.validation_errors == (), (call, record.validation_errors)
    expected = expected_params(call)
    sent = record.params
    assert isinstance(sent, dict)
    assert set(sent) == set(expected), (sorted(sent), sorted(expected))
    for name, value in expected.items():
        if name == "text_prompts":
            assert [p["text"] for p in sent[name]] == [p["text"] for p in value]
            for got, want in zip(sent[name], value, strict=True):
                assert same_number(got["weight"], want["weight"]), (got, want)
        else:
            assert same_number(sent[name], value), (name, sent[name], value)
    engine = call.kwargs.get("engine", ENGINE)
    assert record.engine_id == engine
    samples = call.kwargs.get("samples", 1)
    assert record.headers["Accept"] == ("image/png" if samples == 1 else "application/json")
    assert record.headers["Authorization"] == KEY
    if call.method != "text_to_image":
        assert record.parts["init_image"].data == call.args[0]
        mask = call.kwargs.get("mask_image")
        if mask is not None:
            assert record.parts["mask_image"].data == mask
        expected_parts = {"init_image", "options"} | ({"mask_image"} if mask is not None else set())
        assert set(record.parts) == expected_parts


def canned_answer(fake: FakeStabilityServer, call: Call) -> None:
    samples = call.kwargs.get("samples", 1)
    if samples == 1:
        fake.respond_next(200, PNG_8, PNG_HEADERS)
    else:
        fake.respond_next(200, artifacts_body(*[PNG_8] * samples), JSON_HEADERS)


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(fake: FakeStabilityServer) -> Iterator[Stability]:
    with Stability(api_key=KEY, base_url=fake.base_url, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def aclient(fake: FakeStabilityServer) -> Iterator[tuple[asyncio.Runner, AsyncStability]]:
    """One event loop and one async client for all examples (a new one each costs ~20 ms)."""
    with asyncio.Runner() as runner:
        client = AsyncStability(api_key=KEY, base_url=fake.base_url, max_retries=0)
        yield runner, client
        runner.run(client.close())


def test_the_oracle_rejects_what_the_spec_forbids(fake: FakeStabilityServer) -> None:
    """Guard: the fake's validation really flags a bad body sent behind the facade's back."""
    import httpx

    fake.reset()
    response = httpx.post(
        f"{fake.base_url}/v1alpha/generation/{ENGINE}/text-to-image",
        headers={"Authorization": KEY, "Accept": "image/png"},
        json={"text_prompts": [{"text": "x"}], "height": 500, "steps": 5},
    )
    assert response.status_code == 400
    errors = " ".join(fake.requests.last.validation_errors)
    assert "height" in errors and "steps" in errors


# ------------------------------------------------------------------------------------------------
# Valid calls are accepted
# ------------------------------------------------------------------------------------------------


@settings(max_examples=examples(450), **COMMON)  # type: ignore[arg-type]
@given(call=valid_calls())
def test_every_valid_call_is_accepted_by_the_spec(
    call: Call, fake: FakeStabilityServer, client: Stability
) -> None:
    fake.reset()
    canned_answer(fake, call)
    generation = getattr(client, call.method)(*call.args, **call.kwargs)
    assert len(generation) == call.kwargs.get("samples", 1)
    (record,) = fake.requests.snapshot()
    check_wire(call, record)


@settings(max_examples=examples(150), **COMMON)  # type: ignore[arg-type]
@given(call=valid_calls())
def test_every_valid_call_is_accepted_async(
    call: Call, fake: FakeStabilityServer, aclient: tuple[asyncio.Runner, AsyncStability]
) -> None:
    runner, client = aclient
    fake.reset()
    canned_answer(fake, call)
    runner.run(getattr(client, call.method)(*call.args, **call.kwargs))
    (record,) = fake.requests.snapshot()
    check_wire(call, record)


# Sizes the fake draws quickly enough (it renders these for real); all obey the pixel budget.
DRAWABLE = [(w, h) for w in SIZES for h in SIZES if w * h <= 512 * 768]


@settings(max_examples=examples(25), **COMMON)  # type: ignore[arg-type]
@given(size=st.sampled_from(DRAWABLE), seed=st.integers(1, 2**31 - 1))
def test_valid_sizes_are_really_generated(
    size: tuple[int, int], seed: int, fake: FakeStabilityServer, client: Stability
) -> None:
    """No canned answer here: the fake draws the image and must agree on its size."""
    width, height = size
    fake.reset()
    image = client.text_to_image("a grid", width=width, height=height, seed=seed).image
    assert (image.width, image.height, image.seed) == (width, height, seed)
    assert fake.requests.last.validation_errors == ()


# ------------------------------------------------------------------------------------------------
# Invalid calls never leave the process
# ------------------------------------------------------------------------------------------------

MISSING = Path("/nonexistent/hardening/init.png")
# Stand-ins for a mask one pixel wider or taller than the init image (built per example).
WRONG_WIDTH = "<mask one pixel wider than init>"
WRONG_HEIGHT = "<mask one pixel taller than init>"


def _bad_png_crc() -> bytes:
    data = bytearray(PNG_8)
    data[29] ^= 0xFF  # inside the IHDR CRC
    return bytes(data)


# name of the argument -> values that break it (and what the error's field may be)
BAD_VALUES: dict[str, list[Any]] = {
    "prompt": [
        "",
        "   \n\t",
        "x" * 2001,
        "\ud800 lone surrogate",
        b"bytes are not text",
        bytearray(b"abc"),
        123,
        None,
        [],
        (),
        ["fine", ""],
        ["fine", 3],
        [("x", float("nan"))],
        [("x", float("inf"))],
        ("x", True),
        ("x", None),
        Prompt("x", float("-inf")),
        Prompt("", 1.0),
        Prompt(123, 1.0),  # type: ignore[arg-type]
        Prompt("y" * 2001),
        {"text": "a dict"},
    ],
    "negative_prompt": ["", " ", 5, b"neg", "n" * 2001, "\udc80", ["a list"]],
    "width": [0, 500, 513, 2112, 4096, -512, 512.0, True, "512", 1e3],
    "height": [0, 511, 576 + 1, 2048 + 64, -64, 640.0, False, "640"],
    "cfg_scale": [-0.001, 35.0001, float("nan"), float("inf"), -float("inf"), "7", True, 1j],
    "steps": [9, 151, 0, -1, 50.0, True, "50", 10**20],
    "samples": [0, 11, -1, True, 1.0, None, "2"],
    "seed": [-1, 2**31, 2**63, True, 1.5, "1", float("nan")],
    "sampler": ["k_euler", "K_EULER ", "", "UNKNOWN", 5, True],
    "clip_guidance_preset": ["none", "FAST", "", 0],
    "engine": ["", "   ", None, 5, b"engine"],
    "step_schedule_start": [-0.01, 1.01, float("nan"), float("inf"), True, "0.5"],
    "step_schedule_end": [-1, 2, float("-inf"), False, "1"],
    "init_image": [
        b"",
        b"not a png at all",
        PNG_8[:20],
        _bad_png_crc(),
        str(MISSING),
        MISSING,
        "/",
        5,
        None,
        3.5,
    ],
    "mask_image": [b"junk", b"", WRONG_WIDTH, WRONG_HEIGHT, str(MISSING)],
    "mask_source": ["WHITE", "mask_image_white", "", 5],
}
# What ``InvalidRequestError.field`` may be (its base name) for each broken argument.
FIELDS = {
    "prompt": {"prompt"},
    "width": {"width", "width*height"},
    "height": {"height", "width*height"},
    "mask_source": {"mask_source", "mask_image", "init_image"},
}
APPLIES_TO = {
    "step_schedule_start": {"image_to_image"},
    "step_schedule_end": {"image_to_image"},
    "init_image": {"image_to_image", "inpaint"},
    "mask_image": {"inpaint"},
    "mask_source": {"inpaint"},
}


def field_base(field: str) -> str:
    return field.split("[", 1)[0].split(".", 1)[0]


@st.composite
def invalid_calls(draw: st.DrawFn) -> tuple[Call, set[str]]:
    call = draw(valid_calls())
    names = [n for n in BAD_VALUES if call.method in APPLIES_TO.get(n, {call.method})]
    broken = draw(st.sets(st.sampled_from(names), min_size=1, max_size=3))
    args = list(call.args)
    kwargs = dict(call.kwargs)
    allowed: set[str] = set()
    for name in broken:
        value = draw(st.sampled_from(BAD_VALUES[name]))
        if value in (WRONG_WIDTH, WRONG_HEIGHT):
            width, height = read_png_info(call.args[0]).width, read_png_info(call.args[0]).height
            value = png(width + 1, height) if value == WRONG_WIDTH else png(width, height + 1)
        if name == "prompt":
            args[-1] = value
        elif name == "init_image":
            args[0] = value
        else:
            kwargs[name] = value
        allowed |= FIELDS.get(name, {name})
    if "mask_source" in broken or "mask_image" in broken or "init_image" in broken:
        allowed |= {"mask_image", "init_image", "mask_source"}
    return Call(call.method, tuple(args), kwargs), allowed


@settings(max_examples=examples(1800), **COMMON)  # type: ignore[arg-type]
@given(case=invalid_calls())
def test_every_invalid_call_is_refused_before_sending(
    case: tuple[Call, set[str]], fake: FakeStabilityServer, client: Stability
) -> None:
    call, allowed = case
    fake.reset()
    with pytest.raises(InvalidRequestError) as info:
        getattr(client, call.method)(*call.args, **call.kwargs)
    error = info.value
    assert field_base(error.field) in allowed, (error.field, allowed, str(error))
    assert error.rule and str(error).startswith(error.field)
    assert len(str(error)) < 600  # a clear one-liner, never a flood of bytes
    assert len(fake.requests) == 0
    assert fake.connections_opened == 0


@settings(max_examples=examples(300), **COMMON)  # type: ignore[arg-type]
@given(case=invalid_calls())
def test_every_invalid_call_is_refused_async(
    case: tuple[Call, set[str]],
    fake: FakeStabilityServer,
    aclient: tuple[asyncio.Runner, AsyncStability],
) -> None:
    runner, client = aclient
    call, allowed = case
    fake.reset()
    with pytest.raises(InvalidRequestError) as info:
        runner.run(getattr(client, call.method)(*call.args, **call.kwargs))
    assert field_base(info.value.field) in allowed
    assert len(fake.requests) == 0


def test_the_catalogue_breaks_every_argument() -> None:
    """Every keyword of every method has bad values in the catalogue."""
    import inspect

    from stability_v1alpha._parameters import RULES

    operations = {"text_to_image": "text_to_image", "image_to_image": "image_to_image"}
    for method in ("text_to_image", "image_to_image", "inpaint"):
        signature = inspect.signature(getattr(Stability, method)).parameters.values()
        positional = {p.name for p in signature if p.kind is p.POSITIONAL_OR_KEYWORD} - {"self"}
        parameters = positional | set(RULES[operations.get(method, "masking")])
        assert parameters <= set(BAD_VALUES), parameters - set(BAD_VALUES)
