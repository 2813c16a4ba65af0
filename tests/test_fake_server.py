"""The fake Stability server over real HTTP: answers, errors, validation, recording, lifecycle.

Uses raw httpx against the server on loopback, so these tests pin down the
wire behaviour clients rely on, independently of the facade.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from typing import Any

import httpx
import pytest
from stability_v1alpha._png import read_png_info
from stability_v1alpha.testing import FakeStabilityServer, make_png
from support import open_fds, png

ENGINE = "stable-diffusion-512-v2-1"
T2I = f"/v1alpha/generation/{ENGINE}/text-to-image"
I2I = f"/v1alpha/generation/{ENGINE}/image-to-image"
MASKING = f"/v1alpha/generation/{ENGINE}/image-to-image/masking"
GOA_FIELDS = {"name", "id", "message", "temporary", "timeout", "fault"}


def http_client(base_url: str = "", **kwargs: Any) -> httpx.Client:
    """An httpx client for the plain-HTTP loopback server.

    ``verify=False`` only skips loading the CA bundle (~40 ms a client): no TLS is involved.
    """
    return httpx.Client(base_url=base_url, verify=False, **kwargs)


def body(**fields: Any) -> dict[str, Any]:
    return {"text_prompts": [{"text": "a lighthouse at dawn"}], **fields}


def multipart(options: dict[str, Any], **images: bytes) -> dict[str, Any]:
    """httpx keyword arguments for an image-to-image or masking request."""
    return {
        "files": {name: (f"{name}.png", data, "image/png") for name, data in images.items()},
        "data": {"options": json.dumps(options)},
    }


def assert_goa_error(response: httpx.Response, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    assert set(error) == GOA_FIELDS
    assert error["name"] == name
    assert all(isinstance(error[k], bool) for k in ("temporary", "timeout", "fault"))
    assert error["id"] and isinstance(error["message"], str)
    return error


# --------------------------------------------------------------------------- success


def test_text_to_image_png_has_the_requested_size_and_headers(client: httpx.Client) -> None:
    response = client.post(T2I, json=body(seed=1234, width=768, height=512))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["finish-reason"] == "SUCCESS"
    assert response.headers["seed"] == "1234"
    assert int(response.headers["content-length"]) == len(response.content)
    info = read_png_info(response.content)
    assert (info.width, info.height) == (768, 512)


def test_default_size_is_512(client: httpx.Client) -> None:
    info = read_png_info(client.post(T2I, json=body(seed=1)).content)
    assert (info.width, info.height) == (512, 512)


def test_images_are_deterministic_in_seed_and_prompt(client: httpx.Client) -> None:
    first = client.post(T2I, json=body(seed=42)).content
    again = client.post(T2I, json=body(seed=42)).content
    other_prompt = client.post(T2I, json={"text_prompts": [{"text": "a cat"}], "seed": 42}).content
    other_seed = client.post(T2I, json=body(seed=43)).content
    assert first == again
    assert first != other_prompt
    assert first != other_seed


def test_json_accept_returns_one_artifact_per_sample(client: httpx.Client) -> None:
    response = client.post(
        T2I, json=body(seed=100, samples=3), headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["seed"] == "100"
    assert response.headers["finish-reason"] == "SUCCESS"
    artifacts = response.json()
    assert [a["seed"] for a in artifacts] == [100, 101, 102]
    assert {a["finishReason"] for a in artifacts} == {"SUCCESS"}
    images = [base64.b64decode(a["base64"]) for a in artifacts]
    assert all(read_png_info(i).width == 512 for i in images)
    assert len(set(images)) == 3
    # An artifact's seed reproduces it on its own.
    alone = client.post(T2I, json=body(seed=101)).content
    assert alone == images[1]


def test_artifact_seeds_wrap_inside_the_seed_range(client: httpx.Client) -> None:
    response = client.post(
        T2I, json=body(seed=2147483647, samples=2), headers={"Accept": "application/json"}
    )
    assert [a["seed"] for a in response.json()] == [2147483647, 1]


@pytest.mark.parametrize("seed", [0, None])
def test_random_seed_is_reported(client: httpx.Client, seed: int | None) -> None:
    fields = {} if seed is None else {"seed": seed}
    seeds = set()
    for _ in range(2):
        response = client.post(T2I, json=body(**fields), headers={"Accept": "application/json"})
        reported = int(response.headers["seed"])
        assert 1 <= reported <= 2147483647
        assert response.json()[0]["seed"] == reported
        seeds.add(reported)
    assert len(seeds) == 2


def test_image_to_image_answers_in_the_init_image_size(client: httpx.Client) -> None:
    response = client.post(I2I, **multipart(body(width=1024, height=1024), init_image=png(128, 64)))
    assert response.status_code == 200, response.text
    info = read_png_info(response.content)
    assert (info.width, info.height) == (128, 64)


# --------------------------------------------------------------------------- the service's rules


def test_invalid_samples_without_json_accept(client: httpx.Client) -> None:
    error = assert_goa_error(client.post(T2I, json=body(samples=2)), 400, "bad_request")
    assert error["message"].startswith("invalid_samples")


def test_samples_out_of_bounds_is_invalid_samples(client: httpx.Client) -> None:
    response = client.post(T2I, json=body(samples=11), headers={"Accept": "application/json"})
    assert assert_goa_error(response, 400, "bad_request")["message"].startswith("invalid_samples")


@pytest.mark.parametrize(
    "size",
    [
        {"height": 1024, "width": 2048},  # too many pixels
        {"height": 520},  # not a multiple of 64
        {"width": 448},  # below the minimum
        {"height": 2112},  # above the maximum
    ],
)
def test_invalid_height_or_width(client: httpx.Client, size: dict[str, int]) -> None:
    error = assert_goa_error(client.post(T2I, json=body(**size)), 400, "bad_request")
    assert error["message"].startswith("invalid_height_or_width")


def test_largest_allowed_pixel_count_passes(client: httpx.Client) -> None:
    response = client.post(T2I, json=body(height=512, width=2048, seed=3))
    assert response.status_code == 200
    assert (read_png_info(response.content).width, read_png_info(response.content).height) == (
        2048,
        512,
    )


def test_invalid_image_dimensions_when_mask_size_differs(client: httpx.Client) -> None:
    response = client.post(
        MASKING,
        **multipart(
            body(mask_source="MASK_IMAGE_WHITE"), init_image=png(128, 64), mask_image=png(64, 64)
        ),
    )
    error = assert_goa_error(response, 400, "bad_request")
    assert error["message"].startswith("invalid_image_dimensions")


@pytest.mark.parametrize("source", ["MASK_IMAGE_WHITE", "MASK_IMAGE_BLACK"])
def test_invalid_mask_image_when_mask_is_missing(client: httpx.Client, source: str) -> None:
    response = client.post(MASKING, **multipart(body(mask_source=source), init_image=png(64, 64)))
    assert assert_goa_error(response, 400, "bad_request")["message"].startswith(
        "invalid_mask_image"
    )


def test_init_image_alpha_needs_no_mask(client: httpx.Client) -> None:
    response = client.post(
        MASKING, **multipart(body(mask_source="INIT_IMAGE_ALPHA"), init_image=png(64, 64))
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("part", ["init_image", "mask_image"])
def test_invalid_mime_type_for_non_png_uploads(client: httpx.Client, part: str) -> None:
    images = {"init_image": png(64, 64), "mask_image": png(64, 64)}
    images[part] = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    response = client.post(MASKING, **multipart(body(mask_source="MASK_IMAGE_BLACK"), **images))
    error = assert_goa_error(response, 400, "bad_request")
    assert error["message"].startswith("invalid_mime_type")
    assert part in error["message"]


def test_invalid_file_size_over_the_configured_limit() -> None:
    noisy = make_png(64, 64, os.urandom(64 * 64 * 3))  # incompressible: > 12 kB
    with (
        FakeStabilityServer(max_upload_bytes=4096) as server,
        http_client(base_url=server.base_url, headers={"Authorization": "k"}) as c,
    ):
        headers = {"Accept": "image/png"}
        response = c.post(I2I, headers=headers, **multipart(body(), init_image=noisy))
        error = assert_goa_error(response, 400, "bad_request")
        assert error["message"].startswith("invalid_file_size")
        small = c.post(I2I, headers=headers, **multipart(body(), init_image=png(8, 8)))
        assert small.status_code == 200


def test_invalid_prompts_for_filtered_words(client: httpx.Client) -> None:
    response = client.post(T2I, json={"text_prompts": [{"text": "A Forbidden-Word here"}]})
    assert assert_goa_error(response, 400, "bad_request")["message"].startswith("invalid_prompts")
    # Whole words only.
    assert client.post(T2I, json={"text_prompts": [{"text": "unforbidden-wordy"}]}).is_success


def test_filtered_words_are_configurable() -> None:
    with (
        FakeStabilityServer(filtered_words={"kitten"}) as server,
        http_client(base_url=server.base_url) as c,
    ):
        headers = {"Authorization": "k", "Accept": "image/png"}
        negative = {"text_prompts": [{"text": "x"}, {"text": "kitten", "weight": -1}]}
        assert c.post(T2I, json=negative, headers=headers).status_code == 400
        default_word = {"text_prompts": [{"text": "forbidden-word"}]}
        assert c.post(T2I, json=default_word, headers=headers).status_code == 200


def test_goa_media_type_for_errors_is_configurable() -> None:
    with (
        FakeStabilityServer(error_content_type="application/vnd.goa.error") as server,
        http_client(base_url=server.base_url) as c,
    ):
        response = c.post(T2I, json=body(), headers={"Accept": "image/png"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/vnd.goa.error"
        assert response.json()["name"] == "unauthorized"


# --------------------------------------------------------------------------- auth, routing


@pytest.mark.parametrize("authorization", [None, "", "sk-wrong", "Bearer sk-right-key-123"])
def test_unauthorized(authorization: str | None) -> None:
    with (
        FakeStabilityServer("sk-right-key-123") as server,
        http_client(base_url=server.base_url) as c,
    ):
        headers = {"Accept": "image/png"}
        if authorization is not None:
            headers["Authorization"] = authorization
        response = c.post(T2I, json=body(), headers=headers)
        error = assert_goa_error(response, 401, "unauthorized")
        assert "sk-right" not in response.text and "sk-wrong" not in response.text
        assert "API key" in error["message"]
        ok = c.post(T2I, json=body(), headers={**headers, "Authorization": "sk-right-key-123"})
        assert ok.status_code == 200


def test_generated_key_mode_accepts_any_key_but_not_bearer(
    stability_server: FakeStabilityServer,
) -> None:
    assert stability_server.accepts_any_key
    assert stability_server.api_key.startswith("sk-fake-")
    with http_client(base_url=stability_server.base_url) as c:
        headers = {"Accept": "image/png"}
        assert c.post(T2I, json=body(), headers={**headers, "Authorization": "x"}).is_success
        bearer = c.post(T2I, json=body(), headers={**headers, "Authorization": "Bearer x"})
        assert bearer.status_code == 401


def test_server_repr_hides_the_key() -> None:
    with FakeStabilityServer("sk-very-secret-value") as server:
        assert "secret" not in repr(server)
        assert server.base_url in repr(server)
    assert "stopped" in repr(server)


def test_unknown_engine_is_404(client: httpx.Client) -> None:
    response = client.post("/v1alpha/generation/stable-diffusion-xl/text-to-image", json=body())
    error = assert_goa_error(response, 404, "not_found")
    assert "stable-diffusion-xl" in error["message"]


def test_engines_are_configurable() -> None:
    with FakeStabilityServer(engines={"my-engine"}) as server, http_client() as c:
        headers = {"Authorization": "k", "Accept": "image/png"}
        base = f"{server.base_url}/v1alpha/generation"
        assert c.post(f"{base}/my-engine/text-to-image", json=body(), headers=headers).is_success
        missing = c.post(f"{base}/{ENGINE}/text-to-image", json=body(), headers=headers)
        assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/v1alpha/engines/list", "/v1/generation/x/text-to-image", "/"])
def test_unknown_path_is_404(client: httpx.Client, path: str) -> None:
    assert_goa_error(client.post(path, json=body()), 404, "not_found")


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.get(T2I)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


# --------------------------------------------------------------------------- spec validation


@pytest.mark.parametrize(
    ("payload", "mentions"),
    [
        (body(steps=5), "steps"),
        (body(steps=151), "steps"),
        (body(cfg_scale=40), "cfg_scale"),
        (body(sampler="K_UNKNOWN"), "sampler"),
        (body(clip_guidance_preset="FASTEST"), "clip_guidance_preset"),
        (body(seed=-1), "seed"),
        (body(seed=2**31), "seed"),
        ({"cfg_scale": 7}, "text_prompts"),
        ({"text_prompts": []}, "text_prompts"),
        ({"text_prompts": [{"weight": 1}]}, "text"),
        ({"text_prompts": [{"text": "x" * 2001}]}, "text_prompts[0].text"),
        (body(steps="fifty"), "steps"),
    ],
)
def test_schema_violations_are_bad_requests(
    client: httpx.Client, payload: dict[str, Any], mentions: str
) -> None:
    error = assert_goa_error(client.post(T2I, json=payload), 400, "bad_request")
    assert mentions in error["message"]
    assert len(error["message"]) < 2000  # long values are clipped, not echoed


@pytest.mark.parametrize("accept", ["*/*", "image/jpeg", None])
def test_accept_header_must_be_one_of_the_spec_values(
    stability_server: FakeStabilityServer, accept: str | None
) -> None:
    headers = {"Authorization": "k"}
    if accept is not None:
        headers["Accept"] = accept
    with http_client(base_url=stability_server.base_url) as c:
        response = c.post(T2I, json=body(), headers=headers)
        if accept is None:  # httpx then sends its default, */*
            assert response.request.headers["accept"] == "*/*"
        assert "Accept" in assert_goa_error(response, 400, "bad_request")["message"]


def test_body_that_is_not_json(client: httpx.Client) -> None:
    response = client.post(T2I, content=b"{not json", headers={"Content-Type": "application/json"})
    assert "body" in assert_goa_error(response, 400, "bad_request")["message"]


def test_wrong_content_type_for_the_operation(client: httpx.Client) -> None:
    response = client.post(I2I, json=body())
    assert "Content-Type" in assert_goa_error(response, 400, "bad_request")["message"]


def test_options_part_that_is_not_json(client: httpx.Client) -> None:
    response = client.post(
        I2I,
        files={"init_image": ("i.png", png(64, 64), "image/png")},
        data={"options": "{text_prompts: oops"},
    )
    assert "options" in assert_goa_error(response, 400, "bad_request")["message"]


def test_options_part_is_validated_against_the_schema(client: httpx.Client) -> None:
    response = client.post(
        I2I, **multipart(body(steps=5, step_schedule_start=1.5), init_image=png(64, 64))
    )
    message = assert_goa_error(response, 400, "bad_request")["message"]
    assert "options.steps" in message and "options.step_schedule_start" in message


def test_unknown_mask_source(client: httpx.Client) -> None:
    kwargs = multipart(body(mask_source="MASK_RED"), init_image=png(64, 64))
    response = client.post(MASKING, **kwargs)
    assert "mask_source" in assert_goa_error(response, 400, "bad_request")["message"]


def test_mask_source_is_required_for_masking(client: httpx.Client) -> None:
    response = client.post(MASKING, **multipart(body(), init_image=png(64, 64)))
    assert "mask_source" in assert_goa_error(response, 400, "bad_request")["message"]


@pytest.mark.parametrize("missing", ["options", "init_image"])
def test_multipart_parts_are_required(client: httpx.Client, missing: str) -> None:
    kwargs = multipart(body(), init_image=png(64, 64))
    if missing == "options":
        kwargs["data"] = {}
    else:
        kwargs["files"] = {"other": ("o.txt", b"x", "text/plain")}
    response = client.post(I2I, **kwargs)
    assert missing in assert_goa_error(response, 400, "bad_request")["message"]


def test_malformed_multipart_body(client: httpx.Client) -> None:
    response = client.post(
        I2I, content=b"--x\r\nnot a part", headers={"Content-Type": "multipart/form-data"}
    )
    assert "multipart" in assert_goa_error(response, 400, "bad_request")["message"]


def test_boundary_that_openapi_core_cannot_parse_is_still_validated(
    client: httpx.Client,
) -> None:
    # openapi-core splits Content-Type parameters on every "=": the jsonschema
    # fallback must then still apply the spec's schema to the options part.
    boundary = "----=_Part_7"
    options = json.dumps(body(steps=5)).encode()
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="init_image"; filename="i.png"\r\n'
        f"Content-Type: image/png\r\n\r\n"
    ).encode()
    raw += png(64, 64)
    raw += (f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="options"\r\n\r\n').encode()
    raw += options + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f'multipart/form-data; boundary="{boundary}"'}
    response = client.post(I2I, content=raw, headers=headers)
    assert "options.steps" in assert_goa_error(response, 400, "bad_request")["message"]
    fixed = raw.replace(options, json.dumps(body()).encode())
    assert client.post(I2I, content=fixed, headers=headers).status_code == 200


def test_extra_fields_are_accepted(client: httpx.Client) -> None:
    # The spec does not forbid additional properties; neither does the service.
    assert client.post(T2I, json=body(style_preset="anime")).status_code == 200


# --------------------------------------------------------------------------- recording


def test_requests_are_recorded(stability_server: FakeStabilityServer, client: httpx.Client) -> None:
    client.post(T2I, json=body(seed=7), headers={"Organization": "org-123"})
    client.post(I2I, **multipart(body(steps=20), init_image=png(64, 64)))
    client.post(T2I, json=body(steps=1))
    first, second, third = stability_server.requests
    assert first.method == "POST" and first.path == T2I
    assert first.operation == "textToImage" and first.engine_id == ENGINE
    assert first.headers["organization"] == "org-123"
    assert first.headers["AUTHORIZATION"] == stability_server.api_key
    assert first.json == body(seed=7) and first.params == body(seed=7)
    assert json.loads(first.body) == body(seed=7)
    assert first.status == 200 and first.validation_errors == ()
    assert second.operation == "imageToImage"
    assert second.parts["init_image"].data == png(64, 64)
    assert second.parts["init_image"].content_type == "image/png"
    assert second.parts["init_image"].filename == "init_image.png"
    assert second.options == body(steps=20) and second.params == second.options
    assert third.status == 400
    assert any("steps" in e for e in third.validation_errors)
    assert stability_server.requests.last is third


def test_records_never_show_the_key(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    client.post(T2I, json=body())
    record = stability_server.requests[0]
    assert stability_server.api_key not in repr(record)
    assert stability_server.api_key not in repr(record.headers)
    assert stability_server.api_key not in repr(stability_server.requests)


def test_recording_is_thread_safe(stability_server: FakeStabilityServer) -> None:
    def worker() -> None:
        with http_client(base_url=stability_server.base_url) as c:
            for _ in range(5):
                c.post(
                    T2I, json=body(seed=9), headers={"Authorization": "k", "Accept": "image/png"}
                )

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stability_server.requests) == 20
    assert {r.status for r in stability_server.requests} == {200}


# --------------------------------------------------------------------------- connections, lifecycle


def test_keep_alive_connections_are_counted(stability_server: FakeStabilityServer) -> None:
    headers = {"Authorization": "k", "Accept": "image/png"}
    with http_client(base_url=stability_server.base_url, headers=headers) as c:
        for _ in range(4):
            assert c.post(T2I, json=body(seed=1)).status_code == 200
        assert c.post(T2I, json=body(steps=1)).status_code == 400  # errors keep it alive too
    assert stability_server.connections_opened == 1
    with http_client(base_url=stability_server.base_url, headers=headers) as c:
        c.post(T2I, json=body(seed=1))
    assert stability_server.connections_opened == 2
    stability_server.reset()
    assert stability_server.connections_opened == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_stop_closes_sockets_and_joins_threads() -> None:
    fds_before = open_fds()
    server = FakeStabilityServer().start()
    port = server.port
    idle = http_client(server.base_url)  # leaves a keep-alive connection open
    idle.post(T2I, json=body(), headers={"Authorization": "k", "Accept": "image/png"})
    ours = [t for t in threading.enumerate() if t.name.endswith(f":{port}")]
    assert len(ours) == 2  # the accept loop and the idle connection's handler
    assert server.running
    server.stop()
    assert not server.running
    assert not any(t.is_alive() for t in ours)
    with pytest.raises(httpx.ConnectError):  # the listening socket is closed
        idle.post(T2I, json=body())
    idle.close()
    # Not "==": other tests' sockets may still be closing in the background.
    assert open_fds() <= fds_before
    server.stop()  # a second stop is harmless
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_server_can_be_restarted() -> None:
    server = FakeStabilityServer()
    with server:
        first = server.base_url
    with server, http_client() as c:
        response = c.post(
            f"{server.base_url}{T2I}",
            json=body(),
            headers={"Authorization": "k", "Accept": "image/png"},
        )
        assert response.status_code == 200
    assert first.startswith("http://127.0.0.1:")


def test_starting_twice_is_an_error() -> None:
    with FakeStabilityServer() as server, pytest.raises(RuntimeError):
        server.start()


def test_empty_api_key_is_refused() -> None:
    with pytest.raises(ValueError):
        FakeStabilityServer("  ")


# --------------------------------------------------------------------------- HTTP framing


def test_chunked_request_bodies_are_read(client: httpx.Client) -> None:
    payload = json.dumps(body(seed=5)).encode()
    response = client.post(
        T2I,
        content=iter([payload[:10], payload[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 200


def test_oversized_request_body_is_refused_and_the_connection_closed() -> None:
    with (
        FakeStabilityServer(max_upload_bytes=1000) as server,
        http_client(server.base_url, headers={"Authorization": "k", "Accept": "image/png"}) as c,
    ):
        big = {"init_image": ("i.png", b"\x00" * (2 * 1024 * 1024), "image/png")}
        response = c.post(I2I, files=big, data={"options": json.dumps(body())})
        error = assert_goa_error(response, 400, "bad_request")
        assert error["message"].startswith("invalid_file_size")
        assert response.headers["connection"] == "close"
        assert c.post(T2I, json=body()).status_code == 200  # on a new connection
        assert server.connections_opened == 2


# --------------------------------------------------------------------------- the jsonschema net


@pytest.mark.parametrize(
    ("operation", "path", "options"),
    [
        ("imageToImage", I2I, body(steps=5, step_schedule_end=2)),
        ("imageToImage", I2I, {"text_prompts": [{"text": 3}]}),
        ("masking", MASKING, body(mask_source="NOPE", height=100)),
        ("masking", MASKING, body(mask_source="INIT_IMAGE_ALPHA")),
    ],
)
def test_jsonschema_fallback_agrees_with_openapi_core(
    operation: str, path: str, options: dict[str, Any]
) -> None:
    from stability_v1alpha.testing._multipart import parse_multipart
    from stability_v1alpha.testing._spec_validator import ValidationInput, get_validator

    request = httpx.Request(
        "POST",
        f"http://x{path}",
        files={"init_image": ("i.png", png(64, 64), "image/png")},
        data={"options": json.dumps(options)},
    )
    raw = request.read()
    content_type = request.headers["content-type"]
    data = ValidationInput(
        operation=operation,
        method="POST",
        path=path,
        headers=[("Authorization", "k"), ("Accept", "image/png"), ("Content-Type", content_type)],
        content_type=content_type,
        body=raw,
        parts=parse_multipart(raw, content_type),
    )
    validator = get_validator()
    assert validator.openapi_core_reads_json_parts
    by_openapi_core = sorted(str(i) for i in validator.validate(data))
    by_jsonschema = sorted(str(i) for i in validator._fallback(data))
    assert by_openapi_core == by_jsonschema
