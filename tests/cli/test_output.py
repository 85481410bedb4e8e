"""Tables fit the terminal; ids, numbers and times are never cut (``follow start`` needs an id
whole, and a cut amount reads as another amount)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from copytrade_async import Follow, HistoryOrder, Position, Trader
from copytrade_async._cli._output import print_fields, print_records, shown
from copytrade_async.sandbox import SandboxExchange

from .helpers import json_of, run_cli, start_follow

WIDTHS = (60, 80, 120)


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
    assert "…" in result.stdout or "left out" in result.stdout or width == 120


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
    # Every amount and count, digit for digit (by hand: 0.61234 is 61.234%).
    assert {"-1234567.12345678", "98765.4321", "61.234%", "123456", "1234", "1000.50"} <= cells


def rows_of(lines: list[str]) -> list[list[str]]:
    """The raw cells (padding kept) of each table row that starts a record."""
    return [line.split("│")[1:-1] for line in lines if line.startswith("│")]


def is_right_aligned(raw: str) -> bool:
    """A cell whose text touches the right padding: ``│   -86944.79 │``."""
    return raw.endswith(" ") and not raw.endswith("  ") and raw.strip() != ""


def percent_of_fraction(fraction: str) -> Decimal:
    """The win rate as the table shows it, worked out by hand: 0.6329 -> 63.29."""
    return Decimal(fraction) * 100


@pytest.mark.parametrize("width", WIDTHS)
def test_every_digit_of_every_amount_in_the_trader_list(
    exchange: SandboxExchange, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = json_of(run_cli("--json", "traders", "list", "--limit", "25", exchange=exchange))
    monkeypatch.setenv("COLUMNS", str(width))
    result = run_cli("traders", "list", "--limit", "25", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    lines = table_lines(result.stdout, width)
    header = " ".join(line for line in lines if line.startswith("┃"))
    rows = rows_of(lines)
    assert len(rows) == len(listed) == 25
    for raw, trader in zip(rows, listed, strict=True):
        cells = [cell.strip() for cell in raw]
        assert cells[0] == trader["trader_id"]
        # The money is whole, digit for digit, and right-aligned.
        for amount in (trader["total_profit"], trader["monthly_profit"]):
            index = cells.index(amount)
            assert is_right_aligned(raw[index])
        rate = next(cell for cell in cells if cell.endswith("%"))
        assert Decimal(rate.removesuffix("%")) == percent_of_fraction(trader["win_rate"])
        if "followers" in header:
            assert str(trader["followers_count"]) in cells
    if width == 120:
        assert "left out" not in result.stdout
    else:  # what went is named, and the money stayed
        assert "left out to fit" in result.stdout and "status" in result.stdout


BIG = Decimal("-123456789012.12345678")


def history_order(number: int) -> HistoryOrder:
    return HistoryOrder(
        order_id=f"7{number:018d}",
        symbol="BTCUSDT",
        side="buy",
        size=Decimal("0.00000001"),
        entry_price=Decimal("30000.50"),
        exit_price=Decimal("31000.12345678"),
        profit=BIG,
        leverage=Decimal(125),
        status="closed",
        create_time=datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
        close_time=datetime(2024, 5, 2, 23, 59, 59, 999000, tzinfo=UTC),
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("optional", [(), ("create_time", "status", "leverage", "side")])
def test_history_rows_keep_ids_money_and_times_whole(
    width: int,
    optional: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What ``history show`` will print: a row per order where it fits, else a table per
    order; either way every digit and every time."""
    monkeypatch.setenv("COLUMNS", str(width))
    orders = [history_order(n) for n in range(3)]
    print_records("History", orders, optional=optional)
    cells = cells_of(table_lines(capsys.readouterr().out, width))
    by_hand = {
        "-123456789012.12345678",
        "0.00000001",
        "30000.50",
        "31000.12345678",
        "2024-05-02T23:59:59.999Z",
    }
    assert by_hand | {order.order_id for order in orders} <= cells


def position(pnl: Decimal, size: Decimal) -> Position:
    return Position(
        symbol="BTCUSDT",
        side="long",
        size=size,
        entry_price=Decimal("1E+2"),
        mark_price=Decimal("100.5"),
        unrealized_pnl=pnl,
        leverage=Decimal(10),
        margin_mode="isolated",
        create_time=datetime(2024, 5, 1, tzinfo=UTC),
    )


def test_numbers_in_plain_notation_and_no_negative_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    print_records(
        "Positions",
        [position(Decimal("-0.00"), Decimal("0E-8")), position(Decimal("-0E+3"), Decimal(3))],
    )
    out = capsys.readouterr().out
    cells = cells_of(table_lines(out, 120))
    assert {"0.00", "0.00000000", "0", "100"} <= cells
    numbers = [cell for cell in cells if cell[:1].isdigit() or cell.startswith("-")]
    assert numbers and not [cell for cell in numbers if "E" in cell or cell.startswith("-0")]


def test_a_number_too_wide_for_any_layout_is_folded_not_cut(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    huge = Decimal("9" * 40)
    print_fields("Position", position(huge, Decimal(1)))
    values = "".join(
        cell.strip()
        for line in table_lines(capsys.readouterr().out, 30)
        for cell in line.split("│")[2:3]
    )
    assert "9" * 40 in values and "…" not in values  # on two lines, every digit


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("total_profit", Decimal("-86944.79"), "-86944.79"),
        ("profit", Decimal("1E+2"), "100"),
        ("profit", Decimal("0E-8"), "0.00000000"),
        ("profit", Decimal("-0.00"), "0.00"),
        ("size", Decimal("1.5E-7"), "0.00000015"),
        ("followers_count", 1234567, "1234567"),
        ("win_rate", Decimal("0.6329"), "63.29%"),
        ("win_rate", Decimal("0.6"), "60%"),
        ("win_rate", Decimal("1"), "100%"),
        ("win_rate", Decimal("0.12345"), "12.345%"),
        ("max_drawdown", Decimal("62.80"), "62.80%"),
        ("take_profit", Decimal("50"), "50%"),
        ("stop_loss", Decimal("-0"), "0%"),
        ("average_holding_time", Decimal("1.50"), "1.50 h"),
        ("sharpe_ratio", Decimal("2.1"), "2.1"),
    ],
)
def test_how_a_number_is_shown(name: str, value: Decimal | int, expected: str) -> None:
    assert shown(name, value) == expected
