"""Which failures are retried, and how long to wait. Rules are pure; tenacity runs them.

One :class:`tenacity.AsyncRetrying` template is built per client and ``.copy()``-ed for every
request, because a shared instance keeps its attempt state in a thread-local that concurrent
coroutines would corrupt. What is retried:

* connection failures and timeouts: for idempotent endpoints always; for ``follow`` only when
  the request provably never left (the connection could not be opened);
* HTTP 429, 500, 502, 503, 504 and the exchange's transient codes 429, 40010, 45001, 40725,
  40808 and 40015: for idempotent endpoints; for ``follow`` only an explicit 429 or 503;
* a body that is not JSON or not the envelope, for idempotent endpoints only;
* 40008 "timestamp expired": once per call after re-syncing the clock, without backoff.

A ``Retry-After`` is waited out exactly; one longer than the cap is not waited at all and the
:class:`RateLimitError` is raised at once. Otherwise the wait is exponential with full jitter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from tenacity import AsyncRetrying, RetryCallState
from tenacity.wait import wait_base, wait_random_exponential

from .._exceptions import (
    TIMESTAMP_EXPIRED,
    APIConnectionError,
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseDecodeError,
    ResponseValidationError,
)
from ._endpoints import RetrySafety

__all__ = ["build_retry_template", "is_clock_error", "is_retryable", "request_retrying"]

log = logging.getLogger("copytrade_async")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
TRANSIENT_CODES = frozenset({"429", "40010", "45001", "40725", "40808", "40015"})
#: Statuses that prove the server did not act on the request.
NOT_PROCESSED_STATUSES = frozenset({429, 503})


def is_clock_error(exc: BaseException) -> bool:
    return isinstance(exc, AuthenticationError) and exc.code == TIMESTAMP_EXPIRED


def is_retryable(exc: BaseException, safety: RetrySafety, retry_after_cap: float) -> bool:
    """Whether one failed attempt may be tried again (40008 is handled by the caller)."""
    idempotent = safety is RetrySafety.IDEMPOTENT
    if (
        isinstance(exc, APIError)
        and exc.retry_after is not None
        and (exc.retry_after > retry_after_cap)
    ):
        return False
    if isinstance(exc, APIConnectionError):
        return idempotent or not exc.request_sent
    if isinstance(exc, ResponseValidationError):
        return False
    if isinstance(exc, ResponseDecodeError):
        return idempotent
    if isinstance(exc, RateLimitError):
        return True
    if isinstance(exc, APIError):
        if exc.http_status in NOT_PROCESSED_STATUSES:
            return True
        return idempotent and (exc.http_status in RETRY_STATUSES or exc.code in TRANSIENT_CODES)
    return False


class wait_retry_after_or_jitter(wait_base):
    """Wait what the server asked for; otherwise exponential backoff with full jitter."""

    def __init__(self, base: float, maximum: float) -> None:
        self._jitter = wait_random_exponential(multiplier=base, max=maximum)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is not None and is_clock_error(exc):
            return 0.0
        if isinstance(exc, APIError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._jitter(retry_state))


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


def build_retry_template(backoff_base: float, backoff_max: float) -> AsyncRetrying:
    """The per-client template. Copy it per request with ``stop`` and ``retry`` filled in."""
    return AsyncRetrying(
        sleep=anyio.sleep,
        reraise=True,
        wait=wait_retry_after_or_jitter(backoff_base, backoff_max),
        before_sleep=_log_retry,
    )


def request_retrying(
    template: AsyncRetrying,
    safety: RetrySafety,
    *,
    max_retries: int,
    retry_after_cap: float,
    clock_retries: Callable[[], int],
) -> AsyncRetrying:
    """A fresh copy for one call. ``clock_retries`` counts the 40008 re-syncs so far, which do
    not use up ``max_retries``."""

    def retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        assert exc is not None
        if is_clock_error(exc):
            return clock_retries() <= 1
        return is_retryable(exc, safety, retry_after_cap)

    def stop(state: RetryCallState) -> bool:
        return state.attempt_number >= max_retries + 1 + clock_retries()

    return template.copy(retry=retry, stop=stop)
