"""The fake server against hostile requests: a JSON 4xx goa error, never a 5xx or an HTML page.

Requests that an HTTP library would refuse to send are written byte by byte
on a raw socket and their answers read with ``http.client``; the rest go
through httpx. Every test also checks that the server logged no failure of
its own.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stability_v1alpha.testing import FakeStabilityServer, make_png
from stability_v1alpha.testing._strict_json import MAX_DEPTH

ENGINE = "stable-diffusion-512-v2-1"
T2I = f"/v1alpha/generation/{ENGINE}/text-to-image"
I2I = f"/v1alpha/generation/{ENGINE}/image-to-image"
MASKING = f"/v1alpha/generation/{ENGINE}/image-to-image/masking"
PATHS = [T2I, I2I, MASKING]
GOA_FIELDS = {"name", "id", "message", "temporary", "timeout", "fault"}
NAMES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    414: "uri_too_long",
    431: "request_header_fields_too_large",
}
VALID = b'{"text_prompts": [{"text": "a lighthouse at dawn"}]}'
PNG = make_png(8, 8, bytes(8 * 8 * 3))
PROPERTIES = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


@pytest.fixture(autouse=True)
def no_server_failures(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING, logger="stability_v1alpha.testing")
    yield
    failures = [r for r in caplog.records if r.name.startswith("stability_v1alpha.testing")]
    assert not failures, [r.getMessage() for r in failures]


def request(
    method: str = "POST",
    target: str = T2I,
    body: bytes = VALID,
    headers: Mapping[str, str | None] | None = None,
    version: str = "HTTP/1.1",
) -> bytes:
    """The bytes of a request; ``headers`` add to or (with None) remove the defaults."""
    fields: dict[str, str | None] = {
        "Host": "127.0.0.1",
        "Authorization": "sk-test",
        "Accept": "image/png",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **(headers or {}),
    }
    lines = [f"{method} {target} {version}", *(f"{k}: {v}" for k, v in fields.items() if v)]
    return "\r\n".join([*lines, "", ""]).encode("latin-1") + body


def exchange(server: FakeStabilityServer, data: bytes, *, method: str = "POST") -> Reply:
    """Send ``data`` on a new connection and read one answer."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return Reply(response.status, dict(response.headers), response.read())


def assert_refused(
    status: int, headers: Mapping[str, str], body: bytes, expected: int, *, head: bool = False
) -> dict[str, Any]:
    """A goa error in JSON with the ``expected`` status; its decoded object (empty for HEAD)."""
    assert status == expected, body[:300]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["content-type"] == "application/json"
    assert "html" not in body[:200].decode("latin-1").lower()
    if head:
        assert body == b""
        return {}
    error = json.loads(body)
    assert set(error) == GOA_FIELDS
    assert error["name"] == NAMES[expected]
    assert error["fault"] is False and error["temporary"] is False
    assert isinstance(error["id"], str) and error["id"]
    assert isinstance(error["message"], str) and error["message"]
    assert int(lowered["content-length"]) == len(body)
    return error


def refused(reply: Reply, expected: int) -> dict[str, Any]:
    return assert_refused(reply.status, reply.headers, reply.body, expected)


def refused_by_httpx(response: httpx.Response, expected: int) -> dict[str, Any]:
    return assert_refused(response.status_code, response.headers, response.content, expected)


# --------------------------------------------------------------------------- methods

METHODS = ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "MKCOL"]
ODD_METHODS = ["FOO", "post", "Post", "X-Custom_1", "M" * 200]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", METHODS + ODD_METHODS)
def test_every_method_but_post_gets_405_with_allow(
    stability_server: FakeStabilityServer, method: str, path: str
) -> None:
    reply = exchange(stability_server, request(method, path))
    error = refused(reply, 405)
    assert reply.headers["Allow"] == "POST"
    assert "use POST" in error["message"]


def test_head_gets_405_without_a_body(stability_server: FakeStabilityServer) -> None:
    reply = exchange(stability_server, request("HEAD", T2I, b""), method="HEAD")
    assert_refused(reply.status, reply.headers, reply.body, 405, head=True)
    assert reply.headers["Allow"] == "POST"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO", "POST"])
def test_unknown_paths_are_404_whatever_the_method(
    stability_server: FakeStabilityServer, method: str
) -> None:
    refused(exchange(stability_server, request(method, "/v1alpha/engines/list")), 404)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
def test_httpx_with_an_unusual_method_gets_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, T2I, content=VALID)
    refused_by_httpx(response, 405)
    assert response.headers["allow"] == "POST"


def test_a_refused_method_keeps_the_connection_in_step(
    stability_server: FakeStabilityServer, client: httpx.Client
) -> None:
    # The 405 request's body is read off the connection, so the next request is parsed cleanly.
    json_type = {"Content-Type": "application/json"}
    refused_by_httpx(client.request("PROPFIND", T2I, content=VALID * 100, headers=json_type), 405)
    assert client.post(T2I, content=VALID, headers=json_type).status_code == 200
    assert stability_server.connections_opened == 1


# --------------------------------------------------------------------------- request line


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE",
        b"POST / extra HTTP/1.1",
        b"POST " + T2I.encode() + b" HTTP/1.x",
        b"POST " + T2I.encode() + b" HTTP/1.1.1",
        b"POST " + T2I.encode() + b" FTP/1.1",
        b"POST " + T2I.encode() + b" HTTP/2.0",  # the standard library says 505
        b"POST " + T2I.encode() + b" HTTP/3",
        b"GET " + T2I.encode(),  # HTTP/0.9, which has no status line to answer with
        b"POST " + T2I.encode(),
    ],
)
def test_malformed_request_lines_are_400(
    stability_server: FakeStabilityServer, line: bytes
) -> None:
    reply = exchange(stability_server, line + b"\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    refused(reply, 400)
    assert reply.headers["Connection"] == "close"


def test_a_request_line_over_64_kib_is_414(stability_server: FakeStabilityServer) -> None:
    target = T2I + "?" + "q" * 70_000
    refused(exchange(stability_server, request("POST", target)), 414)


# --------------------------------------------------------------------------- header section


def test_a_header_line_over_64_kib_is_431(stability_server: FakeStabilityServer) -> None:
    reply = exchange(stability_server, request(headers={"X-Big": "b" * 70_000}))
    refused(reply, 431)


def test_more_than_100_headers_is_431(stability_server: FakeStabilityServer) -> None:
    many = {f"X-Header-{i}": "v" for i in range(150)}
    refused(exchange(stability_server, request(headers=many)), 431)


@pytest.mark.parametrize(
    "section",
    [
        b"Host: x\r\nthis line has no colon\r\nContent-Length: 0\r\n",
        b"Host : x\r\nContent-Length: 0\r\n",  # space before the colon
        b": no name\r\nContent-Length: 0\r\n",
        b" starts folded\r\nHost: x\r\n",
        b"Host: x\r\nX-Folded: one\r\n two\r\n",  # obs-fold
        b"Host: x\r\nX-Nul\x00: v\r\n",
    ],
)
def test_malformed_header_sections_are_400(
    stability_server: FakeStabilityServer, section: bytes
) -> None:
    reply = exchange(
        stability_server, b"POST " + T2I.encode() + b" HTTP/1.1\r\n" + section + b"\r\n"
    )
    assert "header" in refused(reply, 400)["message"]


# --------------------------------------------------------------------------- body framing


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Length": "abc"},
        {"Content-Length": "-1"},
        {"Content-Length": "+5"},
        {"Content-Length": "1_0"},
        {"Content-Length": "0x10"},
        {"Content-Length": "5, 5"},
        {"Content-Length": "1" * 30},
        {"Content-Length": "\xd9\xa2"},  # the UTF-8 bytes of an Arabic-Indic digit 2
        {"Content-Length": "0\r\nContent-Length: 0"},  # the header twice
        {"Content-Length": "0", "Transfer-Encoding": "chunked"},
        {"Content-Length": None, "Transfer-Encoding": "gzip"},
        {"Content-Length": None, "Transfer-Encoding": "gzip, chunked"},
        {"Content-Length": None, "Transfer-Encoding": "chunked, chunked"},
    ],
    ids=lambda h: repr(h)[:40],
)
def test_bad_body_framing_is_400(
    stability_server: FakeStabilityServer, headers: dict[str, str | None]
) -> None:
    reply = exchange(stability_server, request(body=b"", headers=headers))
    refused(reply, 400)
    assert reply.headers["Connection"] == "close"


CHUNKED = {"Content-Length": None, "Transfer-Encoding": "chunked"}


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\n",
        b"-1\r\nxx\r\n0\r\n\r\n",
        b"+a\r\n0123456789\r\n0\r\n\r\n",
        b"1_0\r\n",
        b"\r\n",
        b"2\r\nabc\r\n",  # a chunk longer than its size
        b"1" * 20 + b"\r\n",  # a size that does not fit 64 bits
        b"0\r\n" + b"X-Trailer: v\r\n" * 101 + b"\r\n",
    ],
)
def test_malformed_chunked_bodies_are_400(
    stability_server: FakeStabilityServer, chunks: bytes
) -> None:
    refused(exchange(stability_server, request(body=chunks, headers=CHUNKED)), 400)


def test_chunk_extensions_and_trailers_are_accepted(stability_server: FakeStabilityServer) -> None:
    chunks = b"%x;name=value\r\n%s\r\n0\r\nX-Trailer: v\r\n\r\n" % (len(VALID), VALID)
    assert exchange(stability_server, request(body=chunks, headers=CHUNKED)).status == 200


# --------------------------------------------------------------------------- JSON bodies


def nested(depth: int) -> bytes:
    """A valid body whose extra field nests arrays so that the whole is ``depth`` deep."""
    return (
        b'{"text_prompts": [{"text": "x"}], "extra": '
        + b"[" * (depth - 1)
        + b"]" * (depth - 1)
        + b"}"
    )


NOT_JSON = {
    "arrays nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "one level too deep": nested(MAX_DEPTH + 1),
    "NaN": b'{"text_prompts": [{"text": "x", "weight": NaN}]}',
    "Infinity": b'{"text_prompts": [{"text": "x"}], "cfg_scale": Infinity}',
    "-Infinity": b'{"text_prompts": [{"text": "x", "weight": -Infinity}]}',
    "a bare NaN": b"NaN",
    "a float overflowing to infinity": b'{"text_prompts": [{"text": "x", "weight": 1e999}]}',
    "an int too big for a float": b'{"text_prompts": [{"text": "x", "weight": 1%s}]}'
    % (b"0" * 400),
    "an int of 5000 digits": b'{"text_prompts": [{"text": "x"}], "seed": %s}' % (b"9" * 5000),
    "invalid UTF-8": b'{"text_prompts": [{"text": "caf\xe9"}]}',
    "UTF-16": VALID.decode().encode("utf-16"),
    "a UTF-8 byte order mark": b"\xef\xbb\xbf" + VALID,
    "trailing data": VALID + b" {}",
    "an empty body": b"",
    "only spaces": b"   ",
    "single quotes": b"{'text_prompts': [{'text': 'x'}]}",
    "a trailing comma": b'{"text_prompts": [{"text": "x"},]}',
}


@pytest.mark.parametrize("payload", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_bodies_that_are_not_strict_json_are_400(client: httpx.Client, payload: bytes) -> None:
    response = client.post(T2I, content=payload, headers={"Content-Type": "application/json"})
    assert "body: not valid JSON" in refused_by_httpx(response, 400)["message"]


@pytest.mark.parametrize(
    "payload",
    [
        NOT_JSON["arrays nested 100,000 deep"],
        NOT_JSON["NaN"],
        NOT_JSON["invalid UTF-8"],
        NOT_JSON["an int too big for a float"],
    ],
)
def test_an_options_part_that_is_not_strict_json_is_400(
    client: httpx.Client, payload: bytes
) -> None:
    response = client.post(
        I2I,
        files={
            "init_image": ("i.png", PNG, "image/png"),
            "options": ("o", payload, "application/json"),
        },
    )
    assert "options: not valid JSON" in refused_by_httpx(response, 400)["message"]


@pytest.mark.parametrize(
    "payload",
    [
        nested(MAX_DEPTH),
        b'{"text_prompts": [{"text": "x", "weight": 1e308}]}',
        b'{"text_prompts": [{"text": "\\u00e9\\ud83d\\ude00"}], "extra": null}',
        b' \r\n\t{"text_prompts": [{"text": "x"}]}\n',
        # The service's decoder keeps the last of repeated keys; so does the fake.
        b'{"text_prompts": 5, "text_prompts": [{"text": "x"}]}',
    ],
    ids=[
        "as deep as allowed",
        "the largest floats",
        "escapes",
        "surrounding whitespace",
        "a repeated key",
    ],
)
def test_strict_json_still_takes_every_valid_body(client: httpx.Client, payload: bytes) -> None:
    response = client.post(T2I, content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- multipart bodies

OPTIONS_PART = b'Content-Disposition: form-data; name="options"\r\n\r\n' + VALID
IMAGE_PART = b'Content-Disposition: form-data; name="init_image"\r\nContent-Type: image/png\r\n\r\n'


def multipart(*parts: bytes, boundary: bytes = b"b", close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + boundary + b"--\r\n" if close else b"")


MULTIPART_ODDITIES = {
    "no boundary parameter": ("multipart/form-data", multipart(IMAGE_PART + PNG, OPTIONS_PART)),
    "another boundary": (
        "multipart/form-data; boundary=z",
        multipart(IMAGE_PART + PNG, OPTIONS_PART),
    ),
    "no closing boundary": (
        "multipart/form-data; boundary=b",
        multipart(IMAGE_PART + PNG, OPTIONS_PART, close=False),
    ),
    "an empty body": ("multipart/form-data; boundary=b", b""),
    "a part without a name": (
        "multipart/form-data; boundary=b",
        multipart(b"Content-Disposition: form-data\r\n\r\nx", OPTIONS_PART),
    ),
    "a part without Content-Disposition": (
        "multipart/form-data; boundary=b",
        multipart(b"Content-Type: text/plain\r\n\r\nx", OPTIONS_PART),
    ),
    "a part that is itself multipart": (
        "multipart/form-data; boundary=b",
        multipart(
            b'Content-Disposition: form-data; name="init_image"\r\n'
            b"Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--",
            OPTIONS_PART,
        ),
    ),
    "multipart/mixed": ("multipart/mixed; boundary=b", multipart(IMAGE_PART + PNG, OPTIONS_PART)),
    "an image that is no PNG": (
        "multipart/form-data; boundary=b",
        multipart(IMAGE_PART + b"GIF89a", OPTIONS_PART),
    ),
    "bad base64 transfer encoding": (
        "multipart/form-data; boundary=b",
        multipart(
            b'Content-Disposition: form-data; name="init_image"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n!!!",
            OPTIONS_PART,
        ),
    ),
    "a JSON body": ("application/json", VALID),
}


@pytest.mark.parametrize("path", [I2I, MASKING])
@pytest.mark.parametrize(
    ("content_type", "payload"), MULTIPART_ODDITIES.values(), ids=MULTIPART_ODDITIES.keys()
)
def test_multipart_oddities_are_400(
    client: httpx.Client, path: str, content_type: str, payload: bytes
) -> None:
    refused_by_httpx(
        client.post(path, content=payload, headers={"Content-Type": content_type}), 400
    )


def test_a_part_named_empty_is_one_more_unknown_part(client: httpx.Client) -> None:
    # RFC 7578 asks for a name parameter, not a non-empty one; the service ignores unknown parts.
    payload = multipart(
        IMAGE_PART + PNG, b'Content-Disposition: form-data; name=""\r\n\r\nx', OPTIONS_PART
    )
    response = client.post(
        I2I, content=payload, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 200, response.text


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json.dumps writes them as NaN and Infinity
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["text_prompts", "text", "weight", "cfg_scale", "height", "width", "samples", "seed"]
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=5)


def assert_answered(
    status: int, headers: Mapping[str, str], body: bytes, *, head: bool = False
) -> None:
    """A generation, or a refusal as the service sends it (bodiless to HEAD)."""
    if status == 200:
        return
    assert 400 <= status < 500, body[:300]
    assert_refused(status, headers, body, status, head=head)


@PROPERTIES
@given(body=bodies, prompt=json_values)
def test_any_json_body_gets_an_image_or_a_400(
    client: httpx.Client, body: dict[str, Any], prompt: Any
) -> None:
    body.setdefault("text_prompts", [{"text": "x", "weight": prompt}])
    payload = json.dumps(body).encode()
    response = client.post(T2I, content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400)
    assert_answered(response.status_code, response.headers, response.content)
    options = {"options": ("o", payload, "application/json"), "init_image": ("i", PNG)}
    response = client.post(I2I, files=options)
    assert response.status_code in (200, 400)
    assert_answered(response.status_code, response.headers, response.content)


tokens = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)


@PROPERTIES
@given(
    method=tokens,
    target=st.sampled_from([*PATHS, "/", "*", "/v1alpha/generation//text-to-image"]) | tokens,
    version=st.sampled_from(["HTTP/1.1", "HTTP/1.0"]) | tokens,
    header=st.binary(max_size=40),
    body=st.binary(max_size=200),
)
def test_any_request_gets_a_json_4xx_or_an_image(
    stability_server: FakeStabilityServer,
    method: str,
    target: str,
    version: str,
    header: bytes,
    body: bytes,
) -> None:
    head = f"{method} {target} {version}\r\nHost: x\r\nContent-Length: {len(body)}\r\n".encode()
    header = header.replace(b"\r", b" ").replace(b"\n", b" ")
    reply = exchange(stability_server, head + header + b"\r\n\r\n" + body, method=method)
    assert_answered(reply.status, reply.headers, reply.body, head=method == "HEAD")
