"""Reading answers: images from a success body, typed errors from the rest.

The generated parser cannot serve here: it reads every 200 as JSON (a PNG body
makes it fail), and its enums reject values a newer service may add. So the
body is read here, incrementally: base64 text is decoded as it arrives and
never held twice, which keeps ten 1024x1024 images within about their own size
in memory.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ._exceptions import APIStatusError, MalformedResponseError, status_error_class
from ._png import PNGFormatError, check_png_header
from ._types import FinishReason, GeneratedImage, Generation

__all__ = ["SuccessReader", "status_error"]

_PNG_END = b"IEND\xaeB`\x82"
_BASE64_KEY = re.compile(rb'"base64"\s*:\s*$')
_BLOB_MARK = "\x00blob:"
# How much of an error body is read and parsed; the rest is not waited for.
ERROR_BODY_LIMIT = 64 * 1024
_MESSAGE_LIMIT = 300


class SuccessReader:
    """Collects a 2xx body chunk by chunk and turns it into a :class:`Generation`."""

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        *,
        accept: str,
        samples: int,
        requested_seed: int | None,
    ) -> None:
        self._status = status_code
        self._headers = headers
        self._samples = samples
        self._requested_seed = requested_seed
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        self._json = media_type == "application/json" or media_type.endswith("+json")
        if self._json != (accept != "image/png") or not (self._json or media_type == "image/png"):
            raise MalformedResponseError(
                f"asked for {accept}, got a body of type {media_type or 'unknown'!r}",
                status_code=status_code,
            )
        self._chunks: list[bytes] = []
        self._artifacts = _ArtifactScanner(status_code) if self._json else None

    def feed(self, chunk: bytes) -> None:
        """Take the next piece of the body."""
        if self._artifacts is not None:
            self._artifacts.feed(chunk)
        else:
            self._chunks.append(chunk)

    def finish(self) -> Generation:
        """Check what arrived and build the result; raises MalformedResponseError."""
        if self._artifacts is not None:
            images = [self._artifact(item) for item in self._artifacts.finish()]
            if len(images) != self._samples:
                raise self._malformed(
                    f"asked for {self._samples} images, the body holds {len(images)}"
                )
            return Generation(images)
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._check_png(data)
        return Generation([GeneratedImage(data, self._header_seed(), self._header_finish_reason())])

    def _artifact(self, item: Any) -> GeneratedImage:
        if not isinstance(item, dict):
            raise self._malformed("an artifact is not a JSON object")
        data = item.get("base64")
        if not isinstance(data, bytes):
            raise self._malformed("an artifact has no base64 image")
        self._check_png(data)
        seed = item.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int | float) or not math.isfinite(seed):
            seed = self._header_seed()
        reason = item.get("finishReason")
        if not isinstance(reason, str) or not reason:
            reason = self._header_finish_reason()
        return GeneratedImage(data, int(seed), reason)

    def _header_seed(self) -> int:
        """Seed from the ``Seed`` header, else the requested one, else 0 (unknown)."""
        try:
            return int(self._headers.get("seed", ""))
        except ValueError:
            return self._requested_seed or 0

    def _header_finish_reason(self) -> str:
        return self._headers.get("finish-reason") or FinishReason.SUCCESS

    def _check_png(self, data: bytes) -> None:
        try:
            check_png_header(data)
        except PNGFormatError as exc:
            raise self._malformed(f"the image is not a valid PNG ({exc})") from None
        # IEND closes every PNG; look near the end without copying the image.
        if data.rfind(_PNG_END, max(len(data) - 64, 0)) < 0:
            raise self._malformed("the PNG image is truncated (no IEND chunk)")

    def _malformed(self, message: str) -> MalformedResponseError:
        return MalformedResponseError(message, status_code=self._status)


class _ArtifactScanner:
    """Incremental reader of a JSON array whose ``base64`` strings may be huge.

    Everything but the values of ``base64`` keys is copied into a small
    skeleton document; those values are decoded to bytes on the fly and
    replaced in the skeleton by a marker. ``json`` then parses the skeleton and
    the markers are swapped for the decoded bytes.
    """

    def __init__(self, status_code: int) -> None:
        self._status = status_code
        # Nesting outside strings: artifacts are the objects at depth 2, and only
        # their own "base64" keys hold images (a nested one is just extra data).
        self._depth = 0
        self._skeleton = bytearray()
        self._blobs: list[bytearray] = []
        self._pending = bytearray()
        self._in_string = False
        self._in_blob = False
        self._escape = False

    def feed(self, chunk: bytes) -> None:
        pos, end = 0, len(chunk)
        while pos < end:
            if self._escape:
                pos = self._finish_escape(chunk, pos)
            elif self._in_string:
                pos = self._scan_string(chunk, pos)
            else:
                quote = chunk.find(b'"', pos)
                stop = len(chunk) if quote < 0 else quote
                self._structure(chunk[pos:stop])
                if quote < 0:
                    return
                self._open_string()
                pos = quote + 1

    def finish(self) -> list[Any]:
        if self._in_string or self._escape:
            raise self._error("the JSON body ends inside a string")
        try:
            document = json.loads(self._skeleton)
        except (ValueError, RecursionError) as exc:
            raise self._error(f"the body is not valid JSON ({exc})") from None
        if not isinstance(document, list):
            raise self._error("the JSON body is not an array of artifacts")
        blobs, self._blobs = self._blobs, []
        return [self._restore(item, blobs) for item in document]

    def _restore(self, item: Any, blobs: list[bytearray]) -> Any:
        if isinstance(item, dict):
            marker = item.get("base64")
            if isinstance(marker, str) and marker.startswith(_BLOB_MARK):
                index = int(marker[len(_BLOB_MARK) :])
                item["base64"] = bytes(blobs[index])
                blobs[index] = bytearray()
        return item

    def _open_string(self) -> None:
        self._in_string = True
        self._in_blob = self._depth == 2 and bool(_BASE64_KEY.search(self._skeleton[-64:]))
        if self._in_blob:
            self._skeleton += f'"\\u0000blob:{len(self._blobs)}"'.encode()
            self._blobs.append(bytearray())
        else:
            self._skeleton += b'"'

    def _scan_string(self, chunk: bytes, pos: int) -> int:
        # Two memchr-speed finds: a regex character class would walk megabytes
        # of base64 one byte at a time (it cost more than decoding it).
        quote = chunk.find(b'"', pos)
        end = len(chunk) if quote < 0 else quote
        backslash = chunk.find(b"\\", pos, end)
        stop = end if backslash < 0 else backslash
        self._take(chunk[pos:stop])
        if stop == len(chunk):
            return stop
        if backslash >= 0:
            self._escape = True
            if not self._in_blob:
                self._skeleton += b"\\"
        else:
            self._close_string()
        return stop + 1

    def _finish_escape(self, chunk: bytes, pos: int) -> int:
        self._escape = False
        char = chunk[pos : pos + 1]
        if not self._in_blob:
            self._skeleton += char
        elif char == b"/":
            self._take(char)
        elif char not in (b"n", b"r"):  # MIME-style line breaks are skipped
            raise self._error(
                f"invalid base64 in an artifact (escape sequence \\{char.decode('latin-1')})"
            )
        return pos + 1

    def _structure(self, text: bytes) -> None:
        """Copy text outside strings, tracking how deep in arrays/objects it is."""
        self._skeleton += text
        self._depth += text.count(b"{") + text.count(b"[") - text.count(b"}") - text.count(b"]")

    def _error(self, message: str) -> MalformedResponseError:
        return MalformedResponseError(message, status_code=self._status)

    def _take(self, text: bytes) -> None:
        if not self._in_blob:
            self._skeleton += text
            return
        pending = self._pending
        pending += text
        usable = len(pending) - len(pending) % 4
        if usable:
            self._decode(pending[:usable])
            del pending[:usable]

    def _close_string(self) -> None:
        if self._in_blob:
            rest = bytes(self._pending)
            self._pending.clear()
            if len(rest) % 4 == 1:
                raise self._error("invalid base64 in an artifact (bad length)")
            if rest:
                self._decode(rest + b"=" * (-len(rest) % 4))
        else:
            self._skeleton += b'"'
        self._in_string = self._in_blob = False

    def _decode(self, text: bytes | bytearray) -> None:
        try:
            self._blobs[-1] += binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error as exc:
            raise self._error(f"invalid base64 in an artifact ({exc})") from None


def status_error(
    status_code: int, reason: str, headers: Mapping[str, str], body: bytes, secret: str
) -> APIStatusError:
    """Build the typed error for a non-success answer.

    Reads the service's error object when there is one (whatever the media
    type says: goa sent ``application/vnd.goa.error``, later releases plain
    JSON) and falls back to the status line and a text excerpt for anything
    else, such as a proxy's HTML page. The API key is scrubbed from every text
    the server sent, in case it echoes it.
    """
    fields = _error_object(body[:ERROR_BODY_LIMIT])
    message = _text(fields.get("message")) or _text(fields.get("detail")) or _excerpt(body, secret)
    message = message or f"HTTP {status_code} {reason}".strip()
    cls = status_error_class(status_code)
    return cls(
        _scrub(message, secret),
        status_code=status_code,
        name=_scrub(_text(fields.get("name")), secret),
        error_id=_scrub(_text(fields.get("id")), secret),
        temporary=_flag(fields.get("temporary")),
        timeout=_flag(fields.get("timeout")),
        fault=_flag(fields.get("fault")),
        headers=headers,
    )


def _error_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _excerpt(body: bytes, secret: str) -> str | None:
    """A short plain-text excerpt of an error page (tags and spacing removed).

    The key is scrubbed before the excerpt is cut: cutting first could leave
    the start of an echoed key at the end of the excerpt.
    """
    text = body[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = _scrub(" ".join(text.split()), secret)
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 3] + "..."
    return text or None


def _scrub(text: str | None, secret: str) -> Any:
    if text is None or not secret:
        return text
    return text.replace(secret, "[REDACTED]")
