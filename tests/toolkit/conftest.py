"""Sandbox clients for the toolkit tests: fast limits, no timestamp check, no retries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimits, SandboxClient
from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxExchange

#: The client's own limiter in most tests: far above what the tests send.
FAST_LIMITS = RateLimits(groups={"copytrading": RateLimit.per_second(5000)}, global_limit=None)

MakeClient = Callable[..., SandboxClient]


def sandbox_client(
    *, rate_limits: RateLimits | None = FAST_LIMITS, max_retries: int = 0, **config: Any
) -> SandboxClient:
    """A client on a fresh sandbox. ``config`` goes to :class:`SandboxConfig`; by default the
    sandbox has no rate limit and no timestamp check (tests move its clock by hours)."""
    settings: dict[str, Any] = {"rate_limit": None, "timestamp_tolerance_ms": None, **config}
    return AsyncCopyTradeClient.sandbox(
        config=SandboxConfig(**settings), rate_limits=rate_limits, max_retries=max_retries
    )


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """A factory of sandbox clients, all closed after the test."""
    made: list[SandboxClient] = []

    def make(**kwargs: Any) -> SandboxClient:
        client = sandbox_client(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def open_follows(
    exchange: SandboxExchange, trader_ids: list[str], amount: Decimal = Decimal(1000)
) -> list[str]:
    """Open follows straight on the exchange (test setup, no HTTP): their follow ids."""
    return [
        str(exchange.follow(SANDBOX_API_KEY, tid, amount, Decimal(10), "isolated")["followId"])
        for tid in trader_ids
    ]


def traders_with_positions(exchange: SandboxExchange) -> list[str]:
    """Active traders that hold an open position right now (a follow copies it at once)."""
    return [
        tid for tid in exchange.trader_ids(active=True) if exchange.trader_detail(tid)["positions"]
    ]
