"""The retry policy: which failed attempt is tried again, after how long, and what else the
failure sets off. The rules are pure functions (:func:`decide` puts them together); every
attempt of a call, the first one included, ends in tenacity's ``RetryCallState``, which its
strategies read (:class:`RetryPolicy`: a retry predicate, a stop and a wait); tenacity counts
the attempts and draws the jitter.

What is retried:

* connection failures and timeouts: for idempotent endpoints always; for ``follow`` only when
  the request provably never left (the connection could not be opened);
* HTTP 429, 500, 502, 503, 504 and the exchange's transient codes (:data:`TRANSIENT_CODES`):
  for idempotent endpoints; for ``follow`` only an explicit 429 or 503;
* a body that is not JSON or not the envelope, for idempotent endpoints only (not a body past
  the size cap, nor data that does not fit the record: the same answer would come back);
* 40008 "timestamp expired": once per call, at once, after re-syncing the clock to the server
  time of the answer; that retry does not use up ``max_retries``.

A 429 pauses every task on the client for its ``Retry-After`` (:data:`DEFAULT_RATE_LIMIT_PAUSE`
when it gave none): :func:`pause_for` says how long, and the pipeline pauses the limiter when
the answer arrives, whether or not the call is tried again. A ``Retry-After`` is waited out
exactly; one longer than the cap is neither waited nor paused for: the :class:`RateLimitError`
is raised at once. Any other wait is exponential with full jitter.

One :class:`tenacity.AsyncRetrying` template per client says how to sleep and what to log;
:func:`run_attempts` runs a call's attempts in tenacity's loop with the call's own
``RetryCallState`` and :class:`RetryPolicy`.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import attrs
from tenacity import AsyncRetrying, RetryAction, RetryCallState
from tenacity.wait import wait_random_exponential

from .._config import ClientOptions
from .._exceptions import (
    TIMESTAMP_EXPIRED,
    APIConnectionError,
    APIError,
    AuthenticationError,
    RateLimitError,
    RateLimitWaitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ResponseValidationError,
)
from ._endpoints import RetrySafety

__all__ = [
    "DEFAULT_RATE_LIMIT_PAUSE",
    "TRANSIENT_CODES",
    "RetryDecision",
    "RetryPolicy",
    "build_retry_template",
    "decide",
    "is_clock_error",
    "pause_for",
    "run_attempts",
]

log = logging.getLogger("copytrade_async")
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The exchange's codes that mean "try again later". A code is here only where a source says
#: so; the exchange's error table is Bitget's classic-futures REST table, ccxt's is the error
#: map in ccxt's ``bitget`` class. Left out on purpose: 40010 (ccxt: "sign signature error";
#: the exchange's table: "Request timed out"), 45001 ("Unknown error"), 40725 ("service return
#: an error") and 40808 ("Parameter verification exception", which ccxt maps to InvalidOrder):
#: no source says that asking again helps, and a refused parameter is refused again.
TRANSIENT_CODES = frozenset(
    {
        "429",  # "Too many requests": the exchange's table; ccxt maps it to DDoSProtection
        "40015",  # "System is abnormal, please try again later": the exchange's table and ccxt
        # "Server upgrade, please try again later": ccxt maps it to OnMaintenance, which its
        # error hierarchy puts under ExchangeNotAvailable, a NetworkError (an outage that
        # passes, not a refusal of the request)
        "40200",
    }
)
#: Statuses that prove the server did not act on the request.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
#: How long everyone pauses after a 429 that carried no Retry-After.
DEFAULT_RATE_LIMIT_PAUSE = 1.0


@attrs.frozen
class RetryDecision:
    """What to do about one failed attempt."""

    #: Whether to try again (while attempts are left).
    retry: bool
    #: Seconds to wait first; None means exponential backoff with full jitter.
    delay: float | None = None
    #: Seconds every task on the client waits before its next request (after a 429).
    pause_everyone: float | None = None
    #: Re-sync the clock estimate to the answer's server time first (after a 40008). Such a
    #: retry does not count against ``max_retries``.
    resync_clock: bool = False


_GIVE_UP = RetryDecision(retry=False)


def is_clock_error(exc: BaseException) -> bool:
    """A 40008 "timestamp expired": our clock estimate is off."""
    return isinstance(exc, AuthenticationError) and exc.code == TIMESTAMP_EXPIRED


def _is_retryable(exc: BaseException, safety: RetrySafety) -> bool:
    idempotent = safety is RetrySafety.IDEMPOTENT
    if isinstance(exc, APIConnectionError):
        return idempotent or not exc.request_sent
    if isinstance(exc, ResponseValidationError | ResponseTooLargeError):
        return False  # the same answer would come back
    if isinstance(exc, ResponseDecodeError):
        return idempotent
    if isinstance(exc, RateLimitError):
        return True
    if isinstance(exc, APIError):
        if exc.http_status in NOT_PROCESSED_STATUSES:
            return True
        return idempotent and (exc.http_status in RETRY_STATUSES or exc.code in TRANSIENT_CODES)
    return False


def _retry_after(exc: BaseException) -> float | None:
    """The server's wait (``Retry-After``) on a failed answer, when it gave one."""
    return exc.retry_after if isinstance(exc, APIError) else None


def _past_cap(retry_after: float | None, cap: float) -> bool:
    # An endless wait (``inf``: too long to read) is past any cap.
    return retry_after is not None and (retry_after > cap or math.isinf(retry_after))


def _delay(exc: BaseException) -> float | None:
    """The wait the failure itself sets before the next attempt: none after a 40008 (the clock
    is re-synced instead), the server's ``Retry-After`` when it gave one, else None (backoff)."""
    return 0.0 if is_clock_error(exc) else _retry_after(exc)


def pause_for(exc: BaseException, *, retry_after_cap: float) -> float | None:
    """Seconds every task on the client waits after this failure (a 429 from the server, not
    a refusal of our own limiter), or None; a wait past the cap is not paused for."""
    if isinstance(exc, RateLimitWaitError) or not isinstance(exc, APIError):
        return None
    if not isinstance(exc, RateLimitError) and exc.http_status != 429:
        return None
    retry_after = exc.retry_after
    if _past_cap(retry_after, retry_after_cap):
        return None
    return retry_after if retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE


def decide(
    exc: BaseException, safety: RetrySafety, *, retry_after_cap: float, clock_retries: int
) -> RetryDecision:
    """The decision for one failed attempt of a call that has used ``clock_retries`` re-sync
    retries so far."""
    if not isinstance(exc, Exception) or isinstance(exc, RateLimitWaitError):
        return _GIVE_UP  # cancellation; or the caller's bound on the limiter's wait: fail fast
    if is_clock_error(exc):
        assert isinstance(exc, APIError)
        can_resync = exc.request_time_ms is not None
        return RetryDecision(
            retry=can_resync and clock_retries == 0, delay=0.0, resync_clock=can_resync
        )
    if _past_cap(_retry_after(exc), retry_after_cap):
        return _GIVE_UP
    return RetryDecision(
        retry=_is_retryable(exc, safety),
        delay=_delay(exc),
        pause_everyone=pause_for(exc, retry_after_cap=retry_after_cap),
    )


def _failure(state: RetryCallState) -> BaseException | None:
    """The exception the attempt ``state`` describes ended with, or None when it succeeded."""
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    return outcome.exception()


class RetryPolicy:
    """One call's retry policy, as the strategies tenacity asks for: :meth:`retry` (the
    predicate), :meth:`stop` and :meth:`wait`, each reading the outcome and the attempt number
    of the ``RetryCallState`` and deciding by the rules above.

    The predicate grants the one re-sync retry a call may have (after a 40008) and counts it,
    so that :meth:`stop` leaves it out of ``max_retries``.
    """

    __slots__ = ("_cap", "_max_retries", "_options", "_safety", "clock_retries")

    def __init__(self, safety: RetrySafety, options: ClientOptions) -> None:
        self._safety = safety
        self._options = options
        self._cap = options.retry_after_cap
        self._max_retries = options.max_retries
        #: Retries granted to re-sync the clock (they do not use up ``max_retries``).
        self.clock_retries = 0

    def retry(self, state: RetryCallState) -> bool:
        """Whether the failed attempt is tried again (if the stop allows)."""
        exc = _failure(state)
        if exc is None:
            return False
        decision = decide(
            exc, self._safety, retry_after_cap=self._cap, clock_retries=self.clock_retries
        )
        if decision.retry and decision.resync_clock:
            self.clock_retries += 1
        return decision.retry

    def stop(self, state: RetryCallState) -> bool:
        """Whether the call has used up its retries."""
        return state.attempt_number - self.clock_retries > self._max_retries

    def wait(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: what the failure asked for, else ``backoff_base *
        2**attempt`` at most (``backoff_max`` at most), with full jitter."""
        exc = _failure(state)
        delay = None if exc is None else _delay(exc)
        if delay is not None:
            return delay
        options = self._options  # the jitter is drawn only for a call that failed
        backoff = wait_random_exponential(multiplier=options.backoff_base, max=options.backoff_max)
        return float(backoff(state))


def _log_retry(retry_state: RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
    # The exception's str() names the endpoint and code and never holds a secret.
    log.info(
        "retrying after attempt %d failed: %s; waiting %.3fs",
        retry_state.attempt_number,
        exc,
        delay,
    )


def build_retry_template() -> AsyncRetrying:
    """The per-client template: how a call sleeps between attempts and what it logs."""
    return AsyncRetrying(sleep=anyio.sleep, reraise=True, before_sleep=_log_retry)


async def run_attempts(
    template: AsyncRetrying, policy: RetryPolicy, attempt: Callable[[], Awaitable[T]]
) -> T:
    """Run ``attempt`` until it succeeds or ``policy`` gives up, and return its result or
    raise its last error.

    This is the loop of ``AsyncRetrying.__call__``, step for step: a failed attempt, the first
    one included, goes into the call's own ``RetryCallState`` (made when the first attempt
    fails: a call that succeeds at once has no outcome to keep), then to the retry predicate,
    the wait and the stop; ``before_sleep`` logs and the template's ``sleep`` waits.
    What it leaves out is tenacity's dispatch of every step through ``inspect`` (to learn
    whether a strategy is a coroutine function, seven times for a call that succeeds at once),
    a cost every call would pay: the ``AsyncRetrying`` row of ``benchmarks/bench_throughput.py``
    runs the same calls through ``AsyncRetrying`` itself and prints the difference.
    The template is only read here, so calls share nothing that changes (the reason a shared
    ``AsyncRetrying`` must be copied per call, tenacity#93).
    """
    state: RetryCallState | None = None  # made when there is an outcome to keep
    while True:
        try:
            return await attempt()
        except BaseException:
            if state is None:
                state = RetryCallState(template, fn=None, args=(), kwargs={})
            state.set_exception(sys.exc_info())  # type: ignore[arg-type]
            if not policy.retry(state):
                raise
            delay = policy.wait(state)
            if policy.stop(state):
                raise
        state.next_action = RetryAction(delay)
        state.idle_for += delay
        if template.before_sleep is not None:
            await _maybe_await(template.before_sleep(state))
        state.prepare_for_next_attempt()
        await _maybe_await(template.sleep(delay))


async def _maybe_await(result: Awaitable[None] | None) -> None:
    if result is not None:
        await result
