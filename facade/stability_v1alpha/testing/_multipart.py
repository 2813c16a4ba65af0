"""Strict ``multipart/form-data`` parsing with the standard library.

The server parses multipart bodies itself rather than trusting a validator's
parser: it needs the exact bytes of every part (PNG uploads are checked and
decoded), the part's declared content type for the request log, and a clear
400 for a body that is not well-formed multipart, where openapi-core's own
parser fails with an assertion.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, field
from email.message import Message

__all__ = ["MultipartError", "MultipartPart", "parse_multipart"]


class MultipartError(ValueError):
    """The body is not well-formed ``multipart/form-data``."""


@dataclass(frozen=True, slots=True)
class MultipartPart:
    """One part of a multipart body, as received."""

    name: str
    data: bytes = field(repr=False)
    content_type: str | None = None
    filename: str | None = None

    def __repr__(self) -> str:
        return (
            f"MultipartPart(name={self.name!r}, {len(self.data)} bytes, "
            f"content_type={self.content_type!r}, filename={self.filename!r})"
        )


def parse_multipart(body: bytes, content_type: str) -> list[MultipartPart]:
    """Split ``body`` into its parts, or raise :class:`MultipartError`.

    ``content_type`` is the request's full Content-Type header (it carries the
    boundary). The stdlib email parser does the work: the header is prepended
    so that the body reads as one MIME message, and its "defects" are turned
    into errors, because the parser itself never raises.
    """
    header = content_type.encode("latin-1", "replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + header + b"\r\n\r\n" + body
    )
    if message.get_content_type() != "multipart/form-data":
        raise MultipartError("Content-Type is not multipart/form-data")
    if message.get_param("boundary") is None:
        raise MultipartError("multipart Content-Type has no boundary parameter")
    if message.defects or not message.is_multipart():
        names = ", ".join(type(d).__name__ for d in message.defects) or "no parts"
        raise MultipartError(f"malformed multipart body ({names})")
    return [_part(p) for p in message.iter_parts()]


def _part(part: Message) -> MultipartPart:
    if part.get_content_disposition() != "form-data":
        raise MultipartError("multipart part lacks a 'Content-Disposition: form-data' header")
    name = part.get_param("name", header="content-disposition")
    # RFC 7578 requires the parameter, not a non-empty value: a part named ""
    # is one more part the service does not know, and ignores like the others.
    if not isinstance(name, str):
        raise MultipartError("multipart part has no name")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise MultipartError(f"multipart part {name!r} is itself multipart")
    declared = part.get("content-type")
    filename = part.get_filename()
    return MultipartPart(
        name=name,
        data=payload,
        content_type=str(declared) if declared is not None else None,
        filename=filename,
    )
