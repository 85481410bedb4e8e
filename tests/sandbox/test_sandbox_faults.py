"""Injected faults, and the unsigned admin endpoints that drive them."""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest

from copytrade_async.sandbox import (
    Faults,
    SandboxConfig,
    SandboxConnectionDropped,
    SandboxExchange,
    WallClock,
    create_app,
)

from .sandbox_helpers import PREFIX, Api, new_exchange

FOLLOW = {"copyAmount": "100", "leverage": "3", "marginMode": "cross"}


def test_fault_rates_are_validated() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        Faults(error_rate=0.6, drop_rate=0.6)
    with pytest.raises(ValueError, match="latency_s"):
        Faults(latency_s=-1)


async def test_latency(api: Api, exchange: SandboxExchange) -> None:
    exchange.faults = Faults(latency_s=0.05)
    started = time.perf_counter()
    await api.ok("GET", "traders", {"pageSize": 1})
    assert time.perf_counter() - started >= 0.05


async def test_server_errors(api: Api, exchange: SandboxExchange, busy_trader: str) -> None:
    exchange.faults = Faults(error_rate=1.0)
    statuses: Counter[int] = Counter()
    html_pages = 0
    for _ in range(60):
        response = await api.get("traders", {"pageSize": 1})
        statuses[response.status_code] += 1
        if response.headers["content-type"].startswith("text/html"):
            assert response.status_code == 502
            assert b"502 Bad Gateway" in response.content
            html_pages += 1
        else:
            body = response.json()
            assert (body["code"], body["data"]) == (str(response.status_code), None)
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1"
    assert set(statuses) == {500, 502, 503, 504}
    assert 0 < html_pages < statuses[502]


async def test_gateway_errors_strike_after_execution(api: Api, exchange: SandboxExchange) -> None:
    """500/503 never reach the exchange; 502/504 lose the answer of an executed request."""
    exchange.faults = Faults(error_rate=1.0)
    traders = exchange.trader_ids(active=True)
    executed: dict[int, list[bool]] = {}
    for trader_id in traders[:40]:
        response = await api.post("follow", {"traderId": trader_id, **FOLLOW})
        followed = trader_id in exchange.lookup_account(api.api_key).active_by_trader  # type: ignore[union-attr]
        executed.setdefault(response.status_code, []).append(followed)
    assert set(executed) == {500, 502, 503, 504}
    assert not any(executed[500] + executed[503])
    assert all(executed[502] + executed[504])
    exchange.check_invariant()


async def test_rate_limit_storm(api: Api, exchange: SandboxExchange) -> None:
    exchange.faults = Faults(rate_limit_storm=1.0)
    for _ in range(10):
        response = await api.get("traders")
        assert response.status_code == 429
        assert response.json()["code"] == "429"
        retry_ms = int(response.headers["retry-after-ms"])
        assert 50 <= retry_ms <= 1000
        assert response.headers["retry-after"] == "1"
    assert exchange.stats.rate_limited == 10


async def test_malformed_bodies(api: Api, exchange: SandboxExchange, busy_trader: str) -> None:
    exchange.faults = Faults(malformed_rate=1.0)
    response = await api.post("follow", {"traderId": busy_trader, **FOLLOW})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert response.content.startswith(b'{"code":"00000"')
    # The request was executed: only the answer was spoiled.
    assert exchange.account().active_follows == 1


async def test_maintenance_answers_40200_before_execution(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    exchange.faults = Faults(maintenance_rate=1.0)
    response = await api.post("follow", {"traderId": busy_trader, **FOLLOW})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["msg"], body["data"]) == (
        "40200",
        "server upgrade, please try again later",
        None,
    )
    assert exchange.account().active_follows == 0  # nothing was done
    exchange.faults = Faults(maintenance_rate=0.5)
    codes = Counter([(await api.get("traders", {"pageSize": 1})).json()["code"] for _ in range(40)])
    assert set(codes) == {"40200", "00000"}


async def test_dropped_connections_under_asgi_transport(
    api: Api, exchange: SandboxExchange
) -> None:
    exchange.faults = Faults(drop_rate=1.0)
    for _ in range(3):
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await api.get("traders")
        assert isinstance(caught.value, SandboxConnectionDropped)
        assert isinstance(caught.value, httpx.TransportError)
    assert exchange.stats.dropped == 3
    assert exchange.stats.requests[PREFIX + "traders", 0] == 3
    exchange.faults = Faults()
    await api.ok("GET", "traders")


async def test_clock_offset(api: Api, exchange: SandboxExchange) -> None:
    exchange.faults = Faults(clock_offset_ms=60_000)
    now = exchange.now_ms()
    # A client on the simulated time is now a minute behind the server's clock.
    response = await api.get("traders")
    assert (response.status_code, response.json()["code"]) == (401, "40008")
    assert response.json()["requestTime"] == now + 60_000
    headers = api.headers("GET", PREFIX + "traders", "", "", timestamp_ms=now + 60_000)
    response = await api.client.get(PREFIX + "traders", headers=headers)
    assert response.status_code == 200
    assert response.json()["requestTime"] == now + 60_000


async def _statuses(seed: int) -> list[int]:
    exchange = new_exchange(seed=seed)
    exchange.faults = Faults(
        error_rate=0.2, rate_limit_storm=0.2, malformed_rate=0.1, drop_rate=0.1
    )
    transport = httpx.ASGITransport(app=create_app(exchange))
    statuses = []
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        for _ in range(60):
            try:
                response = await api.get("traders", {"pageSize": 1})
            except httpx.RemoteProtocolError:
                statuses.append(0)
            else:
                statuses.append(response.status_code)
    return statuses


async def test_faults_are_reproducible() -> None:
    first = await _statuses(5)
    assert first == await _statuses(5)
    assert first != await _statuses(6)
    assert {0, 200, 429} <= set(first)


# ----- admin ------------------------------------------------------------------------------


async def test_admin_paths_are_never_faulted_or_counted(
    api: Api, exchange: SandboxExchange
) -> None:
    exchange.faults = Faults(error_rate=0.5, drop_rate=0.5, latency_s=5)
    started = time.perf_counter()
    for _ in range(20):
        response = await api.client.get("/sandbox/stats")
        assert response.status_code == 200
    assert time.perf_counter() - started < 2
    assert exchange.stats.total == 0
    assert len(exchange.stats.arrivals) == 0


async def test_admin_stats_and_reset(api: Api, exchange: SandboxExchange) -> None:
    await api.ok("GET", "traders")
    await api.get("trader/detail", {"traderId": "1"})
    stats = (await api.client.get("/sandbox/stats")).json()["data"]
    assert stats["total"] == 2
    assert stats["requests"] == {
        PREFIX + "traders": {"200": 1},
        PREFIX + "trader/detail": {"400": 1},
    }
    assert stats["maxRequestsIn1s"] == 2
    assert stats["rateLimited"] == stats["dropped"] == 0
    reset = (await api.client.post("/sandbox/stats/reset")).json()["data"]
    assert reset["total"] == 0
    assert exchange.stats.total == 0


async def test_admin_faults(api: Api, exchange: SandboxExchange) -> None:
    response = await api.client.post(
        "/sandbox/faults", json={"error_rate": 0.25, "clock_offset_ms": 5}
    )
    assert response.status_code == 200
    assert exchange.faults == Faults(error_rate=0.25, clock_offset_ms=5)
    current = (await api.client.get("/sandbox/faults")).json()["data"]
    assert current["error_rate"] == 0.25
    assert current["latency_s"] == 0
    # Fields left out go back to their defaults.
    await api.client.post("/sandbox/faults", json={})
    assert exchange.faults == Faults()
    for bad in ({"error_rate": 2}, {"nope": 1}, {"drop_rate": "lots"}, [1]):
        response = await api.client.post("/sandbox/faults", json=bad)
        assert (response.status_code, response.json()["code"]) == (400, "40020")
    assert exchange.faults == Faults()


async def test_admin_advance_account_and_time(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    before = exchange.now_ms()
    response = await api.client.post("/sandbox/advance", json={"seconds": 3600})
    assert response.json()["data"] == {"nowMs": before + 3_600_000}
    assert exchange.now_ms() == before + 3_600_000
    await api.client.post("/sandbox/advance", json={"seconds": 0.5})
    assert exchange.now_ms() == before + 3_600_500
    response = await api.client.post("/sandbox/advance", json={"seconds": -1})
    assert response.json()["code"] == "40020"
    time_data = (await api.client.get("/sandbox/time")).json()["data"]
    assert time_data == {
        "nowMs": exchange.now_ms(),
        "serverTimeMs": exchange.now_ms(),
        "clock": "manual",
        "speed": None,
        "advances": True,
        "maxAdvanceSeconds": 2 * 86_400,
    }

    await api.follow(busy_trader, amount="1234.5")
    account = (await api.client.get("/sandbox/account")).json()["data"]
    assert account == {
        "apiKey": api.api_key,
        "demo": False,
        "deposited": "100000",
        "available": "98765.5",
        "reserved": "1234.5",
        "realizedPnl": "0",
        "activeFollows": 1,
    }
    exchange.add_account("bot", "s", "p", deposit=Decimal(7))
    other = (await api.client.get("/sandbox/account", params={"apiKey": "bot"})).json()["data"]
    assert other["available"] == "7"
    response = await api.client.get("/sandbox/account", params={"apiKey": "ghost"})
    assert response.status_code == 400


async def test_admin_advance_needs_a_manual_clock() -> None:
    exchange = SandboxExchange(SandboxConfig(traders=10), WallClock())
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.post("/sandbox/advance", json={"seconds": 1})
        assert (response.status_code, response.json()["code"]) == (400, "40020")


async def test_admin_unknown_paths(api: Api) -> None:
    assert (await api.client.get("/sandbox/nothing")).status_code == 404
    response = await api.client.get("/sandbox/advance")
    assert (response.status_code, response.json()["code"]) == (405, "40405")
