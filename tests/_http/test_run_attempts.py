"""``run_attempts`` is tenacity's own loop, step for step: for any run of failures, it makes
the same attempts, waits the same waits, logs before the same sleeps and ends with the same
result or error as ``AsyncRetrying`` (the oracle, which we did not write) given the same
strategies."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from tenacity import AsyncRetrying, RetryCallState

from copytrade_async import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from copytrade_async._config import ClientOptions
from copytrade_async._http._endpoints import RetrySafety
from copytrade_async._http._retry import RetryPolicy, build_retry_template, run_attempts

#: The outcomes an attempt may have (a fresh exception each time: an error is raised once).
OUTCOMES: dict[str, Callable[[], Exception]] = {
    "502": lambda: ServerError("x", "HTTP 502", "bad gateway", http_status=502),
    "refused": lambda: APIConnectionError("x", "refused", request_sent=False),
    "read timeout": lambda: APIConnectionError("x", "reset", request_sent=True),
    "40008": lambda: AuthenticationError(
        "x", "40008", "expired", http_status=401, request_time_ms=5
    ),
    "429 0.5s": lambda: RateLimitError("x", "429", "busy", http_status=429, retry_after=0.5),
    "429 past the cap": lambda: RateLimitError(
        "x", "429", "busy", http_status=429, retry_after=100.0
    ),
    "40200": lambda: APIError("x", "40200", "server upgrade", http_status=400),
    "80001": lambda: APIError("x", "80001", "invalid trader", http_status=400),
    "bad field": lambda: ResponseValidationError("x", "profit", "not a number"),
}

Trace = tuple[str, int, list[tuple[int, float]], list[float]]


async def _run(
    loop: str, failures: list[str], safety: RetrySafety, options: ClientOptions, seed: int
) -> Trace:
    """Run the attempts through ``loop``; return (the ending, attempts made, what
    ``before_sleep`` saw, the sleeps)."""
    slept: list[float] = []
    seen: list[tuple[int, float]] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    def before_sleep(state: RetryCallState) -> None:
        assert state.next_action is not None
        seen.append((state.attempt_number, state.next_action.sleep))

    template: AsyncRetrying = build_retry_template().copy(sleep=sleep, before_sleep=before_sleep)
    policy = RetryPolicy(safety, options)
    left = list(failures)
    attempts = 0

    async def attempt() -> str:
        nonlocal attempts
        attempts += 1
        if left:
            raise OUTCOMES[left.pop(0)]()
        return "ok"

    random.seed(seed)  # the jitter draws the same numbers in both runs
    try:
        if loop == "ours":
            ending = await run_attempts(template, policy, attempt)
        else:
            retrying = template.copy(retry=policy.retry, stop=policy.stop, wait=policy.wait)
            ending = await retrying(attempt)
    except Exception as exc:
        ending = f"{type(exc).__name__}: {exc}"
    return ending, attempts, seen, slept


@settings(max_examples=150, deadline=None)
@given(
    failures=st.lists(st.sampled_from(sorted(OUTCOMES)), max_size=7),
    safety=st.sampled_from(list(RetrySafety)),
    max_retries=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_same_attempts_waits_and_ending_as_async_retrying(
    failures: list[str], safety: RetrySafety, max_retries: int, seed: int
) -> None:
    options = ClientOptions(max_retries=max_retries, backoff_base=0.5, backoff_max=8.0)
    ours = asyncio.run(_run("ours", failures, safety, options, seed))
    theirs = asyncio.run(_run("tenacity", failures, safety, options, seed))
    assert ours == theirs
    ending, attempts, seen, slept = ours
    assert attempts == len(slept) + 1  # a sleep between attempts, none after the last
    assert [number for number, _ in seen] == list(range(1, attempts))
    assert ending == "ok" or attempts <= len(failures)
