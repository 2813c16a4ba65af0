"""The clients: :class:`Stability` (blocking) and :class:`AsyncStability`.

Both share one core: the settings, the public operations (validation and
request building run the same way) and the outcome of each attempt, decided
by :mod:`._failures`. Only the loop that sends bytes and waits differs
between the twins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Generic, Self, TypeVar, Unpack

import httpx

from ._constants import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_TIMEOUT,
)
from ._exceptions import APIStatusError, StabilityError
from ._failures import (
    Failure,
    RetryPolicy,
    from_httpx,
    from_reading,
    from_status,
    timed_out,
)
from ._models import Generation
from ._pacing import RequestGate, is_rate_limited
from ._parameters import RULES, ImageToImageOptions, InpaintOptions, Options
from ._requests import PreparedRequest, parsed_url, prepare
from ._responses import ErrorBody, SuccessReader, header_map
from ._settings import Settings, check_http_client
from ._transport import Deadline, async_pool, sync_pool
from ._types import ImageInput, PromptInput, TimeoutInput
from ._validation import check_call

__all__ = ["AsyncStability", "Stability"]

log = logging.getLogger("stability_v1alpha")

# The httpx client type: httpx.Client or httpx.AsyncClient.
_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)
# What the public methods return: the result itself, or a coroutine of it.
_R = TypeVar("_R")
_NOT_GIVEN: Any = object()


class _ClientCore(Generic[_R, _H]):
    """Settings, operations and attempt outcomes shared by both clients."""

    _http_type: type[_H]
    _owns_http: bool

    def __init__(
        self,
        api_key: str | None = None,
        *,
        organization: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutInput = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: _H | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_requests_per_second: float | None = None,
    ) -> None:
        self._settings = Settings.build(
            api_key=api_key,
            organization=organization,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            max_upload_bytes=max_upload_bytes,
            max_response_bytes=max_response_bytes,
            max_requests_per_second=max_requests_per_second,
        )
        self._requests = self._settings.for_requests()
        self._retry = RetryPolicy(max_retries=self._settings.max_retries)
        # Pacing and rate-limit pauses; with_options copies share the pause.
        self._gate = RequestGate(self._settings.max_requests_per_second)
        check_http_client(http_client, self._http_type)
        self._owns_http = http_client is None
        self._http: _H = http_client if http_client is not None else self._new_pool()

    def _new_pool(self) -> _H:
        raise NotImplementedError

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
        """Per-phase limits; the largest is also the limit of one whole attempt."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request is retried."""
        return self._settings.max_retries

    @property
    def max_upload_bytes(self) -> int:
        """The largest image accepted for upload, in bytes."""
        return self._settings.max_upload_bytes

    @property
    def max_response_bytes(self) -> int:
        """The largest success body read (decoded), in bytes."""
        return self._settings.max_response_bytes

    @property
    def max_requests_per_second(self) -> float | None:
        """The pace requests are held to, or None when they are not paced."""
        return self._settings.max_requests_per_second

    def __repr__(self) -> str:
        if "_settings" not in self.__dict__:  # a constructor that raised (tracebacks show locals)
            return f"<{type(self).__name__} (not initialised)>"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"organization={self.organization!r}, max_retries={self.max_retries})"
        )

    def with_options(
        self,
        *,
        timeout: TimeoutInput = _NOT_GIVEN,
        max_retries: int = _NOT_GIVEN,
        max_upload_bytes: int = _NOT_GIVEN,
        max_response_bytes: int = _NOT_GIVEN,
        max_requests_per_second: float | None = _NOT_GIVEN,
    ) -> Self:
        """A copy with other settings that shares this client's connections.

        The copy is built by the constructor, so it checks the new values the
        same way. It shares the pause a rate limit imposed on this client, and
        paces its own requests if it has a ``max_requests_per_second``.
        Closing the copy leaves the shared connection pool open.
        """
        changes = {
            "timeout": timeout,
            "max_retries": max_retries,
            "max_upload_bytes": max_upload_bytes,
            "max_response_bytes": max_response_bytes,
            "max_requests_per_second": max_requests_per_second,
        }
        arguments = self._settings.arguments()
        arguments.update({k: v for k, v in changes.items() if v is not _NOT_GIVEN})
        copy = type(self)(**arguments, http_client=self._http)
        same_rate = copy.max_requests_per_second == self.max_requests_per_second
        copy._gate = self._gate if same_rate else self._gate.with_rate(copy.max_requests_per_second)
        return copy

    # -- the public operations, defined once for both clients ---------------

    def text_to_image(self, prompt: PromptInput, **options: Unpack[Options]) -> _R:
        """Generate images from text (``POST .../text-to-image``).

        ``prompt`` is a string, a :class:`Prompt`, a ``(text, weight)`` pair or
        a list of them. The keyword arguments (``None`` leaves a setting to the
        service) are listed, with their bounds, in the README.
        """
        return self._run(lambda: self._prepare("text_to_image", prompt, None, options))

    def image_to_image(
        self, init_image: ImageInput, prompt: PromptInput, **options: Unpack[ImageToImageOptions]
    ) -> _R:
        """Generate images starting from ``init_image`` (a PNG path, bytes, file or PIL image).

        ``step_schedule_start`` (0..1) sets how much of the init image is kept:
        0 returns it unchanged, 1 ignores it.
        """
        return self._run(lambda: self._prepare("image_to_image", prompt, init_image, options))

    def inpaint(
        self, init_image: ImageInput, prompt: PromptInput, **options: Unpack[InpaintOptions]
    ) -> _R:
        """Regenerate the masked pixels of ``init_image`` (the masking endpoint).

        ``mask_source`` defaults to ``MASK_IMAGE_WHITE`` when a ``mask_image``
        is given (its white pixels are regenerated) and to
        ``INIT_IMAGE_ALPHA`` otherwise (transparent pixels are regenerated).
        """
        return self._run(lambda: self._prepare("masking", prompt, init_image, options))

    def _prepare(
        self, operation: str, prompt: Any, init_image: Any, options: Mapping[str, Any]
    ) -> PreparedRequest:
        """Check a call's arguments and build its request (nothing is sent)."""
        rules = RULES[operation]
        text, checked = check_call(
            operation,
            rules,
            prompt,
            init_image,
            options,
            max_upload_bytes=self._settings.max_upload_bytes,
        )
        return prepare(operation, self._requests, text, checked, rules)

    def _run(self, prepare: Callable[[], PreparedRequest]) -> _R:
        """Validate and build (``prepare``), send with retries, read the answer.

        The blocking client returns the :class:`Generation`; the async one a
        coroutine that does all of it, validation included, when awaited.
        """
        raise NotImplementedError

    # -- one attempt's outcome, shared by both transports -------------------

    def _next_delay(self, request: PreparedRequest, attempt: int, failure: Failure) -> float:
        """Seconds to wait before the next attempt; raises the error when there is none.

        A rate-limited answer (429, or 503 with Retry-After) also holds back
        every later call of this client and its copies, for the same wait
        (at most the cap when the server asked for longer).
        """
        timeout = self._settings.attempt_timeout
        delay = self._retry.delay(attempt, failure, timeout)
        error = failure.error
        if isinstance(error, APIStatusError) and is_rate_limited(error.status_code, error.headers):
            if delay is not None:  # the retry waits as long as the shared pause, or less
                delay = self._gate.pause(delay)
            else:  # no retry: later calls still wait (at most the cap)
                wait = self._retry.wait(attempt, error, timeout)
                self._gate.pause(wait if wait is not None else self._retry.cap(timeout))
        if delay is None:
            log.debug("%s failed: %s", request.describe(), _describe(failure.error))
            raise failure.error
        log.debug(
            "%s attempt %d failed (%s); retrying in %.2fs",
            request.describe(),
            attempt,
            _describe(failure.error),
            delay,
        )
        return delay

    def _httpx_request(self, request: PreparedRequest, attempt: int) -> httpx.Request:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s attempt %d/%d headers=%s bytes=%d",
                request.describe(),
                attempt,
                self._settings.max_retries + 1,
                _redacted(request.headers),
                len(request.content),
            )
        return self._http.build_request(
            request.method,
            parsed_url(request.url),
            headers=request.headers,
            content=request.content,
            timeout=self._settings.timeout,
        )

    def _reader(self, request: PreparedRequest, response: httpx.Response) -> SuccessReader:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s -> %d %s", request.describe(), response.status_code, response.reason_phrase
            )
        return SuccessReader(
            response.status_code,
            header_map(response.headers.raw),
            accept=request.accept,
            samples=request.samples,
            requested_seed=request.requested_seed,
            limit=self._settings.max_response_bytes,
        )

    def _status_failure(self, response: httpx.Response, body: ErrorBody) -> Failure:
        return from_status(
            response.status_code,
            response.reason_phrase,
            response.headers,
            body.bytes(),
            self._settings.api_key,
        )


class Stability(_ClientCore[Generation, httpx.Client]):
    """Blocking client of the Stability.ai v1alpha generation API.

    ``api_key`` defaults to ``$STABILITY_API_KEY``, ``base_url`` to
    ``$STABILITY_BASE_URL`` and then ``https://api.stability.ai``. Failed
    requests are retried ``max_retries`` times with exponential back-off,
    honouring ``Retry-After``. Pass ``http_client`` to reuse your own
    ``httpx.Client`` (proxies, custom TLS); the client does not close it.
    """

    _http_type = httpx.Client

    def _new_pool(self) -> httpx.Client:
        return sync_pool()

    def close(self) -> None:
        """Close the connection pool (unless it was passed in by the caller)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, prepare: Callable[[], PreparedRequest]) -> Generation:
        request = prepare()
        attempt, delay = 0, 0.0
        while True:
            attempt += 1
            wait = self._gate.delay_before_send(delay)  # the retry's wait included
            while wait > 0:
                _sleep(wait)
                wait = self._gate.delay_after_wait()
            outcome = self._attempt(request, attempt)
            if isinstance(outcome, Generation):
                return outcome
            delay = self._next_delay(request, attempt, outcome)

    def _attempt(self, request: PreparedRequest, attempt: int) -> Generation | Failure:
        deadline = Deadline(self._settings.attempt_timeout)
        with deadline:
            try:
                response = self._http.send(self._httpx_request(request, attempt), stream=True)
            except httpx.HTTPError as exc:
                return from_httpx(exc, request.describe())
            try:
                if not response.is_success:
                    body = ErrorBody(response.headers)
                    for chunk in response.iter_raw():
                        if body.feed(chunk) or deadline.passed():
                            break
                    return self._status_failure(response, body)
                reader = self._reader(request, response)
                for chunk in response.iter_raw():
                    if deadline.passed():
                        return timed_out(request.describe())
                    reader.feed(chunk)
                return reader.finish()
            except Exception as exc:  # mapped, and the last guard: never a raw exception
                return from_reading(exc, request.describe(), response.status_code)
            finally:
                response.close()


class AsyncStability(_ClientCore[Coroutine[Any, Any, Generation], httpx.AsyncClient]):
    """The ``asyncio`` twin of :class:`Stability`: same arguments, awaitable methods.

    ``text_to_image``, ``image_to_image`` and ``inpaint`` return coroutines;
    validation runs when they are awaited, like everything else.

    ``http_client``, when given, must be an ``httpx.AsyncClient``.
    """

    _http_type = httpx.AsyncClient

    def _new_pool(self) -> httpx.AsyncClient:
        return async_pool()

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
        attempt, delay = 0, 0.0
        while True:
            attempt += 1
            wait = self._gate.delay_before_send(delay)  # the retry's wait included
            while wait > 0:
                await _async_sleep(wait)
                wait = self._gate.delay_after_wait()
            outcome = await self._attempt(request, attempt)
            if isinstance(outcome, Generation):
                return outcome
            delay = self._next_delay(request, attempt, outcome)

    async def _attempt(self, request: PreparedRequest, attempt: int) -> Generation | Failure:
        import asyncio

        try:
            async with asyncio.timeout(self._settings.attempt_timeout):
                return await self._exchange(request, attempt)
        except TimeoutError:
            return timed_out(request.describe())

    async def _exchange(self, request: PreparedRequest, attempt: int) -> Generation | Failure:
        try:
            response = await self._http.send(self._httpx_request(request, attempt), stream=True)
        except httpx.HTTPError as exc:
            return from_httpx(exc, request.describe())
        try:
            if not response.is_success:
                body = ErrorBody(response.headers)
                async for chunk in response.aiter_raw():
                    if body.feed(chunk):
                        break
                return self._status_failure(response, body)
            reader = self._reader(request, response)
            async for chunk in response.aiter_raw():
                reader.feed(chunk)
            return reader.finish()
        except Exception as exc:  # mapped, and the last guard: never a raw exception
            return from_reading(exc, request.describe(), response.status_code)
        finally:
            await response.aclose()


# Indirection points for tests that must not really wait.
def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    # Imported here: asyncio (with subprocess, signal, concurrent.futures) costs
    # a blocking-only user 10-20 ms at import; an async caller has it loaded.
    import asyncio

    await asyncio.sleep(seconds)


def _describe(error: StabilityError) -> str:
    return f"{type(error).__name__}: {error}"


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: "[REDACTED]" if k.lower() == "authorization" else v for k, v in headers.items()}
