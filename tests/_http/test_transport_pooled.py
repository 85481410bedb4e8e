"""The pooled httpx transport (what carries the requests ``AsyncioTransport`` hands on): the
connection limit is the whole transport's, requests go to the least busy pool, and waits are
bounded by the pool timeout. The shared client, and the leak test through retries and
cancellations, are in ``test_transport_asyncio.py``, on the transport they now use."""

from __future__ import annotations

import anyio
import httpx
import pytest

from copytrade_async import (
    PooledTransport,
    pooled_http_client,
)
from copytrade_async._http._transport_pooled import _shares

from .keepalive import KeepAliveServer, all_closed


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [
        (64, 32, [2] * 32),
        (100, 16, [7, 7, 7, 7] + [6] * 12),
        (5, 5, [1] * 5),
        (10, 3, [4, 3, 3]),
        (None, 3, [None, None, None]),
    ],
)
def test_limits_are_split_into_shares_that_add_up(
    total: int | None, parts: int, expected: list[int | None]
) -> None:
    assert _shares(total, parts) == expected


def test_pools_follow_the_limits() -> None:
    transport = PooledTransport(
        pools=16, limits=httpx.Limits(max_connections=5, max_keepalive_connections=3)
    )
    assert len(transport.pools) == 5  # never more pools than connections
    sizes = [pool._pool._max_connections for pool in transport.pools]  # type: ignore[attr-defined]
    kept = [pool._pool._max_keepalive_connections for pool in transport.pools]  # type: ignore[attr-defined]
    assert sizes == [1, 1, 1, 1, 1] and sum(kept) == 3
    default = PooledTransport(pools=4)  # httpx's default limits: 100 connections, 20 kept
    assert [p._pool._max_connections for p in default.pools] == [25] * 4  # type: ignore[attr-defined]
    assert [p._pool._max_keepalive_connections for p in default.pools] == [5] * 4  # type: ignore[attr-defined]
    for wrong in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="pools"):
            PooledTransport(pools=wrong)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="transport"):
        pooled_http_client(transport=httpx.AsyncHTTPTransport())


async def test_never_more_connections_than_the_limit(keepalive: KeepAliveServer) -> None:
    keepalive.latency = 0.01
    limits = httpx.Limits(max_connections=6, max_keepalive_connections=6)
    async with httpx.AsyncClient(transport=PooledTransport(pools=4, limits=limits)) as client:
        transport = client._transport
        assert isinstance(transport, PooledTransport)
        seen_busy: list[tuple[int, ...]] = []

        async def get() -> None:
            response = await client.get(keepalive.url)
            seen_busy.append(transport.in_flight)
            assert response.status_code == 200

        async with anyio.create_task_group() as tg:
            for _ in range(60):
                tg.start_soon(get)
        assert keepalive.requests == 60
        assert 1 < keepalive.most_open <= 6
        # Never more in flight in a pool than its share (2, 2, 1, 1), never more than 6 in all.
        assert all(b[0] <= 2 and b[1] <= 2 and b[2] <= 1 and b[3] <= 1 for b in seen_busy)
        assert transport.in_flight == (0, 0, 0, 0)
    assert await all_closed(keepalive)  # closing the client closed every pool's connections


async def test_requests_go_to_the_least_busy_pool(keepalive: KeepAliveServer) -> None:
    keepalive.latency = 0.05
    async with httpx.AsyncClient(transport=PooledTransport(pools=4)) as client:
        transport = client._transport
        assert isinstance(transport, PooledTransport)
        await client.get(keepalive.url)  # one at a time: always the first pool
        await client.get(keepalive.url)
        assert [len(p._pool.connections) for p in transport.pools] == [1, 0, 0, 0]  # type: ignore[attr-defined]
        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(client.get, keepalive.url)
            await anyio.sleep(0.02)
            assert transport.in_flight == (2, 2, 1, 1)
        assert transport.in_flight == (0, 0, 0, 0)


async def test_a_wait_past_the_pool_timeout_is_a_pool_timeout(keepalive: KeepAliveServer) -> None:
    keepalive.latency = 0.2
    limits = httpx.Limits(max_connections=1)
    timeout = httpx.Timeout(5.0, pool=0.05)
    transport = PooledTransport(limits=limits)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.get, keepalive.url)
            await anyio.sleep(0.02)
            with pytest.raises(httpx.PoolTimeout):
                await client.get(keepalive.url)
        assert transport.in_flight == (0,)
        assert transport._gate is not None and transport._gate.value == 1
    assert keepalive.requests == 1


async def test_closed_transport_refuses_requests() -> None:
    transport = PooledTransport()
    await transport.aclose()
    await transport.aclose()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/"))
