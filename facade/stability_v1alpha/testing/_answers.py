"""The bytes of the server's answers: goa errors, proxy pages and generation results.

Kept apart from the decision logic (``_service``) and the socket handling
(``_handler``) so that the exact wire formats, which clients parse, sit in
one place.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

from ._faults import FailFault, RespondFault

__all__ = [
    "GOA_ERROR_CONTENT_TYPE",
    "Answer",
    "Artifact",
    "fail_answer",
    "goa_error",
    "http_date",
    "respond_answer",
    "success_answer",
]

GOA_ERROR_CONTENT_TYPE = "application/vnd.goa.error"

# goa error names for statuses the service itself never chose (injected faults).
_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "request_too_large",
    414: "uri_too_long",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    501: "not_implemented",
    504: "gateway_timeout",
}
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete HTTP answer; the handler adds Content-Length unless present."""

    status: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = field(default=b"", repr=False)
    close: bool = False


@dataclass(frozen=True, slots=True)
class Artifact:
    """One generated image and how its generation ended."""

    png: bytes = field(repr=False)
    seed: int
    finish_reason: str


def _error_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def goa_error(
    status: int,
    message: str,
    *,
    name: str | None = None,
    content_type: str = "application/json",
    temporary: bool = False,
    timeout: bool = False,
    fault: bool = False,
    headers: Sequence[tuple[str, str]] = (),
    close: bool = False,
) -> Answer:
    """The service's error object ``{name, id, message, temporary, timeout, fault}``."""
    body = {
        "name": name or _NAMES.get(status, "error"),
        "id": _error_id(),
        "message": message,
        "temporary": temporary,
        "timeout": timeout,
        "fault": fault,
    }
    return Answer(
        status,
        [("Content-Type", content_type), *headers],
        json.dumps(body).encode("utf-8"),
        close,
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _html_page(status: int) -> bytes:
    title = f"{status} {_reason(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode("ascii")


def fail_answer(fault: FailFault, error_content_type: str) -> Answer:
    """The answer an injected :class:`FailFault` asks for."""
    headers: list[tuple[str, str]] = []
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(fault.retry_after)))
    if fault.html:
        content_type = fault.content_type or "text/html"
        return Answer(
            fault.status, [("Content-Type", content_type), *headers], _html_page(fault.status)
        )
    if fault.body is None:
        temporary = fault.temporary
        if temporary is None:
            temporary = fault.status == 429 or fault.status >= 500
        return goa_error(
            fault.status,
            f"injected fault: {fault.status} {_reason(fault.status)}",
            content_type=fault.content_type or error_content_type,
            temporary=temporary,
            timeout=fault.status in (408, 504),
            fault=fault.status >= 500,
            headers=headers,
        )
    if isinstance(fault.body, Mapping):
        body = json.dumps(dict(fault.body)).encode("utf-8")
        content_type = fault.content_type or "application/json"
    else:
        body = fault.body.encode("utf-8") if isinstance(fault.body, str) else fault.body
        content_type = fault.content_type or "text/plain; charset=utf-8"
    return Answer(fault.status, [("Content-Type", content_type), *headers], body)


def respond_answer(fault: RespondFault) -> Answer:
    """The verbatim answer of a :class:`RespondFault`."""
    return Answer(fault.status, list(fault.headers.items()), fault.body)


def success_answer(artifacts: Sequence[Artifact], accept: str) -> Answer:
    """200 with one PNG (``Accept: image/png``) or a JSON array of artifacts.

    ``Finish-Reason`` and ``Seed`` describe the first artifact, as the service did.
    """
    first = artifacts[0]
    headers = [("Finish-Reason", first.finish_reason), ("Seed", str(first.seed))]
    if accept == "image/png":
        return Answer(200, [("Content-Type", "image/png"), *headers], first.png)
    body = json.dumps(
        [
            {
                "base64": base64.b64encode(a.png).decode("ascii"),
                "seed": a.seed,
                "finishReason": a.finish_reason,
            }
            for a in artifacts
        ]
    ).encode("utf-8")
    return Answer(200, [("Content-Type", "application/json"), *headers], body)


def http_date(timestamp: float) -> str:
    """An HTTP-date, e.g. for a ``Retry-After`` given as a date."""
    return formatdate(timestamp, usegmt=True)
