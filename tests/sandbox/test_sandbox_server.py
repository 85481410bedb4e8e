"""The sandbox served by uvicorn over a real loopback socket."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest

from copytrade_async.sandbox import Faults, SandboxServer, serve

from .sandbox_helpers import PREFIX, Api, new_exchange


async def assert_closed(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/sandbox/time")


async def test_served_in_a_thread_on_an_ephemeral_port(caplog: pytest.LogCaptureFixture) -> None:
    exchange = new_exchange()
    trader = exchange.trader_ids(active=True)[0]
    with SandboxServer(exchange, port=0) as server:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=server.url) as client:
            api = Api(client, exchange)
            data = await api.ok("GET", "traders", {"pageSize": 5, "sortBy": "profit"})
            assert len(data["list"]) == 5
            follow = await api.follow(trader, amount="500")
            advanced = (await client.post("/sandbox/advance", json={"seconds": 600})).json()
            assert advanced["data"]["nowMs"] == exchange.now_ms()
            await api.ok("GET", "positions", {"followId": follow["followId"]})
            await api.fails("GET", "trader/detail", {"traderId": "0"}, "80001")

            # A dropped connection: the socket closes without a byte of response.
            exchange.faults = Faults(drop_rate=1.0)
            with caplog.at_level(logging.WARNING):
                for _ in range(3):
                    with pytest.raises(httpx.TransportError):
                        await api.get("traders")
                exchange.faults = Faults()
                await api.ok("GET", "traders")  # the server is fine afterwards
            assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert exchange.stats.dropped == 3

            stats = (await client.get("/sandbox/stats")).json()["data"]
            assert stats["requests"][PREFIX + "traders"] == {"0": 3, "200": 2}
        exchange.check_invariant()
    await assert_closed(server.url)


async def test_served_as_a_task_of_the_running_loop() -> None:
    exchange = new_exchange()
    async with SandboxServer(exchange) as server, httpx.AsyncClient(base_url=server.url) as client:
        api = Api(client, exchange)
        assert (await api.get("traders")).status_code == 200
        # Real concurrency over the socket.
        responses = await asyncio.gather(*(api.get("traders", {"pageNo": n}) for n in range(1, 9)))
        assert [r.json()["data"]["currentPage"] for r in responses] == list(range(1, 9))
    await assert_closed(server.url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_serve_runs_until_cancelled() -> None:
    exchange = new_exchange()
    port = _free_port()
    task = asyncio.create_task(serve(exchange, port=port, log_level="warning"))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(200):
            try:
                response = await client.get("/sandbox/time")
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.01)
        assert response.status_code == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await assert_closed(f"http://127.0.0.1:{port}")


def test_a_port_in_use_is_refused_at_once() -> None:
    with SandboxServer(new_exchange(traders=10)) as server, pytest.raises(OSError, match="in use"):
        SandboxServer(new_exchange(traders=10), port=server.port)
