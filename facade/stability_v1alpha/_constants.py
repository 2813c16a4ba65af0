"""Defaults and bounds of the client, each stated once.

Everything else reads them from here: the clients' signatures, the checks of
their arguments, the retry rule, the limits on what is read from a server.
"""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "https://api.stability.ai"
DEFAULT_ENGINE = "stable-diffusion-512-v2-1"

# Generation takes seconds to tens of seconds; connecting should not.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=DEFAULT_CONNECT_TIMEOUT)
# Larger timeouts than this are refused: OS timers overflow on them.
MAX_TIMEOUT = 1_000_000

DEFAULT_MAX_RETRIES = 2
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
# The longest Retry-After a call waits for (never longer than one attempt may
# take, either); a longer one is raised at once with ``retry_after`` set.
MAX_RETRY_AFTER = 60.0
# Statuses that say "try again later" whatever the body says.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Ten 1-megapixel PNGs in base64 fit comfortably.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# How much of an error body is read and parsed; the rest is not waited for.
ERROR_BODY_LIMIT = 64 * 1024
# The JSON of an answer outside its images (seeds, finish reasons) is tiny.
JSON_METADATA_LIMIT = 1024 * 1024

# The client's own pool keeps every connection alive: more than httpx's 20
# idle connections are common with asyncio.
POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
