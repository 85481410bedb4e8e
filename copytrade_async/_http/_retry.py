"""The retry policy: which failed attempt is tried again, after how long, and what else the
failure sets off. The rules are pure (:func:`decide`); tenacity counts the attempts, sleeps and
draws the jitter; the pipeline carries out what a :class:`RetryDecision` says and nothing else.

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
when it gave none). A ``Retry-After`` is waited out exactly; one longer than the cap is neither
waited nor paused for: the :class:`RateLimitError` is raised at once. Any other wait is
exponential with full jitter.

One :class:`tenacity.AsyncRetrying` template is built per client and ``.copy()``-ed for every
call that fails once, because a shared instance keeps its attempt state in a thread-local that
concurrent coroutines would corrupt.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import anyio
import attrs
from tenacity import AsyncRetrying, RetryCallState
from tenacity.wait import wait_random_exponential

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
    "RetryDecision",
    "build_retry_template",
    "decide",
    "request_retrying",
]

log = logging.getLogger("copytrade_async")

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


def _is_clock_error(exc: BaseException) -> bool:
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


def decide(
    exc: BaseException, safety: RetrySafety, *, retry_after_cap: float, clock_retries: int
) -> RetryDecision:
    """The decision for one failed attempt of a call that has used ``clock_retries`` re-sync
    retries so far."""
    if not isinstance(exc, Exception) or isinstance(exc, RateLimitWaitError):
        return _GIVE_UP  # cancellation; or the caller's bound on the limiter's wait: fail fast
    if _is_clock_error(exc):
        assert isinstance(exc, APIError)
        can_resync = exc.request_time_ms is not None
        return RetryDecision(
            retry=can_resync and clock_retries == 0, delay=0.0, resync_clock=can_resync
        )
    retry_after = exc.retry_after if isinstance(exc, APIError) else None
    if retry_after is not None and (retry_after > retry_after_cap or math.isinf(retry_after)):
        return _GIVE_UP  # an endless wait (``inf``: too long to read) is past any cap
    pause = None
    if isinstance(exc, RateLimitError) or (isinstance(exc, APIError) and exc.http_status == 429):
        pause = retry_after if retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
    return RetryDecision(retry=_is_retryable(exc, safety), delay=retry_after, pause_everyone=pause)


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
    """The per-client template. Copy it per call with :func:`request_retrying`."""
    return AsyncRetrying(sleep=anyio.sleep, reraise=True, before_sleep=_log_retry)


def request_retrying(
    template: AsyncRetrying,
    *,
    max_retries: int,
    backoff_base: float,
    backoff_max: float,
    decision: Callable[[], RetryDecision | None],
    clock_retries: Callable[[], int],
) -> AsyncRetrying:
    """A copy of ``template`` for one call. ``decision`` returns the decision on the last
    failed attempt (None when it failed before one was made, as on cancellation), and
    ``clock_retries`` the re-sync retries used so far. A decision that names no delay waits
    ``backoff_base * 2**attempt`` seconds at most (``backoff_max`` at most), with full jitter."""
    jitter = wait_random_exponential(multiplier=backoff_base, max=backoff_max)

    def retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        last = decision()
        return last is not None and last.retry

    def wait(state: RetryCallState) -> float:
        last = decision()
        if last is not None and last.delay is not None:
            return last.delay
        return float(jitter(state))

    def stop(state: RetryCallState) -> bool:
        return state.attempt_number >= max_retries + 1 + clock_retries()

    return template.copy(retry=retry, stop=stop, wait=wait)
