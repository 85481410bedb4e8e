"""The request pipeline: the one path every call takes between a resource and httpx.

For each logical call: encode the query and body once; then, per attempt, take an in-flight
slot and a rate-limit token, sign with the server-corrected clock, send through httpx (without
following redirects), and decode the envelope. tenacity decides whether to try again. A 429
pauses the whole limiter, so every task on the client waits out the Retry-After.

The pipeline is shared by a client and all its ``with_options()`` copies: they share the pool,
the limiter and the clock estimate, and pass their own :class:`ClientOptions` per call.
It works the same on an ``httpx.AsyncClient`` we built and on one the caller gave us.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping

import anyio
import httpx
from tenacity import AsyncRetrying

from ._clock import ServerClock
from ._config import ClientOptions, Credentials, RequestEvent, RequestHook
from ._endpoints import Endpoint, RetrySafety
from ._envelope import Envelope, decode_envelope, parse_server_date
from ._exceptions import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    RateLimitError,
)
from ._ratelimit import RateLimiter
from ._retry import is_clock_error, request_retrying
from ._signing import build_auth_headers, encode_query

__all__ = ["RequestPipeline"]

log = logging.getLogger("copytrade_async")

#: How long everyone pauses after a 429 that carried no Retry-After.
DEFAULT_RATE_LIMIT_PAUSE = 1.0
#: httpx failures that prove the request never left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Call:
    """Book-keeping for one logical call across its attempts."""

    __slots__ = ("attempts", "clock_retries", "rate_limit_wait", "status")

    def __init__(self) -> None:
        self.attempts = 0
        self.clock_retries = 0
        self.rate_limit_wait = 0.0
        self.status: int | None = None


class RequestPipeline:
    def __init__(
        self,
        *,
        credentials: Credentials,
        http: httpx.AsyncClient,
        owns_http: bool,
        limiter: RateLimiter,
        retry_template: AsyncRetrying,
        clock: ServerClock,
        max_in_flight: int | None,
        on_request: RequestHook | None,
    ) -> None:
        self._credentials = credentials
        self.http = http
        self._owns_http = owns_http
        self.limiter = limiter
        self._retry_template = retry_template
        self.clock = clock
        self._in_flight = anyio.Semaphore(max_in_flight) if max_in_flight else None
        self._on_request = on_request
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Close what we own. Safe to call any number of times."""
        if self._closed:
            return
        self._closed = True
        await self.limiter.aclose()
        if self._owns_http:
            await self.http.aclose()

    async def request(
        self,
        endpoint: Endpoint,
        options: ClientOptions,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> Envelope:
        if self._closed:
            raise RuntimeError("the client is closed")
        query = encode_query(params) if params else ""
        body_text = json.dumps(body, separators=(",", ":")) if body is not None else ""
        call = _Call()
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            retrying = request_retrying(
                self._retry_template,
                endpoint.safety,
                max_retries=options.max_retries,
                retry_after_cap=options.retry_after_cap,
                clock_retries=lambda: call.clock_retries,
            )
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(endpoint, options, query, body_text, call)
            raise AssertionError("unreachable: tenacity either returns or raises")
        except AlreadyFollowingError as exc:
            if call.attempts > 1 and endpoint.safety is RetrySafety.NOT_IDEMPOTENT:
                exc.hint = (
                    "this call was retried, so an earlier attempt may have succeeded: "
                    "check the account's follows before trying again"
                )
            error = exc
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            if self._on_request is not None:
                await self._emit(endpoint, call, time.perf_counter() - started, error)

    async def _attempt(
        self,
        endpoint: Endpoint,
        options: ClientOptions,
        query: str,
        body_text: str,
        call: _Call,
    ) -> Envelope:
        call.attempts += 1
        async with self._slot():
            waited = await self.limiter.acquire(endpoint.group)
            call.rate_limit_wait += waited
            response, sent_ms, received_ms = await self._send(endpoint, options, query, body_text)
        call.status = response.status_code
        try:
            envelope = decode_envelope(
                endpoint.name, response.status_code, response.headers, response.content
            )
        except APIError as exc:
            self._learn_time(exc.request_time_ms, response, sent_ms, received_ms)
            if is_clock_error(exc) and exc.request_time_ms is not None:
                call.clock_retries += 1
                self.clock.resync(exc.request_time_ms, sent_ms, received_ms)
                log.info("%s: server refused our timestamp; clock re-synced", endpoint.name)
            if isinstance(exc, RateLimitError) or response.status_code == 429:
                pause = exc.retry_after if exc.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
                if pause <= options.retry_after_cap:
                    await self.limiter.pause(pause)
            raise
        self._learn_time(envelope.request_time_ms, response, sent_ms, received_ms)
        return envelope

    async def _send(
        self, endpoint: Endpoint, options: ClientOptions, query: str, body_text: str
    ) -> tuple[httpx.Response, int, int]:
        creds = self._credentials
        sent_ms = self.clock.local_ms()
        headers = build_auth_headers(
            api_key=creds.api_key,
            api_secret=creds.api_secret,
            passphrase=creds.passphrase,
            timestamp_ms=self.clock.now_ms(),
            method=endpoint.method,
            request_path=endpoint.path,
            query=query,
            body=body_text,
            locale=options.locale,
            demo=options.demo,
        )
        url = (
            f"{options.base_url}{endpoint.path}?{query}"
            if query
            else (f"{options.base_url}{endpoint.path}")
        )
        try:
            response = await self.http.request(
                endpoint.method,
                url,
                content=body_text.encode() if body_text else None,
                headers=headers,
                timeout=options.httpx_timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                endpoint.name,
                f"timed out ({type(exc).__name__})",
                request_sent=not isinstance(exc, _NOT_SENT),
            ) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                endpoint.name,
                f"connection failed ({type(exc).__name__}: {exc})",
                request_sent=not isinstance(exc, _NOT_SENT),
            ) from exc
        return response, sent_ms, self.clock.local_ms()

    def _learn_time(
        self, server_ms: int | None, response: httpx.Response, sent_ms: int, received_ms: int
    ) -> None:
        if server_ms is not None:
            self.clock.observe(server_ms, sent_ms, received_ms)
            return
        date_ms = parse_server_date(response.headers)
        if date_ms is not None:
            self.clock.observe_date(date_ms, received_ms)

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._in_flight is None:
            yield
        else:
            async with self._in_flight:
                yield

    async def _emit(
        self, endpoint: Endpoint, call: _Call, elapsed: float, error: BaseException | None
    ) -> None:
        assert self._on_request is not None
        if error is None:
            error_name = None
        elif isinstance(error, APIError):
            error_name = error.code
        else:
            error_name = type(error).__name__
        event = RequestEvent(
            endpoint=endpoint.name,
            method=endpoint.method,
            path=endpoint.path,
            status=call.status,
            attempts=call.attempts,
            elapsed=elapsed,
            rate_limit_wait=call.rate_limit_wait,
            error=error_name,
        )
        try:
            result = self._on_request(event)
            if inspect.isawaitable(result):
                with anyio.CancelScope(shield=True):
                    await result
        except Exception:
            log.exception("the on_request hook failed for %s", endpoint.name)
