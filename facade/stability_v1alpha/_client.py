"""The clients: :class:`Stability` (blocking) and :class:`AsyncStability`.

Both share everything but the transport: arguments are validated and requests
built by one core (:class:`_ClientCore`), answers are read by
:mod:`._responses`, and retries follow one :class:`~._retries.RetryPolicy`.
Only the loop that sends bytes and waits differs between the twins.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from functools import partial
from typing import Any, Generic, Self, TypeVar

import httpx

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidRequestError,
    MalformedResponseError,
    StabilityError,
)
from ._pacing import RequestGate, is_rate_limited
from ._pool import AsyncPool, Pool
from ._requests import PreparedRequest, RequestSettings, prepare
from ._responses import ERROR_BODY_LIMIT, SuccessReader, status_error
from ._retries import RETRYABLE_STATUSES, RetryPolicy
from ._types import Generation
from ._validation import (
    DEFAULT_MAX_UPLOAD_BYTES,
    ImageInput,
    PromptInput,
    check_mask,
    check_params,
    load_image,
    optional_number,
)
from ._version import __version__

__all__ = ["DEFAULT_ENGINE", "DEFAULT_TIMEOUT", "AsyncStability", "Stability"]

log = logging.getLogger("stability_v1alpha")

DEFAULT_BASE_URL = "https://api.stability.ai"
DEFAULT_ENGINE = "stable-diffusion-512-v2-1"
# Generation takes seconds to tens of seconds; connecting should not.
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2

_MAX_TIMEOUT = 1_000_000
# Entries in each per-client cache of parsed URLs and merged headers.
_CACHE_SIZE = 64

_NOT_GIVEN: Any = object()
# The httpx client type: httpx.Client or httpx.AsyncClient.
_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
# What the public methods return: the result itself, or a coroutine of it.
_R = TypeVar("_R")
_K = TypeVar("_K")
_V = TypeVar("_V")


class _Memo(dict[_K, _V]):
    """A small per-client memo, emptied when full.

    Its repr names no entry: the merged headers it keeps include the caller's
    client headers (credentials among them, perhaps), and ``vars(client)``
    or a debugger's view of the client must not show them.
    """

    def keep(self, key: _K, value: _V) -> _V:
        if len(self) >= _CACHE_SIZE:
            self.clear()
        self[key] = value
        return value

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self)} entries>"


class _ClientCore(Generic[_R, _H]):
    """Configuration, validation and request building shared by both clients."""

    _http_type: type[_H]
    # The pool made when no http_client is given: a subclass of _http_type.
    _pool_type: type[_H]
    _owns_http: bool

    def __init__(
        self,
        api_key: str | None = None,
        *,
        organization: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: _H | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        max_requests_per_second: float | None = None,
    ) -> None:
        api_key = api_key if api_key is not None else os.environ.get("STABILITY_API_KEY")
        if not isinstance(api_key, str) or not api_key.strip():
            raise StabilityError(
                "No API key: pass api_key=... or set the STABILITY_API_KEY environment variable"
            )
        if not _is_header_text(api_key.strip()):
            # Never echo the key, not even in part (the value is "<hidden>").
            raise InvalidRequestError(
                "api_key", "<hidden>", "must be printable ASCII (no line breaks or control chars)"
            )
        base_url = base_url or os.environ.get("STABILITY_BASE_URL") or DEFAULT_BASE_URL
        try:
            scheme = httpx.URL(base_url).scheme
        except httpx.InvalidURL:
            scheme = ""
        if scheme not in ("http", "https"):
            raise InvalidRequestError("base_url", base_url, "must be an http:// or https:// URL")
        _check_max_retries(max_retries)
        _check_max_upload_bytes(max_upload_bytes)
        if organization is not None and (
            not isinstance(organization, str) or not _is_header_text(organization)
        ):
            raise InvalidRequestError(
                "organization", organization, "must be a one-line printable ASCII string"
            )
        self._settings = RequestSettings(
            api_key=api_key.strip(),
            base_url=base_url.rstrip("/"),
            organization=organization,
            user_agent=f"stability-v1alpha-python/{__version__}",
        )
        self._set_timeout(_check_timeout(timeout))
        self._retry = RetryPolicy(max_retries=max_retries)
        self._max_upload_bytes = max_upload_bytes
        # Pacing and rate-limit pauses, shared with every with_options() copy.
        self._gate = RequestGate(max_requests_per_second)
        self._urls: _Memo[str, httpx.URL] = _Memo()
        self._headers: _Memo[tuple[Any, ...], httpx.Headers] = _Memo()
        if http_client is not None and not isinstance(http_client, self._http_type):
            raise InvalidRequestError(
                "http_client", http_client, f"must be an httpx.{self._http_type.__name__}"
            )
        if http_client is not None and http_client.auth is not None:
            # httpx would apply it after the facade sets Authorization, replacing the key.
            raise InvalidRequestError(
                "http_client",
                http_client,
                "must not set auth: the API key is sent as the Authorization header",
            )
        self._owns_http = http_client is None
        self._http: _H = http_client if http_client is not None else self._pool_type()

    @property
    def base_url(self) -> str:
        """The service address every request goes to."""
        return self._settings.base_url

    @property
    def organization(self) -> str | None:
        """The ``Organization`` header sent with each request, if any."""
        return self._settings.organization

    @property
    def timeout(self) -> httpx.Timeout:
        """Per-request timeout."""
        return self._timeout

    def _set_timeout(self, timeout: httpx.Timeout) -> None:
        # Also kept as httpx stores it on a request, converted once, not per call.
        self._timeout = timeout
        self._timeout_extension = timeout.as_dict()

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self._retry.max_retries

    @property
    def max_upload_bytes(self) -> int:
        """The largest image accepted for upload, in bytes."""
        return self._max_upload_bytes

    @property
    def max_requests_per_second(self) -> float | None:
        """The pace requests are held to, or None when they are not paced."""
        return self._gate.max_requests_per_second

    def __repr__(self) -> str:
        if "_retry" not in self.__dict__:  # a constructor that raised (tracebacks show locals)
            return f"<{type(self).__name__} (not initialised)>"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"organization={self.organization!r}, max_retries={self.max_retries})"
        )

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = _NOT_GIVEN,
        max_retries: int = _NOT_GIVEN,
        max_upload_bytes: int = _NOT_GIVEN,
        max_requests_per_second: float | None = _NOT_GIVEN,
    ) -> Self:
        """A copy with other settings that shares this client's connections.

        Closing the copy leaves the shared connection pool open. The copy also
        shares the pause a rate limit imposed; given its own
        ``max_requests_per_second``, it paces its requests apart from this client's.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if timeout is not _NOT_GIVEN:
            clone._set_timeout(_check_timeout(timeout))
        if max_retries is not _NOT_GIVEN:
            clone._retry = replace(self._retry, max_retries=_check_max_retries(max_retries))
        if max_upload_bytes is not _NOT_GIVEN:
            clone._max_upload_bytes = _check_max_upload_bytes(max_upload_bytes)
        if max_requests_per_second is not _NOT_GIVEN:
            clone._gate = self._gate.with_rate(max_requests_per_second)
        clone._owns_http = False
        return clone

    # -- request building, shared by both clients --------------------------

    def _text_to_image(self, prompt: Any, engine: Any, **params: Any) -> PreparedRequest:
        return prepare(
            "text_to_image", self._settings, _engine(engine), check_params(prompt, **params)
        )

    def _image_to_image(
        self, init_image: Any, prompt: Any, engine: Any, start: Any, end: Any, **params: Any
    ) -> PreparedRequest:
        checked = check_params(prompt, **params)
        extra = {
            "step_schedule_start": optional_number("step_schedule_start", start, 0.0, 1.0),
            "step_schedule_end": optional_number("step_schedule_end", end, 0.0, 1.0),
        }
        init = load_image("init_image", init_image, max_bytes=self._max_upload_bytes)
        return prepare(
            "image_to_image", self._settings, _engine(engine), checked, init=init, extra=extra
        )

    def _inpaint(
        self,
        init_image: Any,
        prompt: Any,
        engine: Any,
        mask_image: Any,
        mask_source: Any,
        **params: Any,
    ) -> PreparedRequest:
        checked = check_params(prompt, **params)
        init = load_image("init_image", init_image, max_bytes=self._max_upload_bytes)
        mask = (
            None
            if mask_image is None
            else load_image("mask_image", mask_image, max_bytes=self._max_upload_bytes)
        )
        source = check_mask(mask_source, init, mask)
        return prepare(
            "masking",
            self._settings,
            _engine(engine),
            checked,
            init=init,
            mask=mask,
            extra={"mask_source": source},
        )

    # -- the public operations, defined once for both clients ---------------

    def text_to_image(
        self,
        prompt: PromptInput,
        *,
        negative_prompt: str | None = None,
        engine: str = DEFAULT_ENGINE,
        width: int | None = None,
        height: int | None = None,
        cfg_scale: float | None = None,
        steps: int | None = None,
        samples: int = 1,
        seed: int | None = None,
        sampler: str | None = None,
        clip_guidance_preset: str | None = None,
    ) -> _R:
        """Generate images from text (``POST .../text-to-image``).

        ``None`` leaves a setting to the service; nothing is sent for it.

        ``prompt`` is a string, a :class:`Prompt`, a ``(text, weight)`` pair or
        a list of them; ``negative_prompt`` is added with weight -1.
        """
        return self._run(
            partial(
                self._text_to_image,
                prompt,
                engine,
                negative_prompt=negative_prompt,
                width=width,
                height=height,
                cfg_scale=cfg_scale,
                steps=steps,
                samples=samples,
                seed=seed,
                sampler=sampler,
                clip_guidance_preset=clip_guidance_preset,
            )
        )

    def image_to_image(
        self,
        init_image: ImageInput,
        prompt: PromptInput,
        *,
        step_schedule_start: float | None = None,
        step_schedule_end: float | None = None,
        negative_prompt: str | None = None,
        engine: str = DEFAULT_ENGINE,
        width: int | None = None,
        height: int | None = None,
        cfg_scale: float | None = None,
        steps: int | None = None,
        samples: int = 1,
        seed: int | None = None,
        sampler: str | None = None,
        clip_guidance_preset: str | None = None,
    ) -> _R:
        """Generate images starting from ``init_image`` (a PNG path, bytes, file or PIL image).

        ``step_schedule_start`` (0..1) sets how much of the init image is kept:
        0 returns it unchanged, 1 ignores it.
        """
        return self._run(
            partial(
                self._image_to_image,
                init_image,
                prompt,
                engine,
                step_schedule_start,
                step_schedule_end,
                negative_prompt=negative_prompt,
                width=width,
                height=height,
                cfg_scale=cfg_scale,
                steps=steps,
                samples=samples,
                seed=seed,
                sampler=sampler,
                clip_guidance_preset=clip_guidance_preset,
            )
        )

    def inpaint(
        self,
        init_image: ImageInput,
        prompt: PromptInput,
        *,
        mask_image: ImageInput | None = None,
        mask_source: str | None = None,
        negative_prompt: str | None = None,
        engine: str = DEFAULT_ENGINE,
        width: int | None = None,
        height: int | None = None,
        cfg_scale: float | None = None,
        steps: int | None = None,
        samples: int = 1,
        seed: int | None = None,
        sampler: str | None = None,
        clip_guidance_preset: str | None = None,
    ) -> _R:
        """Regenerate the masked pixels of ``init_image`` (the masking endpoint).

        ``mask_source`` defaults to ``MASK_IMAGE_WHITE`` when a ``mask_image``
        is given (its white pixels are regenerated) and to
        ``INIT_IMAGE_ALPHA`` otherwise (transparent pixels are regenerated).
        """
        return self._run(
            partial(
                self._inpaint,
                init_image,
                prompt,
                engine,
                mask_image,
                mask_source,
                negative_prompt=negative_prompt,
                width=width,
                height=height,
                cfg_scale=cfg_scale,
                steps=steps,
                samples=samples,
                seed=seed,
                sampler=sampler,
                clip_guidance_preset=clip_guidance_preset,
            )
        )

    def _run(self, prepare: Callable[[], PreparedRequest]) -> _R:
        """Validate and build (``prepare``), send with retries, read the answer.

        The blocking client returns the :class:`Generation`; the async one a
        coroutine that does all of it, validation included, when awaited.
        """
        raise NotImplementedError

    # -- outcome handling, shared by both transports -----------------------

    def _retry_delay(
        self, request: PreparedRequest, attempt: int, error: StabilityError
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt > self._retry.max_retries or not _retryable(error):
            return None
        headers = error.headers if isinstance(error, APIStatusError) else {}
        delay = self._retry.backoff(attempt, headers.get("retry-after"))
        log.debug(
            "%s attempt %d failed (%s); retrying in %.2fs",
            request.describe(),
            attempt,
            _describe_error(error),
            delay,
        )
        return delay

    def _share_pause(
        self, error: StabilityError, attempt: int, delay: float | None
    ) -> float | None:
        """After a 429 (or a 503 with Retry-After), hold back every call of this client.

        Returns the retry's wait: ``delay``, or less if the pause already ends sooner.
        """
        if isinstance(error, APIStatusError) and is_rate_limited(error.status_code, error.headers):
            if delay is None:  # no retry left: later calls still wait
                self._gate.pause(self._retry.backoff(attempt, error.headers.get("retry-after")))
            else:
                delay = self._gate.pause(delay)
        return delay

    def _log_attempt(self, request: PreparedRequest, attempt: int) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return  # the arguments (a redacted copy of the headers) are not free
        log.debug(
            "%s attempt %d/%d headers=%s bytes=%d",
            request.describe(),
            attempt,
            self._retry.max_retries + 1,
            _redacted(request.headers),
            len(request.content),
        )

    def _build(self, request: PreparedRequest) -> httpx.Request:
        """The httpx request for one attempt, as ``build_request`` would make it.

        A client talks to a handful of URLs (one per operation and engine) and
        sends a handful of header sets, so both are worked out once per client
        and reused: parsing a URL and merging headers into the client's own
        are most of what ``build_request`` costs, a visible share of a fast
        call. Client-wide cookies or query parameters (possible on a caller's
        ``http_client``) take httpx's own path.
        """
        url = self._urls.get(request.url)
        if url is None:
            url = self._urls.keep(request.url, httpx.URL(request.url))
        http = self._http
        extensions = {"timeout": self._timeout_extension}
        if http.cookies or http.params:
            return http.build_request(
                request.method,
                url,
                headers=request.headers,
                content=request.content,
                extensions=extensions,
            )
        # Keyed by the client's headers too: a caller may change them at any time.
        # Authorization is left out: it is the same on every request of this client
        # and its with_options() copies, and a local shown in a traceback would show it.
        key = (
            tuple(http.headers.raw),
            tuple(item for item in request.headers.items() if item[0] != "Authorization"),
        )
        headers = self._headers.get(key)
        if headers is None:
            headers = httpx.Headers(http.headers)
            headers.update(request.headers)
            self._headers.keep(key, headers)
        # httpx.Request copies the headers it is given: the cached ones stay as they are.
        return httpx.Request(
            request.method, url, headers=headers, content=request.content, extensions=extensions
        )

    def _error_for_status(self, response: httpx.Response, body: bytes) -> APIStatusError:
        return status_error(
            response.status_code,
            response.reason_phrase,
            response.headers,
            body,
            self._settings.api_key,
        )


class Stability(_ClientCore[Generation, httpx.Client]):
    """Blocking client of the Stability.ai v1alpha generation API.

    ``api_key`` defaults to ``$STABILITY_API_KEY``, ``base_url`` to
    ``$STABILITY_BASE_URL`` and then ``https://api.stability.ai``. Failed
    requests are retried ``max_retries`` times with exponential back-off,
    honouring ``Retry-After``; after a 429 (or a 503 with ``Retry-After``)
    every later call of the client and its copies waits the same time instead
    of being refused too. ``max_requests_per_second`` spaces calls out (from
    all threads, or all tasks, together). Pass ``http_client`` to reuse your own
    ``httpx.Client`` (proxies, custom TLS); the client does not close it.
    """

    _http_type = httpx.Client
    _pool_type = Pool

    def close(self) -> None:
        """Close the connection pool (unless it was passed in by the caller)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, prepare: Callable[[], PreparedRequest]) -> Generation:
        return self._send(prepare())

    def _send(self, request: PreparedRequest) -> Generation:
        attempt = 0
        delay: float | None = 0.0
        while True:
            attempt += 1
            delay = self._gate.delay_before_send(delay or 0.0)  # the retry's wait included
            while delay > 0:
                _sleep(delay)
                delay = self._gate.delay_after_wait()
            self._log_attempt(request, attempt)
            try:
                return self._attempt(request)
            except StabilityError as error:
                delay = self._retry_delay(request, attempt, error)
                delay = self._share_pause(error, attempt, delay)
                if delay is None:
                    log.debug("%s failed: %s", request.describe(), _describe_error(error))
                    if isinstance(error, _TruncatedBody):
                        raise error.public() from error.__cause__
                    raise

    def _attempt(self, request: PreparedRequest) -> Generation:
        started = time.perf_counter()
        try:
            response = self._http.send(self._build(request), stream=True)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, request) from exc
        try:
            _log_response(request, response, started)
            if not 200 <= response.status_code < 300:
                raise self._error_for_status(response, _error_body(response))
            reader = _success_reader(request, response)
            for chunk in response.iter_bytes():
                reader.feed(chunk)
            return reader.finish()
        except httpx.HTTPError as exc:
            raise _body_error(exc, request, response.status_code) from exc
        finally:
            response.close()


class AsyncStability(_ClientCore[Coroutine[Any, Any, Generation], httpx.AsyncClient]):
    """The ``asyncio`` twin of :class:`Stability`: same arguments, awaitable methods.

    ``text_to_image``, ``image_to_image`` and ``inpaint`` return coroutines;
    validation runs when they are awaited, like everything else.

    ``http_client``, when given, must be an ``httpx.AsyncClient``.
    """

    _http_type = httpx.AsyncClient
    _pool_type = AsyncPool

    async def close(self) -> None:
        """Close the connection pool (unless it was passed in by the caller)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _run(self, prepare: Callable[[], PreparedRequest]) -> Coroutine[Any, Any, Generation]:
        return self._send(prepare)

    async def _send(self, prepare: Callable[[], PreparedRequest]) -> Generation:
        request = prepare()  # inside the coroutine: bad arguments raise on await
        attempt = 0
        delay: float | None = 0.0
        while True:
            attempt += 1
            delay = self._gate.delay_before_send(delay or 0.0)  # the retry's wait included
            while delay > 0:
                await _async_sleep(delay)
                delay = self._gate.delay_after_wait()
            self._log_attempt(request, attempt)
            try:
                return await self._attempt(request)
            except StabilityError as error:
                delay = self._retry_delay(request, attempt, error)
                delay = self._share_pause(error, attempt, delay)
                if delay is None:
                    log.debug("%s failed: %s", request.describe(), _describe_error(error))
                    if isinstance(error, _TruncatedBody):
                        raise error.public() from error.__cause__
                    raise

    async def _attempt(self, request: PreparedRequest) -> Generation:
        started = time.perf_counter()
        try:
            response = await self._http.send(self._build(request), stream=True)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, request) from exc
        try:
            _log_response(request, response, started)
            if not 200 <= response.status_code < 300:
                raise self._error_for_status(response, await _async_error_body(response))
            reader = _success_reader(request, response)
            async for chunk in response.aiter_bytes():
                reader.feed(chunk)
            return reader.finish()
        except httpx.HTTPError as exc:
            raise _body_error(exc, request, response.status_code) from exc
        finally:
            await response.aclose()


def _success_reader(request: PreparedRequest, response: httpx.Response) -> SuccessReader:
    """A reader that checks the answer against what ``request`` asked for."""
    return SuccessReader(
        response.status_code,
        response.headers,
        accept=request.accept,
        samples=request.samples,
        requested_seed=request.requested_seed,
    )


# The start of an error body, read in a frame of its own: the raw bytes (which
# may echo the API key) are then no local of the frame an error is raised in,
# so a traceback that shows locals does not show them.
def _error_body(response: httpx.Response) -> bytes:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= ERROR_BODY_LIMIT:
            break
    return body


async def _async_error_body(response: httpx.Response) -> bytes:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= ERROR_BODY_LIMIT:
            break
    return body


# Indirection points for tests that must not really wait.
def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    # Imported here: asyncio (with subprocess, signal, concurrent.futures) costs
    # a blocking-only user 10-20 ms at import; an async caller has it loaded.
    import asyncio

    await asyncio.sleep(seconds)


def _is_header_text(value: str) -> bool:
    """True for text httpx can send as a header value unchanged (printable ASCII)."""
    return value.isascii() and value.isprintable()


def _check_timeout(timeout: Any) -> httpx.Timeout:
    """``None`` (wait forever), 0 to 1,000,000 seconds, or an ``httpx.Timeout``.

    The bound keeps NaN, infinities and values the OS timers overflow on
    (1e12 s fails deep inside the socket layer) from reaching httpx.
    """
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not 0 <= timeout <= _MAX_TIMEOUT
    ):
        raise InvalidRequestError(
            "timeout", timeout, "must be None, an httpx.Timeout or a number of seconds (0 to 1e6)"
        )
    return httpx.Timeout(timeout)


def _check_max_retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError("max_retries", value, "must be an integer >= 0")
    return value


def _check_max_upload_bytes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRequestError("max_upload_bytes", value, "must be > 0")
    return value


def _engine(engine: Any) -> str:
    if not isinstance(engine, str) or not engine.strip():
        raise InvalidRequestError("engine", engine, "must be a non-empty engine id string")
    return engine


def _retryable(error: StabilityError) -> bool:
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, _TruncatedBody):
        return True
    if isinstance(error, APIStatusError):
        return error.status_code in RETRYABLE_STATUSES or error.temporary is True
    return False


class _TruncatedBody(MalformedResponseError):
    """A success body that ended before its declared length (worth a retry).

    Private: once retries are exhausted it is raised as a plain
    :class:`MalformedResponseError` (see :meth:`public`), so that no private
    class name reaches callers, their logs or the CLI's reports.
    """

    def public(self) -> MalformedResponseError:
        return MalformedResponseError(str(self), status_code=self.status_code)


def _transport_error(exc: httpx.HTTPError, request: PreparedRequest) -> StabilityError:
    """Map an httpx failure before any answer to our exception types."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{request.describe()} timed out ({type(exc).__name__})")
    return APIConnectionError(f"{request.describe()} failed: {_reason(exc)}")


def _body_error(exc: httpx.HTTPError, request: PreparedRequest, status: int) -> StabilityError:
    """Map an httpx failure while reading the body."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{request.describe()} timed out while reading the response")
    if isinstance(exc, httpx.RemoteProtocolError) and 200 <= status < 300:
        return _TruncatedBody(
            f"the response to {request.describe()} ended early ({_reason(exc)})", status_code=status
        )
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(
            f"the response body could not be decoded ({_reason(exc)})", status_code=status
        )
    return APIConnectionError(
        f"{request.describe()} failed while reading the response: {_reason(exc)}"
    )


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _log_response(request: PreparedRequest, response: httpx.Response, started: float) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug(
        "%s -> %d %s in %.0f ms",
        request.describe(),
        response.status_code,
        response.reason_phrase,
        (time.perf_counter() - started) * 1000,
    )


def _describe_error(error: StabilityError) -> str:
    return f"{type(error).__name__}: {error}"


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: "[REDACTED]" if k.lower() == "authorization" else v for k, v in headers.items()}
