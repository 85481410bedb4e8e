"""``copytrade follow start|update|stop`` and ``copytrade positions``, and their errors."""

from __future__ import annotations

from decimal import Decimal

from copytrade_async import AsyncCopyTradeClient, Position
from copytrade_async.sandbox import SandboxExchange

from .helpers import (
    active_trader_with_positions,
    json_of,
    one_line,
    run_cli,
    start_follow,
    with_client,
)


def test_start_update_stop(exchange: SandboxExchange) -> None:
    trader_id = exchange.trader_ids(active=True)[0]
    started = run_cli(
        "follow", "start", trader_id, "--amount", "1000.50", "--leverage", "10",
        "--margin-mode", "cross", exchange=exchange,
    )  # fmt: skip
    assert started.exit_code == 0, started.stderr
    assert "Follow started" in started.stdout and "1000.50" in started.stdout
    (row,) = [line for line in started.stdout.splitlines() if "follow id" in line]
    follow_id = row.strip("│ ").split("│")[-1].strip()
    info = exchange.follow_info(follow_id)
    assert info.copy_amount == Decimal("1000.50") and info.margin_mode == "cross"

    settings = ("--amount", "1500", "--leverage", "5", "--take-profit", "40.5", "--stop-loss", "20")
    updated = json_of(
        run_cli("--json", "follow", "update", follow_id, *settings, exchange=exchange)
    )
    assert updated == {
        "follow_id": follow_id,
        "copy_amount": "1500",
        "leverage": "5",
        "status": "active",
        "take_profit": "40.5",
        "stop_loss": "20",
    }
    table = run_cli("follow", "update", follow_id, "--stop-loss", "25", exchange=exchange)
    cells = {
        tuple(cell.strip() for cell in line.split("│")[1:3])
        for line in table.stdout.splitlines()
        if line.startswith("│")
    }
    # Percent of the copy amount, as --take-profit and --stop-loss take them.
    assert {("take profit", "40.5%"), ("stop loss", "25%"), ("copy amount", "1500")} <= cells
    info = exchange.follow_info(follow_id)
    assert (info.copy_amount, info.leverage, info.take_profit) == (
        Decimal(1500),
        5,
        Decimal("40.5"),
    )

    stopped = json_of(run_cli("follow", "stop", follow_id, "--json", exchange=exchange))
    assert stopped == {"follow_id": follow_id, "status": "stopped"}
    assert exchange.follow_info(follow_id).status == "stopped"
    again = run_cli("follow", "stop", follow_id, exchange=exchange)  # stopping is idempotent
    assert again.exit_code == 0 and "stopped" in again.stdout


def test_insufficient_balance_is_one_line_and_exit_1(exchange: SandboxExchange) -> None:
    trader_id = exchange.trader_ids(active=True)[0]
    args = ("follow", "start", trader_id, "--amount", "200000", "--leverage", "10")
    result = run_cli(*args, exchange=exchange)
    assert result.exit_code == 1
    assert one_line(result) == (
        "error: follows.start: code 80003: Insufficient balance: 100000 USDT available, 200000"
        " asked; this sandbox's deposit is SandboxConfig(deposit=...), `copytrade sandbox serve"
        " --deposit AMOUNT` (HTTP 400)"
    )


def test_unknown_trader_is_one_line_and_exit_1() -> None:
    result = run_cli("--sandbox", "follow", "start", "1", "--amount", "100", "--leverage", "3")
    assert result.exit_code == 1
    assert one_line(result) == "error: follows.start: code 80001: Invalid trader (HTTP 400)"


def test_stop_of_an_unknown_follow_is_one_line_and_exit_1() -> None:
    # Each --sandbox invocation has a fresh exchange: no follow exists in it.
    result = run_cli("--sandbox", "follow", "stop", "1234567")
    assert result.exit_code == 1
    assert one_line(result) == "error: follows.stop: code 40034: follow not found (HTTP 400)"


def test_bad_values_are_refused_before_sending(exchange: SandboxExchange) -> None:
    trader_id = exchange.trader_ids(active=True)[0]
    cases = {
        (
            "--amount",
            "100",
            "--leverage",
            "0",
        ): "error: --leverage must be between 1 and 125, got 0",
        (
            "--amount",
            "100",
            "--leverage",
            "2.5",
        ): "error: --leverage must be a whole number, got 2.5",
        ("--amount", "-5", "--leverage", "3"): "error: --amount must be greater than 0, got -5",
        ("--amount", "lots", "--leverage", "3"): "error: --amount must be a number, got 'lots'",
    }
    for options, message in cases.items():
        result = run_cli("follow", "start", trader_id, *options, exchange=exchange)
        assert result.exit_code == 2, options
        assert one_line(result) == message
    assert exchange.stats.total == 0  # nothing reached the exchange
    assert exchange.account().active_follows == 0


def test_update_needs_a_setting_and_options_are_checked() -> None:
    nothing = run_cli("--sandbox", "follow", "update", "1")
    assert nothing.exit_code == 2
    assert one_line(nothing).startswith("error: nothing to update: give --amount")
    missing = run_cli("--sandbox", "follow", "start", "1", "--amount", "100")
    assert missing.exit_code == 2
    assert one_line(missing) == "error: missing option '--leverage' (cli follow start --help)"


def test_positions_as_a_table_and_as_json(exchange: SandboxExchange) -> None:
    follow_id = start_follow(exchange, active_trader_with_positions(exchange))

    async def fetch(client: AsyncCopyTradeClient) -> list[Position]:
        return await client.follows.positions(follow_id)

    expected = with_client(exchange, fetch)
    assert expected
    data = json_of(run_cli("positions", follow_id, "--json", exchange=exchange))
    assert [row["symbol"] for row in data] == [p.symbol for p in expected]
    assert [row["size"] for row in data] == [format(p.size, "f") for p in expected]
    assert [row["create_time"] for row in data] == [
        p.create_time.isoformat(timespec="milliseconds").replace("+00:00", "Z") for p in expected
    ]
    table = run_cli("positions", follow_id, exchange=exchange)
    assert table.exit_code == 0 and f"Open positions of follow {follow_id}" in table.stdout
    assert all(p.symbol in table.stdout for p in expected)


def test_positions_of_an_unknown_follow() -> None:
    result = run_cli("--sandbox", "positions", "99")
    assert result.exit_code == 1
    assert one_line(result) == "error: follows.positions: code 40034: follow not found (HTTP 400)"
