"""The fake server against ``openapi.yaml``, tested by schemathesis with every check.

Schemathesis generates requests from the spec, valid ones and invalid ones,
sends them to the fake server and checks each answer: no server error, only
documented statuses, declared content types, headers and bodies matching
their schemas, valid requests accepted, invalid ones, unknown methods and
requests without a key refused. A valid request is answered 200 and nothing
else: each valid case carries the key and names an engine that exists.

Some rules the spec states only in prose: the pixel count, samples > 1 only
with ``Accept: application/json``, PNG uploads and a mask of the init image's
size where the mask source needs one, no filtered words. Two hooks teach them
to the run: valid cases get the headers these rules ask for
(:func:`follow_the_header_rules`) and valid cases whose body breaks one are
not sent as valid (:func:`follows_the_prose_rules`). Every check stays on, and
a 400 for a valid case is still a failure.

The run is deterministic: a fixed seed, derandomised generation, no example
database, and the fake server's answers depend only on the request where
the checks look (it chooses random seeds and error ids, which no check
reads). Hypothesis reports "Inconsistent results" when a failing case passes
on its replay; nothing in this run depends on time or on earlier answers,
and request timeouts are far above the slowest answer, so a case cannot
fail once and pass the next time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.transport.serialization import Binary
from stability_v1alpha._png import PNGFormatError, read_png_info
from stability_v1alpha.testing import (
    DEFAULT_ENGINES,
    DEFAULT_FILTERED_WORDS,
    MAX_PIXELS,
    FakeStabilityServer,
)

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"
KEY = "sk-conformance"
GOA_ERROR = "application/vnd.goa.error"
ENGINES = sorted(DEFAULT_ENGINES)

schema = schemathesis.openapi.from_path(
    SPEC,
    config=schemathesis.Config.from_dict(
        {
            "seed": 20_240_611,
            "generation": {
                "mode": "all",
                "max-examples": 40,
                "deterministic": True,
                "database": "none",
            },
            # The slowest answer (ten 1-megapixel samples) takes about a second.
            "request-timeout": 120,
            "auth": {"openapi": {"api_key_header_Authorization": {"api_key": KEY}}},
            # Every check; a valid request must get exactly 200.
            "checks": {"positive_data_acceptance": {"expected-statuses": ["200"]}},
        }
    ),
)


@schemathesis.deserializer(GOA_ERROR)
def goa_error_body(ctx: Any, response: Any) -> Any:
    """goa's error media type is JSON under another name."""
    return json.loads(response.content)


def png_size(data: Any) -> tuple[int, int] | None:
    raw = data.data if isinstance(data, Binary) else data
    try:
        info = read_png_info(raw)
    except (PNGFormatError, TypeError):
        return None
    return info.width, info.height


def is_valid(case: Any) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def generation_params(case: Any) -> dict[str, Any]:
    multipart = not case.operation.path.endswith("/text-to-image")
    params: dict[str, Any] = case.body["options"] if multipart else case.body
    return params


@schema.hook("filter_case")
def follows_the_prose_rules(context: Any, case: Any) -> bool:
    """Whether a valid case keeps the body rules the spec states only in words.

    A valid case that breaks one is not sent as valid: schemathesis would
    take any edit of a multipart body (it cannot validate binary parts) for
    an invalid case, so such cases are dropped rather than repaired.
    """
    if not is_valid(case):
        return True
    params = generation_params(case)
    if params.get("width", 512) * params.get("height", 512) > MAX_PIXELS:
        return False
    texts = [prompt["text"].lower() for prompt in params["text_prompts"]]
    if any(word in text for word in DEFAULT_FILTERED_WORDS for text in texts):
        return False  # invalid_prompts
    if "init_image" not in case.body:
        return True
    size = png_size(case.body["init_image"])
    mask = case.body.get("mask_image")
    needs_mask = params.get("mask_source") in ("MASK_IMAGE_WHITE", "MASK_IMAGE_BLACK")
    if mask is None:
        return size is not None and not needs_mask
    return size is not None and png_size(mask) == size


@schema.hook("map_case")
def follow_the_header_rules(context: Any, case: Any) -> Any:
    """Give a valid case the headers and engine that the spec asks for in words.

    samples > 1 needs ``Accept: application/json``; an engine that does not
    exist is a 404, as documented, so valid cases name one that does. Edits
    of headers and path parameters are revalidated by schemathesis, and the
    case stays valid.
    """
    if not is_valid(case):
        return case
    if generation_params(case).get("samples", 1) > 1:
        case.headers["Accept"] = "application/json"
    engine = str(case.path_parameters.get("engine_id", ""))
    if engine not in DEFAULT_ENGINES:
        case.path_parameters["engine_id"] = ENGINES[len(engine) % len(ENGINES)]
    return case


@pytest.fixture(scope="module", params=["application/json", GOA_ERROR])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeStabilityServer]:
    with FakeStabilityServer(KEY, error_content_type=request.param) as server:
        yield server


@pytest.mark.slow
@pytest.mark.timeout(240)  # one operation takes about 15 s on two busy cores
@schema.parametrize()
def test_the_fake_server_conforms_to_the_spec(case: Any, fake: FakeStabilityServer) -> None:
    case.call_and_validate(base_url=fake.base_url)
