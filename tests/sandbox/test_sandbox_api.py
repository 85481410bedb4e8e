"""Every endpoint over the ASGI app: shapes, pagination, sorting, and each error rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from copytrade_async.sandbox import SandboxExchange, create_app

from .sandbox_helpers import Api, new_exchange

TRADER_FIELDS = {
    "traderId", "nickName", "followersCount", "totalProfit", "monthlyProfit", "winRate",
    "description", "tradingDays", "riskLevel", "status",
}  # fmt: skip


def assert_decimal_strings(record: dict[str, Any], *names: str) -> None:
    for name in names:
        value = record[name]
        assert isinstance(value, str), (name, value)
        assert Decimal(value).is_finite()


def win_rate(stats: dict[str, Any]) -> Decimal:
    if not stats["totalTrades"]:
        return Decimal(0)
    rate = Decimal(stats["winningTrades"]) / Decimal(stats["totalTrades"])
    return rate.quantize(Decimal("0.0001"))


# ----- traders ------------------------------------------------------------------------------


async def test_trader_list_defaults_to_twenty_by_trader_id(api: Api) -> None:
    data = await api.ok("GET", "traders")
    assert {k: data[k] for k in ("totalPage", "totalNum", "currentPage", "pageSize")} == {
        "totalPage": 10,
        "totalNum": 200,
        "currentPage": 1,
        "pageSize": 20,
    }
    assert len(data["list"]) == 20
    ids = [t["traderId"] for t in data["list"]]
    assert ids == sorted(ids)
    for trader in data["list"]:
        assert set(trader) == TRADER_FIELDS
        assert_decimal_strings(trader, "totalProfit", "monthlyProfit", "winRate")
        assert isinstance(trader["followersCount"], int)
        assert isinstance(trader["tradingDays"], int)
        assert trader["riskLevel"] in {"low", "medium", "high"}
        assert trader["status"] in {"active", "inactive"}


async def test_trader_pages_cover_everyone_once(api: Api) -> None:
    seen: list[str] = []
    for page_no in range(1, 4):
        data = await api.ok("GET", "traders", {"pageSize": 90, "pageNo": page_no})
        assert data["totalPage"] == 3
        assert data["currentPage"] == page_no
        seen += [t["traderId"] for t in data["list"]]
    assert len(seen) == len(set(seen)) == 200
    past = await api.ok("GET", "traders", {"pageSize": 90, "pageNo": 4})
    assert past["list"] == []
    assert past["totalNum"] == 200
    assert past["currentPage"] == 4


@pytest.mark.parametrize(
    ("sort_by", "field"), [("profit", "totalProfit"), ("followers", "followersCount")]
)
@pytest.mark.parametrize("sort_type", ["asc", "desc"])
async def test_trader_sorting_with_trader_id_tie_break(
    api: Api, sort_by: str, field: str, sort_type: str
) -> None:
    rows: list[dict[str, Any]] = []
    for page_no in (1, 2):
        data = await api.ok(
            "GET",
            "traders",
            {"pageSize": 100, "pageNo": page_no, "sortBy": sort_by, "sortType": sort_type},
        )
        rows += data["list"]
    sign = -1 if sort_type == "desc" else 1
    keys = [(sign * Decimal(str(r[field])), r["traderId"]) for r in rows]
    assert keys == sorted(keys)


async def test_trader_sort_by_defaults_to_descending(api: Api) -> None:
    data = await api.ok("GET", "traders", {"sortBy": "profit", "pageSize": 5})
    profits = [Decimal(t["totalProfit"]) for t in data["list"]]
    assert profits == sorted(profits, reverse=True)


async def test_trader_detail_statistics_are_consistent(api: Api, exchange: SandboxExchange) -> None:
    for trader_id in exchange.trader_ids()[:20]:
        detail = await api.ok("GET", "trader/detail", {"traderId": trader_id})
        stats = detail["statistics"]
        assert detail["traderId"] == trader_id
        assert set(detail) == TRADER_FIELDS | {"statistics", "positions"}
        assert 0 <= stats["winningTrades"] <= stats["totalTrades"]
        assert Decimal(detail["winRate"]) == win_rate(stats)
        assert_decimal_strings(stats, "averageHoldingTime", "maxDrawdown", "sharpeRatio")
        assert Decimal(0) <= Decimal(stats["maxDrawdown"]) <= 100
        for position in detail["positions"]:
            assert set(position) == {
                "symbol",
                "side",
                "size",
                "entryPrice",
                "leverage",
                "unrealizedPnl",
            }
            assert position["side"] in {"long", "short"}
            assert_decimal_strings(position, "size", "entryPrice", "leverage", "unrealizedPnl")
        if detail["status"] == "inactive":
            assert detail["positions"] == []


async def test_unknown_trader_detail_is_80001(api: Api) -> None:
    await api.fails("GET", "trader/detail", {"traderId": "42"}, "80001")


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": 0},
        {"pageSize": 101},
        {"pageSize": "ten"},
        {"pageSize": "1.5"},
        {"pageNo": 0},
        {"pageNo": "-1"},
        {"sortBy": "name"},
        {"sortType": "up"},
    ],
)
async def test_bad_list_parameters_are_40020(api: Api, params: dict[str, Any]) -> None:
    envelope = await api.fails("GET", "traders", params, "40020")
    assert envelope["msg"].startswith("Parameter error")


async def test_missing_required_query_parameters_are_40020(api: Api) -> None:
    await api.fails("GET", "trader/detail", None, "40020")
    await api.fails("GET", "positions", None, "40020")
    await api.fails("GET", "history", None, "40020")


# ----- follow, positions, stop ------------------------------------------------------------


async def test_follow_copies_positions_and_reserves(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    before = await api.ok("GET", "trader/detail", {"traderId": busy_trader})
    follow = await api.follow(busy_trader, amount="2500.5", leverage="20", mode="cross")
    assert follow == {
        "followId": follow["followId"],
        "traderId": busy_trader,
        "copyAmount": "2500.5",
        "leverage": "20",
        "marginMode": "cross",
        "status": "active",
    }
    account = exchange.account()
    assert account.available == Decimal("100000") - Decimal("2500.5")
    assert account.reserved == Decimal("2500.5")
    after = await api.ok("GET", "trader/detail", {"traderId": busy_trader})
    assert after["followersCount"] == before["followersCount"] + 1

    positions = await api.ok("GET", "positions", {"followId": follow["followId"]})
    assert positions
    symbols = sorted(p["symbol"] for p in before["positions"])
    assert sorted(p["symbol"] for p in positions) == symbols
    for position in positions:
        assert position["leverage"] == "20"
        assert position["marginMode"] == "cross"
        assert position["createTime"] == exchange.now_ms()
        assert position["entryPrice"] == position["markPrice"]
        assert Decimal(position["unrealizedPnl"]) == 0
        margin = Decimal(position["size"]) * Decimal(position["entryPrice"]) / 20
        assert margin <= Decimal("2500.5")


async def test_follow_rules(api: Api, exchange: SandboxExchange, busy_trader: str) -> None:
    inactive = exchange.trader_ids(active=False)[0]
    body = {
        "traderId": busy_trader,
        "copyAmount": "100",
        "leverage": "10",
        "marginMode": "isolated",
    }
    await api.fails("POST", "follow", {**body, "traderId": "1"}, "80001")
    await api.fails("POST", "follow", {**body, "traderId": inactive}, "80001")
    for field, value in [
        ("copyAmount", "9.99"),
        ("copyAmount", "0"),
        ("copyAmount", "-5"),
        ("copyAmount", "1000000.01"),
        ("copyAmount", "10.000000001"),
        ("leverage", "0"),
        ("leverage", "126"),
        ("leverage", "2.5"),
        ("marginMode", "portfolio"),
    ]:
        await api.fails("POST", "follow", {**body, field: value}, "80002")
    for field, value in [("copyAmount", "lots"), ("leverage", "max"), ("copyAmount", True)]:
        await api.fails("POST", "follow", {**body, field: value}, "40020")
    for missing in body:
        partial = {k: v for k, v in body.items() if k != missing}
        await api.fails("POST", "follow", partial, "40020")
    await api.fails("POST", "follow", "not json", "40020")
    await api.fails("POST", "follow", "[1, 2]", "40020")
    await api.fails("POST", "follow", {**body, "copyAmount": "100001"}, "80003")

    await api.ok("POST", "follow", body)
    await api.fails("POST", "follow", body, "80005")


async def test_numbers_may_be_sent_as_json_numbers(api: Api, busy_trader: str) -> None:
    body = '{"traderId": "%s", "copyAmount": 150.25, "leverage": 5, "marginMode": "cross"}'
    data = await api.ok("POST", "follow", body % busy_trader)
    assert (data["copyAmount"], data["leverage"]) == ("150.25", "5")


async def test_follow_limit_is_80004() -> None:
    exchange = new_exchange(max_follows=3)
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        traders = exchange.trader_ids(active=True)
        follows = [await api.follow(t, amount="10") for t in traders[:3]]
        await api.fails(
            "POST",
            "follow",
            {"traderId": traders[3], "copyAmount": "10", "leverage": "1", "marginMode": "cross"},
            "80004",
        )
        await api.ok("POST", "stop", {"followId": follows[0]["followId"]})
        await api.follow(traders[3], amount="10")


async def test_stop_closes_everything_and_is_idempotent(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    follow_id = (await api.follow(busy_trader))["followId"]
    open_positions = await api.ok("GET", "positions", {"followId": follow_id})
    exchange.advance(60)
    stopped = await api.ok("POST", "stop", {"followId": follow_id})
    assert stopped == {"followId": follow_id, "status": "stopped"}
    again = await api.ok("POST", "stop", {"followId": follow_id})
    assert again == stopped
    assert await api.ok("GET", "positions", {"followId": follow_id}) == []
    history = await api.ok("GET", "history", {"followId": follow_id})
    assert history["totalNum"] >= len(open_positions)
    account = exchange.account()
    assert account.reserved == 0
    assert account.available == Decimal(100000) + account.realized_pnl
    info = exchange.follow_info(follow_id)
    assert (info.status, info.stop_reason) == ("stopped", "user")
    # The trader may be followed again once the first follow stopped.
    await api.follow(busy_trader)


async def test_unknown_follow_is_40034(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    for method, endpoint, payload in [
        ("POST", "stop", {"followId": "123"}),
        ("POST", "updateSettings", {"followId": "123", "leverage": "2"}),
        ("GET", "positions", {"followId": "123"}),
        ("GET", "history", {"followId": "123"}),
    ]:
        envelope = await api.fails(method, endpoint, payload, "40034")
        assert envelope["msg"] == "follow not found"
    # Another account's follow is not found either.
    follow_id = (await api.follow(busy_trader))["followId"]
    exchange.add_account("other-key", "other-secret", "other-pass")
    other = Api(api.client, exchange, "other-key", "other-secret", "other-pass")
    await other.fails("POST", "stop", {"followId": follow_id}, "40034")


# ----- updateSettings -----------------------------------------------------------------------


async def test_update_settings(api: Api, exchange: SandboxExchange, busy_trader: str) -> None:
    follow_id = (await api.follow(busy_trader, amount="1000"))["followId"]
    data = await api.ok(
        "POST",
        "updateSettings",
        {"followId": follow_id, "copyAmount": "1500", "takeProfit": "50", "stopLoss": "20"},
    )
    assert data == {
        "followId": follow_id,
        "copyAmount": "1500",
        "leverage": "10",
        "takeProfit": "50",
        "stopLoss": "20",
        "status": "active",
    }
    assert exchange.account().reserved == Decimal(1500)
    # The same values again succeed (a retried update is harmless).
    again = await api.ok("POST", "updateSettings", {"followId": follow_id, "copyAmount": "1500"})
    assert again == data
    lowered = await api.ok("POST", "updateSettings", {"followId": follow_id, "copyAmount": "400"})
    assert lowered["copyAmount"] == "400"
    assert exchange.account().available == Decimal(100000) - Decimal(400)
    exchange.check_invariant()


async def test_update_settings_rules(api: Api, exchange: SandboxExchange, busy_trader: str) -> None:
    follow_id = (await api.follow(busy_trader, amount="1000"))["followId"]
    await api.fails("POST", "updateSettings", {"followId": follow_id}, "80002")
    for field, value in [
        ("takeProfit", "0"),
        ("takeProfit", "1000.5"),
        ("stopLoss", "0"),
        ("stopLoss", "100.01"),
        ("leverage", "200"),
        ("copyAmount", "5"),
    ]:
        await api.fails("POST", "updateSettings", {"followId": follow_id, field: value}, "80002")
    await api.fails("POST", "updateSettings", {"followId": follow_id, "stopLoss": "x"}, "40020")
    await api.fails("POST", "updateSettings", {"leverage": "2"}, "40020")
    # Raising the copy amount needs the difference to be available.
    await api.fails(
        "POST", "updateSettings", {"followId": follow_id, "copyAmount": "100000.01"}, "80003"
    )
    await api.ok("POST", "updateSettings", {"followId": follow_id, "copyAmount": "100000"})
    await api.ok("POST", "stop", {"followId": follow_id})
    await api.fails("POST", "updateSettings", {"followId": follow_id, "leverage": "3"}, "80002")


# ----- history --------------------------------------------------------------------------------


async def test_history_pages_newest_first_and_filters(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    follow_id = (await api.follow(busy_trader))["followId"]
    exchange.advance(12 * 3600)
    everything = await api.ok("GET", "history", {"followId": follow_id, "pageSize": 100})
    total = everything["totalNum"]
    assert total >= 3, "the trader should have closed a few trades in 12 hours"
    rows = everything["list"]
    keys = [(r["closeTime"], r["orderId"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    for row in rows:
        assert row["status"] == "closed"
        assert row["side"] in {"buy", "sell"}
        assert row["createTime"] <= row["closeTime"]
        assert_decimal_strings(row, "size", "entryPrice", "exitPrice", "profit", "leverage")
        move = Decimal(row["exitPrice"]) - Decimal(row["entryPrice"])
        sign = 1 if row["side"] == "buy" else -1
        assert Decimal(row["profit"]) == (sign * move * Decimal(row["size"])).quantize(
            Decimal("1E-8")
        )

    # Small pages walk the same rows.
    paged: list[dict[str, Any]] = []
    page_no = 1
    while True:
        data = await api.ok(
            "GET", "history", {"followId": follow_id, "pageSize": 2, "pageNo": page_no}
        )
        assert data["totalPage"] == -(-total // 2)
        if not data["list"]:
            break
        paged += data["list"]
        page_no += 1
    assert paged == rows

    # startTime <= closeTime <= endTime, both ends included.
    middle = rows[len(rows) // 2]["closeTime"]
    newest = rows[0]["closeTime"]
    window = await api.ok(
        "GET",
        "history",
        {"followId": follow_id, "startTime": middle, "endTime": newest, "pageSize": 100},
    )
    assert window["list"] == [r for r in rows if middle <= r["closeTime"] <= newest]
    empty = await api.ok("GET", "history", {"followId": follow_id, "startTime": newest + 1})
    assert empty == {"totalPage": 0, "totalNum": 0, "currentPage": 1, "pageSize": 20, "list": []}
    await api.fails("GET", "history", {"followId": follow_id, "startTime": "yesterday"}, "40020")
    await api.fails("GET", "history", {"followId": follow_id, "pageSize": 500}, "40020")

    realized = sum(Decimal(r["profit"]) for r in rows)
    assert exchange.follow_info(follow_id).realized_pnl == realized


# ----- routing ------------------------------------------------------------------------------


async def test_unknown_path_is_404_40404(api: Api) -> None:
    response = await api.client.get("/api/mix/v1/copytrading/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == "40404"
    assert (await api.client.get("/")).status_code == 404


async def test_wrong_method_is_405(api: Api) -> None:
    response = await api.client.post("/api/mix/v1/copytrading/traders", content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["data"] is None
    response = await api.client.get("/api/mix/v1/copytrading/follow")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_request_time_is_the_server_clock(api: Api, exchange: SandboxExchange) -> None:
    exchange.advance(90)
    response = await api.get("traders", {"pageSize": 1})
    assert response.json()["requestTime"] == exchange.now_ms()
    assert response.headers["content-type"] == "application/json"
