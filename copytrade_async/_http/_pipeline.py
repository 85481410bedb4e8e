"""The request pipeline: the one path every call takes between a resource and the transport.

A call is one loop, read top to bottom. The query, body and URL are encoded once; then, per
attempt, the pipeline takes an in-flight slot and a rate-limit token, signs with the
server-corrected clock, sends through the transport (httpx or aiohttp, see :mod:`._transport`;
never following redirects), decodes the envelope *and* builds the records the resource asked
for (its ``build`` function), so a body that does not fit the records fails the attempt like
any other bad answer. Whatever an answer sets off happens at once: a 40008 re-syncs the clock,
a 429 pauses every task on the client.

Every attempt, the first one included, runs in tenacity's loop (:func:`._retry.run_attempts`):
its outcome goes into the call's ``RetryCallState``, and the call's strategies
(:class:`._retry.RetryPolicy`) read it and decide whether, and after how long, to try again. The
``on_request`` hook then sees the outcome of the whole call, and an error that gives up on a
connection says where the call went and how long it tried.

The pipeline is shared by a client and all its ``with_options()`` copies: they share the pool,
the limiter and the clock estimate, and pass their own :class:`ClientOptions` per call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import TypeVar

import anyio
from tenacity import AsyncRetrying

from .._config import ClientOptions, Credentials, RequestEvent, RequestHook
from .._exceptions import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    ClientClosedError,
    CopyTradeError,
    RateLimitWaitError,
)
from ..ratelimit import RateLimiter
from ._call import Answer, Build, CallState, Outgoing, locate, timeout_limit
from ._clock import ServerClock
from ._endpoints import Endpoint, RetrySafety
from ._envelope import decode_envelope, parse_server_date
from ._hooks import HOOK_TIMEOUT, run_hook
from ._redact import ACTIVE, Redactor, install_log_filter, scrub
from ._retry import RetryPolicy, is_clock_error, pause_for, run_attempts
from ._signing import EMPTY_QUERY, Query, Signer
from ._transport import Transport

__all__ = ["RequestPipeline"]

log = logging.getLogger("copytrade_async")
T = TypeVar("T")


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
        build: Build[T],
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> T:
        """Send one call and return what ``build`` makes of its envelope, trying again where
        the retry policy says so."""
        if self._closed:
            raise ClientClosedError(endpoint.name)
        query = Query.of(params) if params else EMPTY_QUERY
        body_text = json.dumps(body, separators=(",", ":")) if body is not None else ""
        outgoing = Outgoing(endpoint, options, query, body_text)
        call = CallState(self._redactor)
        started = time.perf_counter()
        error: BaseException | None = None
        policy = RetryPolicy(endpoint.safety, options)
        try:
            return await run_attempts(
                self._retry_template, policy, lambda: self._attempt(outgoing, call, build)
            )
        except AlreadyFollowingError as exc:
            if call.attempts > 1 and endpoint.safety is RetrySafety.NOT_IDEMPOTENT:
                exc.hint = (
                    "this call was retried, so an earlier attempt may have succeeded: "
                    "check the account's follows before trying again"
                )
            error = exc
            raise
        except APIConnectionError as exc:
            locate(exc, options.host, call.attempts, time.perf_counter() - started)
            error = exc
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            if self._on_request is not None:
                await self._emit(endpoint, call, time.perf_counter() - started, error)

    async def _attempt(self, outgoing: Outgoing, call: CallState, build: Build[T]) -> T:
        """One attempt: send, decode, build; a failure is redacted and has its effects (see
        :meth:`_react`) before tenacity's strategies judge it."""
        call.attempts += 1
        token = ACTIVE.set(call.redact)  # for the HTTP libraries' log records
        try:
            answer = await self._send_in_slot(outgoing, call)
        except Exception as exc:
            if self._closed and not isinstance(exc, ClientClosedError):
                # aclose() tore the connection (or the session) down under this call.
                raise ClientClosedError(outgoing.endpoint.name) from exc
            if isinstance(exc, APITimeoutError):
                options = outgoing.options
                exc.limit = timeout_limit(exc, options.httpx_timeout, options.attempt_deadline)
            scrub(exc, call.redact)  # before the retry policy, a log line or the caller
            raise
        finally:
            ACTIVE.reset(token)
        call.status = answer.status
        name = outgoing.endpoint.name
        try:
            envelope = decode_envelope(
                name, answer.status, answer.headers, answer.content, redact=call.redact
            )
        except CopyTradeError as exc:
            scrub(exc, call.redact)
            server_ms = exc.request_time_ms if isinstance(exc, APIError) else None
            self._learn_time(server_ms, answer)
            await self._react(outgoing, exc, server_ms, answer)
            raise
        self._learn_time(envelope.request_time_ms, answer)
        try:
            return build(envelope)
        except CopyTradeError as exc:  # the data does not fit the records
            scrub(exc, call.redact)
            raise

    async def _react(
        self, outgoing: Outgoing, exc: CopyTradeError, server_ms: int | None, answer: Answer
    ) -> None:
        """What a refusal sets off whether or not the call is tried again: a 40008 re-syncs
        the clock to the answer's server time, a 429 pauses every task on the client."""
        if server_ms is not None and is_clock_error(exc):
            self.clock.resync(server_ms, answer.sent_ms, answer.received_ms)
            log.info("%s: server refused our timestamp; clock re-synced", outgoing.endpoint.name)
        pause = pause_for(exc, retry_after_cap=outgoing.options.retry_after_cap)
        if pause is not None:
            await self.limiter.pause(pause)

    async def _send_in_slot(self, outgoing: Outgoing, call: CallState) -> Answer:
        """:meth:`_send`, holding an in-flight slot when the client caps them."""
        in_flight = self._in_flight
        if in_flight is None:
            return await self._send(outgoing, call)
        try:
            # A free slot is taken at once, with no checkpoint: the send that follows checks
            # for cancellation soon enough. Only a full cap waits in line.
            in_flight.acquire_nowait()
        except anyio.WouldBlock:
            await in_flight.acquire()
        try:
            return await self._send(outgoing, call)
        finally:
            in_flight.release()

    async def _acquire(self, endpoint: Endpoint, bound: float | None) -> float:
        """A rate-limit token, waiting at most ``bound`` seconds for it (when given): a call
        the limiter says would wait longer is refused at once, and any other gives up at the
        bound. Either way it raises :class:`RateLimitWaitError` and nothing is sent."""
        limiter = self.limiter
        if bound is None:
            return await limiter.acquire(endpoint.group)
        expected = float(limiter.expected_wait(endpoint.group))
        if expected > bound:
            raise RateLimitWaitError(endpoint.name, retry_after=expected, limit=bound)
        with anyio.move_on_after(bound):
            return await limiter.acquire(endpoint.group)
        raise RateLimitWaitError(endpoint.name, retry_after=max(expected, bound), limit=bound)

    async def _send(self, outgoing: Outgoing, call: CallState) -> Answer:
        """Take a rate-limit token, sign with the corrected clock, send."""
        endpoint = outgoing.endpoint
        try:
            waited = await self._acquire(endpoint, outgoing.options.max_rate_limit_wait)
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
        options = outgoing.options
        headers = self._signer.headers(
            clock.now_ms(),
            endpoint.method,
            endpoint.path,
            outgoing.query,
            outgoing.body_text,
            options.locale,
            options.demo,
        )
        call.signatures.append(headers["ACCESS-SIGN"])
        status, response_headers, content = await self.transport.send(
            endpoint.name,
            endpoint.method,
            outgoing.url,
            headers,
            outgoing.body,
            options.httpx_timeout,
            deadline=options.attempt_deadline,
            max_bytes=options.max_response_bytes,
        )
        return Answer(status, response_headers, content, sent_ms, clock.local_ms())

    def _learn_time(self, server_ms: int | None, answer: Answer) -> None:
        if server_ms is not None:
            self.clock.observe(server_ms, answer.sent_ms, answer.received_ms)
            return
        date_ms = parse_server_date(answer.headers)
        if date_ms is not None:
            self.clock.observe_date(date_ms, answer.received_ms)

    async def _emit(
        self, endpoint: Endpoint, call: CallState, elapsed: float, error: BaseException | None
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
