"""Tables fit the terminal, and ids are never cut: ``follow start`` needs them whole."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copytrade_async import Follow, Trader
from copytrade_async._cli._output import print_fields, print_records
from copytrade_async.sandbox import SandboxExchange

from .helpers import json_of, run_cli, start_follow

WIDTHS = (60, 80, 100)


def table_lines(output: str, width: int) -> list[str]:
    """The lines of the tables in ``output``, each checked to fit in ``width`` columns."""
    lines = output.splitlines()
    assert lines
    for line in lines:
        assert len(line) <= width, line
    return lines


def cells_of(lines: list[str]) -> set[str]:
    """Every table cell on one line, stripped (a cell wrapped onto two lines gives two)."""
    return {
        cell.strip() for line in lines if line.startswith("│") for cell in line.split("│")[1:-1]
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_trader_ids_are_whole_in_the_list_at_any_width(
    exchange: SandboxExchange, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    listed = json_of(run_cli("--json", "traders", "list", "--limit", "25", exchange=exchange))
    result = run_cli("traders", "list", "--limit", "25", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    lines = table_lines(result.stdout, width)
    assert len([line for line in lines if line.startswith("│")]) >= 25
    cells = cells_of(lines)
    for trader in listed:
        assert trader["trader_id"] in cells
    assert "…" in result.stdout or width == 100  # something else had to give


@pytest.mark.parametrize("width", WIDTHS)
def test_follow_and_trader_ids_are_whole_in_a_record(
    exchange: SandboxExchange, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    trader_id = exchange.trader_ids(active=True)[0]
    follow_id = start_follow(exchange, trader_id)
    monkeypatch.setenv("COLUMNS", str(width))
    shown = run_cli("traders", "show", trader_id, exchange=exchange)
    assert shown.exit_code == 0, shown.stderr
    assert trader_id in cells_of(table_lines(shown.stdout, width))
    stopped = run_cli("follow", "stop", follow_id, exchange=exchange)
    assert stopped.exit_code == 0, stopped.stderr
    assert follow_id in cells_of(table_lines(stopped.stdout, width))


LONG_NAME = "An Extremely Verbose Nickname Of A Trader"


def trader(number: int) -> Trader:
    return Trader(
        trader_id=f"1{number:018d}",  # 19 digits, as long as an int64 id gets
        nick_name=LONG_NAME,
        followers_count=123456,
        total_profit=Decimal("-1234567.12345678"),
        monthly_profit=Decimal("98765.4321"),
        win_rate=Decimal("0.61234"),
        trading_days=1234,
        risk_level="medium",
        status="active",
        description="Trades the trend, long and short, on every major pair, around the clock.",
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_long_ids_survive_every_column_of_a_record(
    width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    traders = [trader(n) for n in range(3)]
    print_records("Traders", traders)  # every field, the long description too
    follow = Follow(
        follow_id="9" * 19,
        trader_id=traders[0].trader_id,
        copy_amount=Decimal("1000.50"),
        leverage=Decimal(10),
        margin_mode="isolated",
        status="active",
    )
    print_records("Follows", [follow])
    print_fields("Trader", traders[0])
    cells = cells_of(table_lines(capsys.readouterr().out, width))
    assert {t.trader_id for t in traders} | {follow.follow_id} <= cells
