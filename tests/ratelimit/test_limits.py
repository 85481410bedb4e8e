"""Rate-limit configuration: the defaults, immutability, and every bad value refused."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from copytrade_async.ratelimit import COPYTRADING_GROUP, RateLimit, RateLimits


def test_defaults_follow_the_documented_copy_trade_limit() -> None:
    limits = RateLimits.default()
    assert limits == RateLimits()
    # 5 requests/s per UID on every copy-trade endpoint: Bitget's copy-trade API documentation,
    # "API rate limit adjustment" of 2024-08-15 (it was 10).
    assert dict(limits.groups) == {COPYTRADING_GROUP: RateLimit(rate=5.0, burst=1)}
    assert limits.global_limit == RateLimit(rate=100.0, burst=1)
    assert RateLimit.per_minute(6000) == RateLimit.per_second(100)
    assert RateLimit.per_second(10, burst=5) == RateLimit(10.0, 5)
    assert RateLimit.per_minute(30).rate == 0.5


def test_limits_are_immutable_copies() -> None:
    groups = {"a": RateLimit.per_second(1)}
    limits = RateLimits(groups=groups)
    groups["b"] = RateLimit.per_second(2)
    assert set(limits.groups) == {"a"}
    with pytest.raises(TypeError):
        limits.groups["c"] = RateLimit.per_second(3)  # type: ignore[index]


@pytest.mark.parametrize(
    ("make_limit", "error", "match"),
    [
        (lambda: RateLimit(0), ValueError, "rate must be a finite number > 0"),
        (lambda: RateLimit(-1.5), ValueError, "rate must be a finite number > 0"),
        (lambda: RateLimit(math.nan), ValueError, "rate must be a finite number > 0"),
        (lambda: RateLimit(math.inf), ValueError, "rate must be a finite number > 0"),
        (lambda: RateLimit("10"), ValueError, "rate must be a number"),  # type: ignore[arg-type]
        (lambda: RateLimit(True), ValueError, "rate must be a number"),
        (lambda: RateLimit(10, burst=0), ValueError, "burst must be a whole number >= 1"),
        (lambda: RateLimit(10, burst=1.5), ValueError, "burst must be a whole number"),  # type: ignore[arg-type]
        (lambda: RateLimit(10, burst=True), ValueError, "burst must be a whole number"),
        (lambda: RateLimit.per_second(0), ValueError, "requests per second must be"),
        (lambda: RateLimit.per_minute(-6000), ValueError, "requests per minute must be"),
        (
            lambda: RateLimit.per_minute(60, burst=0),
            ValueError,
            "burst must be a whole number >= 1",
        ),
        (lambda: RateLimits(groups={"": RateLimit(1)}), ValueError, "non-empty string"),
        (lambda: RateLimits(groups={"a": 10}), TypeError, "must be a RateLimit"),  # type: ignore[dict-item]
        (lambda: RateLimits(groups=[("a", RateLimit(1))]), TypeError, "must be a mapping"),  # type: ignore[arg-type]
        (lambda: RateLimits(global_limit=6000), TypeError, "global_limit must be"),  # type: ignore[arg-type]
    ],
)
def test_validation_errors(make_limit: Callable[[], object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make_limit()
