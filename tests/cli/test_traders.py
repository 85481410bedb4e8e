"""``copytrade traders list`` and ``traders show``, as tables and as JSON."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copytrade_async import AsyncCopyTradeClient, Trader, TraderDetail
from copytrade_async.sandbox import SandboxConfig, SandboxExchange

from .helpers import json_of, one_line, run_cli, with_client


def expected_traders(exchange: SandboxExchange, **kwargs: object) -> list[Trader]:
    async def fetch(client: AsyncCopyTradeClient) -> list[Trader]:
        return await client.traders.list(**kwargs).collect()  # type: ignore[arg-type]

    return with_client(exchange, fetch)


def test_list_as_a_table(exchange: SandboxExchange) -> None:
    result = run_cli("traders", "list", "--sort-by", "profit", "--limit", "5", exchange=exchange)
    assert result.exit_code == 0 and result.stderr == ""
    expected = expected_traders(exchange, sort_by="profit", limit=5)
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 5
    for row, trader in zip(rows, expected, strict=True):
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[:4] == [
            trader.trader_id,
            trader.nick_name,
            str(trader.followers_count),
            format(trader.total_profit, "f"),
        ]
    assert "trader id" in result.stdout and "win rate" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--json", "traders", "list", "--limit", "120", "--sort-by", "followers"),
        ("traders", "list", "--json", "--limit", "120", "--sort-by", "followers"),
    ],
)
def test_list_as_json_across_pages(args: tuple[str, ...]) -> None:
    big = SandboxExchange(SandboxConfig(seed=2, traders=150, rate_limit=None))
    data = json_of(run_cli(*args, exchange=big))
    expected = expected_traders(big, sort_by="followers", limit=120)
    assert len(data) == 120 == len({row["trader_id"] for row in data})
    assert [row["trader_id"] for row in data] == [t.trader_id for t in expected]
    first, trader = data[0], expected[0]
    assert first["total_profit"] == format(trader.total_profit, "f")
    assert Decimal(first["win_rate"]) == trader.win_rate
    assert first["risk_level"] == trader.risk_level
    assert isinstance(first["followers_count"], int)


def test_show_as_a_table_and_as_json(exchange: SandboxExchange) -> None:
    trader_id = exchange.trader_ids(active=True)[0]

    async def fetch(client: AsyncCopyTradeClient) -> TraderDetail:
        return await client.traders.get(trader_id)

    detail = with_client(exchange, fetch)
    table = run_cli("traders", "show", trader_id, exchange=exchange)
    assert table.exit_code == 0
    assert f"Trader {trader_id}" in table.stdout and detail.nick_name in table.stdout
    assert "sharpe ratio" in table.stdout
    assert detail.statistics is not None
    assert format(detail.statistics.max_drawdown, "f") in table.stdout

    data = json_of(run_cli("traders", "show", trader_id, "--json", exchange=exchange))
    assert data["trader_id"] == trader_id
    assert data["statistics"]["sharpe_ratio"] == format(detail.statistics.sharpe_ratio, "f")
    assert [p["entry_price"] for p in data["positions"]] == [
        format(p.entry_price, "f") for p in detail.positions
    ]


def test_show_an_unknown_trader_is_an_api_error() -> None:
    result = run_cli("--sandbox", "traders", "show", "424242")
    assert result.exit_code == 1
    assert one_line(result) == "error: traders.get: code 80001: Invalid trader (HTTP 400)"


def test_a_bad_choice_is_a_usage_error() -> None:
    result = run_cli("--sandbox", "traders", "list", "--sort-by", "luck")
    assert result.exit_code == 2
    assert one_line(result) == (
        "error: invalid value for '--sort-by': 'luck' is not one of 'profit', 'followers'"
        " (cli traders list --help)"
    )


def field_cells(output: str) -> dict[str, str]:
    """``field -> value`` of the field tables in ``output`` (a wrapped field name joined)."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        if line.startswith("│"):
            name, value = (cell.strip() for cell in line.split("│")[1:3])
            if name:
                found[name] = value
    return found


def test_show_gives_ratios_in_percent_and_the_holding_time_in_hours(
    exchange: SandboxExchange,
) -> None:
    trader_id = exchange.trader_ids(active=True)[1]
    wire = exchange.trader_detail(trader_id)  # the exchange's own numbers
    cells = field_cells(run_cli("traders", "show", trader_id, exchange=exchange).stdout)
    # winRate is a fraction on the wire: 0.6329 is 63.29%.
    assert cells["win rate"].endswith("%")
    assert Decimal(cells["win rate"][:-1]) == Decimal(wire["winRate"]) * 100
    # maxDrawdown is in percent already, the holding time in hours.
    assert cells["max drawdown"] == wire["statistics"]["maxDrawdown"] + "%"
    assert cells["average holding time"] == wire["statistics"]["averageHoldingTime"] + " h"
    assert cells["sharpe ratio"] == wire["statistics"]["sharpeRatio"]
    assert cells["total profit"] == wire["totalProfit"]
    # --json keeps the exchange's own values.
    data = json_of(run_cli("--json", "traders", "show", trader_id, exchange=exchange))
    assert data["win_rate"] == wire["winRate"]
