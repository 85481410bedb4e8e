"""The request pipeline: the one path every call takes between a resource and the transport.

For each logical call: encode the query, body and URL once; then, per attempt, take an
in-flight slot and a rate-limit token, sign with the server-corrected clock, send through the
transport (httpx or aiohttp, see :mod:`._transport`; never following redirects), and decode
the envelope. A failed attempt is judged by :func:`._retry.decide`, and the pipeline carries
out that one decision: re-sync the clock, pause every task on the client, and let tenacity
wait and try again or give up.

The first attempt runs without tenacity: a call that succeeds (nearly all of them) never
copies the retry template. A first attempt that fails is handed to a fresh copy of the
template as its attempt 1, so tenacity decides about it, and about every later attempt,
exactly as if it had run the first one itself.

The pipeline is shared by a client and all its ``with_options()`` copies: they share the pool,
the limiter and the clock estimate, and pass their own :class:`ClientOptions` per call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping

import anyio
from tenacity import AsyncRetrying

from .._config import ClientOptions, Credentials, RequestEvent, RequestHook
from .._exceptions import (
    AlreadyFollowingError,
    APIError,
    ClientClosedError,
    CopyTradeError,
    RateLimitWaitError,
)
from ..ratelimit import RateLimiter
from ._clock import ServerClock
from ._endpoints import Endpoint, RetrySafety
from ._envelope import Envelope, decode_envelope, parse_server_date
from ._hooks import HOOK_TIMEOUT, run_hook
from ._redact import ACTIVE, Redactor, install_log_filter, scrub
from ._retry import RetryDecision, decide, request_retrying
from ._signing import EMPTY_QUERY, Query, Signer
from ._transport import RawResponse, Transport

__all__ = ["RequestPipeline"]

log = logging.getLogger("copytrade_async")


class _Call:
    """Book-keeping for one logical call across its attempts."""

    __slots__ = (
        "_redactor",
        "attempts",
        "clock_retries",
        "decision",
        "rate_limit_wait",
        "redactor",
        "signatures",
        "status",
    )

    def __init__(self, redactor: Redactor) -> None:
        self.attempts = 0
        #: Retries granted to re-sync the clock (they do not use up ``max_retries``).
        self.clock_retries = 0
        #: The retry policy's decision on the last failed attempt.
        self.decision: RetryDecision | None = None
        self.rate_limit_wait = 0.0
        self.status: int | None = None
        #: The client's redactor, and the signatures this call sent (hidden too).
        self.redactor = redactor
        self.signatures: list[str] = []
        self._redactor: tuple[int, Redactor] | None = None

    def redact(self, text: str) -> str:
        """``text`` without the credentials or any signature this call sent."""
        built = self._redactor
        if built is None or built[0] != len(self.signatures):
            built = self._redactor = (
                len(self.signatures),
                self.redactor.with_signatures(self.signatures),
            )
        return built[1](text)


class _Request:
    """What one logical call sends, worked out once for all its attempts."""

    __slots__ = ("body", "body_text", "endpoint", "options", "query", "url")

    def __init__(
        self, endpoint: Endpoint, options: ClientOptions, query: Query, body_text: str
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        #: Signed decoded, sent encoded (see :mod:`._signing`).
        self.query = query.signed
        self.body_text = body_text
        self.body = body_text.encode() if body_text else None
        url = f"{options.base_url}{endpoint.path}"
        self.url = f"{url}?{query.wire}" if query.wire else url


class RequestPipeline:
    #: Seconds an async ``on_request`` hook may take before it is abandoned (see ``_hooks``).
    hook_timeout = HOOK_TIMEOUT

    def __init__(
        self,
        *,
        credentials: Credentials,
        transport: Transport,
        limiter: RateLimiter,
        retry_template: AsyncRetrying,
        clock: ServerClock,
        max_in_flight: int | None,
        on_request: RequestHook | None,
    ) -> None:
        #: The credentials requests are signed with (their ``repr`` shows none of the secrets).
        self.credentials = credentials
        self._signer = Signer(credentials.api_key, credentials.api_secret, credentials.passphrase)
        self._redactor = Redactor((credentials.api_secret, credentials.passphrase))
        install_log_filter()
        self.transport = transport
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
        await self.transport.aclose()

    async def request(
        self,
        endpoint: Endpoint,
        options: ClientOptions,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> Envelope:
        if self._closed:
            raise ClientClosedError(endpoint.name)
        query = Query.of(params) if params else EMPTY_QUERY
        body_text = json.dumps(body, separators=(",", ":")) if body is not None else ""
        request = _Request(endpoint, options, query, body_text)
        call = _Call(self._redactor)
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            try:
                return await self._attempt(request, call)
            except Exception as exc:
                first_failure: Exception | None = exc
            retrying = request_retrying(
                self._retry_template,
                max_retries=options.max_retries,
                backoff_base=options.backoff_base,
                backoff_max=options.backoff_max,
                decision=lambda: call.decision,
                clock_retries=lambda: call.clock_retries,
            )
            async for attempt in retrying:
                with attempt:
                    if first_failure is not None:  # attempt 1 has run: tenacity judges it
                        failure, first_failure = first_failure, None
                        raise failure
                    return await self._attempt(request, call)
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

    async def _attempt(self, request: _Request, call: _Call) -> Envelope:
        call.attempts += 1
        call.decision = None
        token = ACTIVE.set(call.redact)  # for the HTTP libraries' log records
        try:
            try:
                status, headers, content, sent_ms, received_ms = await self._send_in_slot(
                    request, call
                )
            except Exception as exc:
                if self._closed and not isinstance(exc, ClientClosedError):
                    # aclose() tore the connection (or the session) down under this call.
                    raise ClientClosedError(request.endpoint.name) from exc
                scrub(exc, call.redact)  # before the retry policy, a log line or the caller
                await self._judge(request, call, exc)
                raise
        finally:
            ACTIVE.reset(token)
        call.status = status
        try:
            envelope = decode_envelope(
                request.endpoint.name, status, headers, content, redact=call.redact
            )
        except CopyTradeError as exc:
            scrub(exc, call.redact)
            server_ms = exc.request_time_ms if isinstance(exc, APIError) else None
            self._learn_time(server_ms, headers, sent_ms, received_ms)
            await self._judge(request, call, exc, server_ms, sent_ms, received_ms)
            raise
        self._learn_time(envelope.request_time_ms, headers, sent_ms, received_ms)
        return envelope

    async def _judge(
        self,
        request: _Request,
        call: _Call,
        exc: Exception,
        server_ms: int | None = None,
        sent_ms: int = 0,
        received_ms: int = 0,
    ) -> None:
        """Ask the retry policy about a failed attempt, and carry out what it decides."""
        decision = call.decision = decide(
            exc,
            request.endpoint.safety,
            retry_after_cap=request.options.retry_after_cap,
            clock_retries=call.clock_retries,
        )
        if decision.resync_clock and server_ms is not None:
            self.clock.resync(server_ms, sent_ms, received_ms)
            log.info("%s: server refused our timestamp; clock re-synced", request.endpoint.name)
            if decision.retry:
                call.clock_retries += 1
        if decision.pause_everyone is not None:
            await self.limiter.pause(decision.pause_everyone)

    async def _send_in_slot(self, request: _Request, call: _Call) -> tuple[*RawResponse, int, int]:
        """:meth:`_send`, holding an in-flight slot when the client caps them."""
        in_flight = self._in_flight
        if in_flight is None:
            return await self._send(request, call)
        try:
            # A free slot is taken at once, with no checkpoint: the send that follows checks
            # for cancellation soon enough. Only a full cap waits in line.
            in_flight.acquire_nowait()
        except anyio.WouldBlock:
            await in_flight.acquire()
        try:
            return await self._send(request, call)
        finally:
            in_flight.release()

    async def _acquire(self, endpoint: Endpoint, bound: float | None) -> float:
        """A rate-limit token, waiting at most ``bound`` seconds for it (when given): a call
        the limiter says would wait longer is refused at once, and any other gives up at the
        bound. Either way it raises :class:`RateLimitWaitError` and nothing is sent."""
        limiter = self.limiter
        if bound is None:
            return await limiter.acquire(endpoint.group)
        expected_wait = getattr(limiter, "expected_wait", None)
        expected = 0.0 if expected_wait is None else float(expected_wait(endpoint.group))
        if expected > bound:
            raise RateLimitWaitError(endpoint.name, retry_after=expected, limit=bound)
        with anyio.move_on_after(bound):
            return await limiter.acquire(endpoint.group)
        raise RateLimitWaitError(endpoint.name, retry_after=max(expected, bound), limit=bound)

    async def _send(self, request: _Request, call: _Call) -> tuple[*RawResponse, int, int]:
        """Take a rate-limit token, sign with the corrected clock, send."""
        endpoint = request.endpoint
        try:
            waited = await self._acquire(endpoint, request.options.max_rate_limit_wait)
        except anyio.ClosedResourceError:
            # aclose() ran while this call waited for a token: the same error as calling a
            # closed client, not the limiter's own.
            raise ClientClosedError(endpoint.name) from None
        if waited > 0:
            call.rate_limit_wait += waited
            log.debug(
                "%s: attempt %d waited %.3fs for the rate limit",
                endpoint.name,
                call.attempts,
                waited,
            )
        clock = self.clock
        sent_ms = clock.local_ms()
        options = request.options
        headers = self._signer.headers(
            clock.now_ms(),
            endpoint.method,
            endpoint.path,
            request.query,
            request.body_text,
            options.locale,
            options.demo,
        )
        call.signatures.append(headers["ACCESS-SIGN"])
        status, response_headers, content = await self.transport.send(
            endpoint.name,
            endpoint.method,
            request.url,
            headers,
            request.body,
            options.httpx_timeout,
            deadline=options.attempt_deadline,
            max_bytes=options.max_response_bytes,
        )
        return status, response_headers, content, sent_ms, clock.local_ms()

    def _learn_time(
        self, server_ms: int | None, headers: Mapping[str, str], sent_ms: int, received_ms: int
    ) -> None:
        if server_ms is not None:
            self.clock.observe(server_ms, sent_ms, received_ms)
            return
        date_ms = parse_server_date(headers)
        if date_ms is not None:
            self.clock.observe_date(date_ms, received_ms)

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
        cancelled = error is not None and isinstance(error, anyio.get_cancelled_exc_class())
        await run_hook(self._on_request, event, cancelled=cancelled, bound=self.hook_timeout)
