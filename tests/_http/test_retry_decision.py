"""The retry policy as a pure function: one decision per failed attempt, with no I/O.

The end-to-end behaviour (what the pipeline then does) is in ``test_retry.py``; here each rule
is one row of a table."""

from __future__ import annotations

import asyncio
import math

import pytest

from copytrade_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    RateLimitError,
    RateLimitWaitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
)
from copytrade_async._http._endpoints import RetrySafety
from copytrade_async._http._retry import DEFAULT_RATE_LIMIT_PAUSE, RetryDecision, decide

IDEMPOTENT = RetrySafety.IDEMPOTENT
MONEY = RetrySafety.NOT_IDEMPOTENT
CAP = 60.0


def api(cls: type[APIError], code: str, status: int, **kwargs: object) -> APIError:
    return cls("x", code, "msg", http_status=status, **kwargs)  # type: ignore[arg-type]


CASES: dict[str, tuple[BaseException, RetrySafety, RetryDecision]] = {
    "connect refused, GET": (
        APIConnectionError("x", "refused", request_sent=False),
        IDEMPOTENT,
        RetryDecision(retry=True),
    ),
    "connect refused, follow": (
        APIConnectionError("x", "refused", request_sent=False),
        MONEY,
        RetryDecision(retry=True),
    ),
    "read timeout, GET": (
        APITimeoutError("x", "read", request_sent=True),
        IDEMPOTENT,
        RetryDecision(retry=True),
    ),
    "read timeout, follow": (
        APITimeoutError("x", "read", request_sent=True),
        MONEY,
        RetryDecision(retry=False),
    ),
    "502, GET": (api(ServerError, "HTTP 502", 502), IDEMPOTENT, RetryDecision(retry=True)),
    "502, follow": (api(ServerError, "HTTP 502", 502), MONEY, RetryDecision(retry=False)),
    "503 with Retry-After, follow": (
        api(ServerError, "HTTP 503", 503, retry_after=2.0),
        MONEY,
        RetryDecision(retry=True, delay=2.0),
    ),
    "429 without Retry-After": (
        api(RateLimitError, "429", 429),
        MONEY,
        RetryDecision(retry=True, pause_everyone=DEFAULT_RATE_LIMIT_PAUSE),
    ),
    "429 with Retry-After": (
        api(RateLimitError, "429", 429, retry_after=3.0),
        IDEMPOTENT,
        RetryDecision(retry=True, delay=3.0, pause_everyone=3.0),
    ),
    "429 past the cap": (
        api(RateLimitError, "429", 429, retry_after=CAP + 1),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "429 with an endless Retry-After": (
        api(RateLimitError, "429", 429, retry_after=math.inf),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "503 with an endless Retry-After": (
        api(ServerError, "HTTP 503", 503, retry_after=math.inf),
        MONEY,
        RetryDecision(retry=False),
    ),
    "code 40015 (system abnormal), GET": (
        api(APIError, "40015", 400),
        IDEMPOTENT,
        RetryDecision(retry=True),
    ),
    "code 40015, follow": (api(APIError, "40015", 400), MONEY, RetryDecision(retry=False)),
    "code 40200 (server upgrade), GET": (
        api(APIError, "40200", 400),
        IDEMPOTENT,
        RetryDecision(retry=True),
    ),
    "code 40200, follow": (api(APIError, "40200", 400), MONEY, RetryDecision(retry=False)),
    "code 40808 (parameter verification), GET": (
        api(APIError, "40808", 400),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "business error 80003": (api(APIError, "80003", 400), IDEMPOTENT, RetryDecision(retry=False)),
    "bad signature 40009": (
        api(AuthenticationError, "40009", 400),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "40008 with the server's time": (
        api(AuthenticationError, "40008", 401, request_time_ms=1),
        MONEY,
        RetryDecision(retry=True, delay=0.0, resync_clock=True),
    ),
    "40008 without the server's time": (
        api(AuthenticationError, "40008", 401),
        IDEMPOTENT,
        RetryDecision(retry=False, delay=0.0),
    ),
    "body not JSON, GET": (ResponseDecodeError("x", "not JSON"), IDEMPOTENT, RetryDecision(True)),
    "body not JSON, follow": (ResponseDecodeError("x", "not JSON"), MONEY, RetryDecision(False)),
    "a body past the size cap, GET": (
        ResponseTooLargeError("x", limit=10, http_status=200),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "a field that does not fit": (
        ResponseValidationError("x", "profit", "bad"),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "a bug of ours": (KeyError("x"), IDEMPOTENT, RetryDecision(retry=False)),
    "our own limiter would wait past max_rate_limit_wait": (
        RateLimitWaitError("x", retry_after=3.0, limit=0.5),
        IDEMPOTENT,
        RetryDecision(retry=False),
    ),
    "cancellation": (asyncio.CancelledError(), IDEMPOTENT, RetryDecision(retry=False)),
}


@pytest.mark.parametrize(("exc", "safety", "expected"), CASES.values(), ids=CASES.keys())
def test_decisions(exc: BaseException, safety: RetrySafety, expected: RetryDecision) -> None:
    assert decide(exc, safety, retry_after_cap=CAP, clock_retries=0) == expected


def test_a_second_40008_in_one_call_resyncs_but_is_not_retried() -> None:
    exc = api(AuthenticationError, "40008", 401, request_time_ms=1)
    decision = decide(exc, IDEMPOTENT, retry_after_cap=CAP, clock_retries=1)
    assert decision == RetryDecision(retry=False, delay=0.0, resync_clock=True)


def test_the_cap_applies_to_any_retry_after() -> None:
    exc = api(ServerError, "HTTP 503", 503, retry_after=10.0)
    assert decide(exc, IDEMPOTENT, retry_after_cap=9.0, clock_retries=0).retry is False
    assert decide(exc, IDEMPOTENT, retry_after_cap=10.0, clock_retries=0).retry is True


def test_an_endless_retry_after_is_past_any_cap() -> None:
    """A Retry-After too large to read is math.inf: never waited out, never a shared pause,
    even with no cap at all."""
    exc = api(RateLimitError, "429", 429, retry_after=math.inf)
    decision = decide(exc, IDEMPOTENT, retry_after_cap=math.inf, clock_retries=0)
    assert decision == RetryDecision(retry=False)
    assert str(exc).endswith("; the server asks for a wait too long to read")
