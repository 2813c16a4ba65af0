"""An embedded fake of the Stability.ai v1alpha API, for testing code that calls it.

``FakeStabilityServer`` runs a real HTTP server on localhost that validates
requests against the package's OpenAPI spec, answers like the service
(real PNGs, JSON artifacts, goa error objects) and can inject the failures
of real infrastructure. The pytest plugin in :mod:`.pytest_plugin` wraps it
in fixtures.

Names are loaded on first use (PEP 562) so that importing this package, which
pytest does for the plugin in every session, costs nothing; the server pulls
in openapi-core only when it is actually used. Without the ``testing`` extra,
that first use raises ``ModuleNotFoundError`` (``_extra.MissingExtraError``)
with a one-line message saying what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._answers import http_date
    from ._defaults import (
        DEFAULT_ENGINES,
        DEFAULT_FILTERED_WORDS,
        DEFAULT_MAX_UPLOAD_BYTES,
        DEFAULT_STEP_SCHEDULE_START,
        MAX_PIXELS,
    )
    from ._faults import (
        ContentFilterFault,
        DelayFault,
        FailFault,
        Fault,
        ResetFault,
        RespondFault,
        TruncateFault,
    )
    from ._images import make_png
    from ._multipart import MultipartPart
    from ._records import HeaderMap, RecordedRequest, RequestLog
    from ._server import FakeStabilityServer

__all__ = [
    "DEFAULT_ENGINES",
    "DEFAULT_FILTERED_WORDS",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEFAULT_STEP_SCHEDULE_START",
    "MAX_PIXELS",
    "ContentFilterFault",
    "DelayFault",
    "FailFault",
    "FakeStabilityServer",
    "Fault",
    "HeaderMap",
    "MultipartPart",
    "RecordedRequest",
    "RequestLog",
    "ResetFault",
    "RespondFault",
    "TruncateFault",
    "http_date",
    "make_png",
]

_HOMES = {
    "DEFAULT_ENGINES": "._defaults",
    "DEFAULT_FILTERED_WORDS": "._defaults",
    "DEFAULT_MAX_UPLOAD_BYTES": "._defaults",
    "DEFAULT_STEP_SCHEDULE_START": "._defaults",
    "MAX_PIXELS": "._defaults",
    "ContentFilterFault": "._faults",
    "DelayFault": "._faults",
    "FailFault": "._faults",
    "FakeStabilityServer": "._server",
    "Fault": "._faults",
    "HeaderMap": "._records",
    "MultipartPart": "._multipart",
    "RecordedRequest": "._records",
    "RequestLog": "._records",
    "ResetFault": "._faults",
    "RespondFault": "._faults",
    "TruncateFault": "._faults",
    "http_date": "._answers",
    "make_png": "._images",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(home, __name__)
    except ImportError as exc:
        from ._extra import MissingExtraError, missing_extra

        message = missing_extra()
        if message is None:
            raise
        raise MissingExtraError(message) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
