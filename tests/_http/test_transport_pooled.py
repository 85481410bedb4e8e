"""The pooled httpx transport: the connection limit is the whole transport's, requests go to the
least busy pool, waits are bounded by the pool timeout, and no connection or slot leaks, even
through retries and cancellations; a shared client made by ``pooled_http_client`` serves many
clients."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from copytrade_async import (
    AsyncCopyTradeClient,
    CopyTradeError,
    PooledAsyncClient,
    PooledTransport,
    pooled_http_client,
)
from copytrade_async._http._transport_pooled import _shares

from ..conftest import API_KEY, API_SECRET, PASSPHRASE, envelope


class KeepAliveServer:
    """HTTP/1.1 keep-alive on loopback; counts the connections open at once. Each answer waits
    ``latency`` s; ``statuses`` (when not empty) gives the next answers' statuses in turn."""

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0
        self.requests = 0
        self.latency = 0.0
        self.statuses: list[int] = []
        self.headers: list[dict[str, str]] = []  # of each request, names in lower case
        self.url = ""
        self.none_open = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.none_open.clear()
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                seen: dict[str, str] = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    seen[name.strip().lower()] = value.strip()
                    if name.strip().lower() == "content-length":
                        length = int(value)
                self.headers.append(seen)
                await reader.readexactly(length)
                self.requests += 1
                status = self.statuses.pop(0) if self.statuses else 200
                if self.latency:
                    await asyncio.sleep(self.latency)
                body = json.dumps(envelope([] if status == 200 else None)).encode()
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (status, len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            if not self.open:
                self.none_open.set()
            writer.close()


async def all_closed(server: KeepAliveServer) -> bool:
    """Whether the server sees every connection closed within 2 s (it learns of a close on its
    next read)."""
    with anyio.move_on_after(2):
        await server.none_open.wait()
    return server.open == 0


@pytest.fixture
async def keepalive() -> AsyncIterator[KeepAliveServer]:
    state = KeepAliveServer()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield state
        server.close()


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


async def _short_sleep(seconds: float) -> None:
    await anyio.sleep(min(seconds, 0.001))


async def test_retries_and_cancellations_leak_no_connections(keepalive: KeepAliveServer) -> None:
    """Like openai-python's "retries leak no connections": many calls through a shared pooled
    client, a third of the answers retried (503), some calls cancelled mid-flight; afterwards
    every slot is back and every connection idle."""
    keepalive.latency = 0.002
    rng = random.Random(7)
    keepalive.statuses = [rng.choice((200, 200, 503)) for _ in range(400)]
    limits = httpx.Limits(max_connections=12, max_keepalive_connections=12)
    shared = pooled_http_client(pools=4, limits=limits)
    transport = shared._transport
    assert isinstance(transport, PooledTransport)
    done = failed = cancelled = 0
    clients = [
        AsyncCopyTradeClient(
            api_key=API_KEY,
            api_secret=API_SECRET,
            passphrase=PASSPHRASE,
            base_url=keepalive.url,
            http_client=shared,
            rate_limits=None,
            max_retries=3,
        )
        for _ in range(3)
    ]
    for client in clients:
        client._pipeline._retry_template.sleep = _short_sleep  # type: ignore[assignment]

    async def one(i: int) -> None:
        nonlocal done, failed, cancelled
        with anyio.move_on_after(rng.choice((0.001, 0.004, 5.0))) as scope:
            try:
                await clients[i % 3].follows.positions(str(i))
                done += 1
            except CopyTradeError:
                failed += 1
        cancelled += scope.cancelled_caught

    async with anyio.create_task_group() as tg:
        for i in range(200):
            tg.start_soon(one, i)
    assert done > 50 and cancelled > 20
    assert transport.in_flight == (0, 0, 0, 0)
    assert transport._gate is not None and transport._gate.value == 12
    for pool in transport.pools:
        inner = pool._pool  # type: ignore[attr-defined]
        assert inner._requests == []
        assert all(conn.is_idle() or conn.is_closed() for conn in inner.connections)
    assert keepalive.most_open <= 12
    assert await clients[0].follows.positions("after") == []
    for client in clients:
        await client.aclose()
    assert not shared.is_closed  # a given client is the caller's to close
    await shared.aclose()
    assert await all_closed(keepalive)


async def test_our_default_client_sends_through_pools(keepalive: KeepAliveServer) -> None:
    async with AsyncCopyTradeClient(
        api_key=API_KEY,
        api_secret=API_SECRET,
        passphrase=PASSPHRASE,
        base_url=keepalive.url,
        rate_limits=None,
        max_in_flight=8,
    ) as client:
        transport = client.http_client._transport
        assert isinstance(transport, PooledTransport)
        assert len(transport.pools) == 8  # 32 pools by default, no more than the connections
        results = await asyncio.gather(*(client.follows.positions(str(i)) for i in range(40)))
        assert results == [[]] * 40
        assert keepalive.most_open <= 8
    assert await all_closed(keepalive)


async def test_a_shared_pooled_client_is_used_as_is_or_through_send(
    keepalive: KeepAliveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without auth, hooks, cookies or params, a pooled_http_client's requests skip
    ``client.send()`` (the same request on the wire, its default headers included); with an
    event hook, they go through ``client.send()`` so that the hook runs."""
    sent: list[httpx.Request] = []
    real_send = httpx.AsyncClient.send

    async def counting_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        sent.append(request)
        return await real_send(self, request, **kw)

    monkeypatch.setattr(httpx.AsyncClient, "send", counting_send)
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.headers["x-app"])

    async with pooled_http_client(headers={"x-app": "backend"}) as shared:
        assert isinstance(shared, PooledAsyncClient)
        async with AsyncCopyTradeClient(
            api_key=API_KEY,
            api_secret=API_SECRET,
            passphrase=PASSPHRASE,
            base_url=keepalive.url,
            http_client=shared,
            rate_limits=None,
        ) as client:
            assert await client.follows.positions("1") == []
            assert sent == []
            assert keepalive.headers[-1]["x-app"] == "backend"
            assert keepalive.headers[-1]["access-key"] == API_KEY
            shared.event_hooks = {"request": [hook], "response": []}
            assert await client.follows.positions("2") == []
            assert len(sent) == 1 and hooked == ["backend"]
            assert keepalive.headers[-1]["x-app"] == "backend"
        assert shared.pooled_transport.in_flight == (0,) * 32
