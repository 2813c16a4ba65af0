"""Reading answer bodies within limits: images from a success, the start of an error.

The generated parser cannot serve here: it reads every 200 as JSON (a PNG body
makes it fail), and its enums reject values a newer service may add. So the
body is read here, incrementally, from the raw bytes: a Content-Encoding is
undone piece by piece and every decoded byte counts against the limit (a
compression bomb stops there), and base64 text is decoded as it arrives and
never held twice, which keeps ten 1024x1024 images within about their own size
in memory.
"""

from __future__ import annotations

import binascii
import json
import math
import secrets
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._constants import DEFAULT_MAX_RESPONSE_BYTES, ERROR_BODY_LIMIT, JSON_METADATA_LIMIT
from ._exceptions import MalformedResponseError
from ._headers import parse_seed
from ._models import FinishReason, GeneratedImage, Generation
from ._png import PNGFormatError, check_png_header

__all__ = ["ErrorBody", "SuccessReader", "UnreadableEncoding", "header_map"]

_PNG_END = b"IEND\xaeB`\x82"
# Output of one decompression step: bounds what one raw chunk can inflate to.
_PIECE = 256 * 1024


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """An answer's headers by lower-case name, read once from httpx's raw list.

    ``httpx.Headers`` finds each name by scanning and decoding its list; a
    reader asks for five. A repeated header keeps its first value.
    """
    found: dict[str, str] = {}
    for name, value in raw:
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


class UnreadableEncoding(ValueError):
    """A Content-Encoding that cannot be undone (unknown, or corrupt data)."""


class _Inflater:
    """Undoes gzip or deflate, never producing more than ``_PIECE`` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = not self._gzip  # "deflate" is sent both ways in the wild
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def pieces(self, data: bytes) -> Iterator[bytes]:
        while data or self._z.unconsumed_tail or (self._z.eof and self._z.unused_data):
            if self._z.eof:
                # After the end of a stream: gzip may start another member; anything
                # else is dropped (fed to a finished decompressor, it would pile up).
                if not self._gzip:
                    return
                data, self._z = self._z.unused_data + data, zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            try:
                out = self._z.decompress(data, _PIECE)
            except zlib.error as exc:
                if not self._raw_fallback:
                    raise UnreadableEncoding(f"corrupt compressed body ({exc})") from None
                self._raw_fallback = False
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            data = self._z.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _PIECE and not self._z.eof:
                return


class Decoder:
    """The decoded pieces of a body, given its raw chunks and ``Content-Encoding``."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        self._steps: list[_Inflater] = []
        for name in reversed(names):  # the last encoding applied is undone first
            if name == "identity":
                continue
            if name not in ("gzip", "x-gzip", "deflate"):
                raise UnreadableEncoding(f"unsupported Content-Encoding {name!r}")
            self._steps.append(_Inflater(name))

    def pieces(self, chunk: bytes) -> Iterable[bytes]:
        if not self._steps:  # no encoding: the chunk as it came (the common case, kept cheap)
            return (chunk,) if chunk else ()
        return self._through(chunk, 0)

    def _through(self, data: bytes, step: int) -> Iterator[bytes]:
        if step == len(self._steps):
            if data:
                yield data
            return
        for piece in self._steps[step].pieces(data):
            yield from self._through(piece, step + 1)


class ErrorBody:
    """The first ``ERROR_BODY_LIMIT`` decoded bytes of an error answer.

    Undecodable bodies read as empty: the status line still tells the error.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._data = bytearray()
        try:
            self._decoder: Decoder | None = Decoder(headers.get("content-encoding", ""))
        except UnreadableEncoding:
            self._decoder = None

    def feed(self, chunk: bytes) -> bool:
        """Take a raw chunk; True once enough is read."""
        if self._decoder is None:
            return True
        try:
            for piece in self._decoder.pieces(chunk):
                self._data += piece[: ERROR_BODY_LIMIT - len(self._data)]
                if len(self._data) >= ERROR_BODY_LIMIT:
                    return True
        except UnreadableEncoding:
            self._data.clear()
            self._decoder = None
            return True
        return False

    def bytes(self) -> bytes:
        return bytes(self._data)


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
        limit: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._status = status_code
        self._headers = headers
        self._samples = samples
        self._requested_seed = requested_seed
        self._limit = limit
        self._size = 0
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise self._too_large()
        try:
            self._decoder = Decoder(headers.get("content-encoding", ""))
        except UnreadableEncoding as exc:
            raise self._malformed(f"the body cannot be read ({exc})") from None
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
        """Take the next raw piece of the body (as it came, still encoded)."""
        try:
            for piece in self._decoder.pieces(chunk):
                self._size += len(piece)
                if self._size > self._limit:
                    raise self._too_large()
                if self._artifacts is not None:
                    self._artifacts.feed(piece)
                else:
                    self._chunks.append(piece)
        except UnreadableEncoding as exc:
            raise self._malformed(f"the body cannot be read ({exc})") from None

    def _too_large(self) -> MalformedResponseError:
        return self._malformed(
            f"the response body is larger than max_response_bytes ({self._limit:,} bytes)"
        )

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
        if isinstance(data, str):  # a key the scanner did not see as one (odd spacing)
            data = _ArtifactScanner.decode_text(data, self._status)
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
        seed = parse_seed(self._headers.get("seed"))
        return seed if seed is not None else self._requested_seed or 0

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
        # Each blob's marker carries a nonce the body cannot know: a value the
        # server wrote never passes for one.
        self._mark = f"\x00blob:{secrets.token_hex(8)}:"
        # Where the last string closed outside a blob (a key, perhaps), in the skeleton.
        self._last_string = (-1, -1)
        self._string_start = 0
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
            if isinstance(marker, str) and marker.startswith(self._mark):
                index = int(marker[len(self._mark) :])
                item["base64"] = bytes(blobs[index])
                blobs[index] = bytearray()
        return item

    @staticmethod
    def decode_text(text: str, status: int) -> bytes:
        """Decode a base64 value that reached the skeleton as a plain string."""
        try:
            return binascii.a2b_base64(text.replace("\n", "").replace("\r", ""), strict_mode=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResponseError(
                f"invalid base64 in an artifact ({exc})", status_code=status
            ) from None

    def _opens_blob(self) -> bool:
        """True when the string about to start is the value of an artifact's ``base64`` key.

        That is: at an artifact's depth, after a string (the key) and nothing
        but a colon and spacing. The key is compared as JSON reads it, with
        escapes such as ``\u0061`` undone.
        """
        start, end = self._last_string
        if self._depth != 2 or start < 0 or self._skeleton[end:].strip() != b":":
            return False
        key = bytes(self._skeleton[start:end])
        if key == b'"base64"':
            return True
        if b"\\" not in key or len(key) > 64:
            return False
        try:
            return bool(json.loads(key) == "base64")
        except ValueError:
            return False

    def _open_string(self) -> None:
        self._in_string = True
        self._in_blob = self._opens_blob()
        self._string_start = len(self._skeleton)
        if self._in_blob:
            marker = json.dumps(f"{self._mark}{len(self._blobs)}")
            self._skeleton += marker.encode()
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
        self._check_size()

    def _check_size(self) -> None:
        if len(self._skeleton) > JSON_METADATA_LIMIT:
            raise self._error(f"the JSON outside the images exceeds {JSON_METADATA_LIMIT:,} bytes")

    def _error(self, message: str) -> MalformedResponseError:
        return MalformedResponseError(message, status_code=self._status)

    def _take(self, text: bytes) -> None:
        if not self._in_blob:
            self._skeleton += text
            self._check_size()
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
            self._last_string = (-1, -1)
        else:
            self._skeleton += b'"'
            self._last_string = (self._string_start, len(self._skeleton))
        self._in_string = self._in_blob = False

    def _decode(self, text: bytes | bytearray) -> None:
        try:
            self._blobs[-1] += binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error as exc:
            raise self._error(f"invalid base64 in an artifact ({exc})") from None
