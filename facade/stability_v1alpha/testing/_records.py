"""What the fake server remembers about the requests it received.

Tests assert on what their code actually sent (headers, parameters,
uploads), so every request is recorded, in arrival order, before its answer
leaves the server: once a client has a response, its record is there.
Records never print the API key: reprs redact ``Authorization``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from ._faults import Fault
from ._multipart import MultipartPart

__all__ = ["HeaderMap", "RecordedRequest", "RequestLog"]

_REDACTED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class HeaderMap(Mapping[str, str]):
    """Read-only, case-insensitive view of HTTP headers.

    ``headers["accept"]`` and ``headers["Accept"]`` are the same; a header
    sent several times reads as its values joined by ``", "``, and
    :meth:`get_all` gives them one by one.
    """

    __slots__ = ("_items", "_joined", "_names")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: tuple[tuple[str, str], ...] = tuple(items)
        self._names: dict[str, str] = {}
        values: dict[str, list[str]] = {}
        for name, value in self._items:
            key = name.lower()
            self._names.setdefault(key, name)
            values.setdefault(key, []).append(value)
        self._joined = {key: ", ".join(vs) for key, vs in values.items()}

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._names)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in the order received."""
        key = name.lower()
        return [v for n, v in self._items if n.lower() == key]

    def raw_items(self) -> tuple[tuple[str, str], ...]:
        """The headers as received: original names, order and repetitions."""
        return self._items

    def __repr__(self) -> str:
        shown = {
            self._names[key]: ("<redacted>" if key in _REDACTED_HEADERS else value)
            for key, value in self._joined.items()
        }
        return f"HeaderMap({shown!r})"


@dataclass(frozen=True, eq=False)
class RecordedRequest:
    """One request as the fake server received and judged it.

    ``operation`` is the spec's operationId (``textToImage``,
    ``imageToImage``, ``masking``) or None for an unknown path.
    ``validation_errors`` lists every way the request broke the spec or the
    service's rules, even when an injected fault decided the answer.
    ``status`` is the status sent (None when the connection was reset).
    """

    method: str
    path: str
    query: str
    headers: HeaderMap
    body: bytes = field(repr=False)
    operation: str | None = None
    engine_id: str | None = None
    json: Any = None
    parts: Mapping[str, MultipartPart] = field(default_factory=dict)
    validation_errors: tuple[str, ...] = ()
    status: int | None = None
    fault: Fault | None = None

    @property
    def options(self) -> Any:
        """The decoded JSON ``options`` part of a multipart request, else None."""
        part = self.parts.get("options")
        if part is None:
            return None
        try:
            return json.loads(part.data)
        except ValueError:
            return None

    @property
    def params(self) -> Any:
        """The generation parameters, wherever the operation carries them.

        The JSON body for text-to-image, the ``options`` part otherwise.
        """
        return self.options if self.parts else self.json

    def __repr__(self) -> str:
        extra = f", fault={self.fault!r}" if self.fault is not None else ""
        return (
            f"RecordedRequest({self.method} {self.path}, operation={self.operation!r}, "
            f"engine_id={self.engine_id!r}, status={self.status!r}, "
            f"{len(self.body)} body bytes, validation_errors={list(self.validation_errors)!r}"
            f"{extra})"
        )


class RequestLog(Sequence[RecordedRequest]):
    """Thread-safe, append-only (until cleared) list of recorded requests.

    Handler threads append while the test thread reads; iteration works on a
    snapshot so it never sees the list change under it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, record: RecordedRequest) -> None:
        """Record one request (called by the server's handler threads)."""
        with self._lock:
            self._items.append(record)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the records, in arrival order."""
        with self._lock:
            return list(self._items)

    @property
    def last(self) -> RecordedRequest:
        """The most recent record; IndexError when there is none."""
        with self._lock:
            if not self._items:
                raise IndexError("no request has been recorded")
            return self._items[-1]

    @overload
    def __getitem__(self, index: int) -> RecordedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[RecordedRequest]: ...
    def __getitem__(self, index: int | slice) -> RecordedRequest | list[RecordedRequest]:
        with self._lock:
            return self._items[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __eq__(self, other: object) -> bool:
        # So that ``assert server.requests == []`` reads as it should.
        if isinstance(other, RequestLog):
            return self.snapshot() == other.snapshot()
        if isinstance(other, list | tuple):
            return self.snapshot() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"
