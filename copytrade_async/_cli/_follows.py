"""``copytrade follow start|stop|update`` and ``copytrade positions``.

Amounts, leverage and percentages are passed to the client as the text typed, so ``1000.50``
stays exact and the client's own validation (a ``ValueError``, exit code 2) decides.
"""

from __future__ import annotations

import click

from .. import (
    MARGIN_MODES,
    AsyncCopyTradeClient,
    Follow,
    FollowSettings,
    FollowStopped,
    MarginMode,
    MarginModeName,
    Position,
)
from ._context import CliState, json_option, pass_state
from ._errors import CliError
from ._output import emit_json, print_fields, print_records

__all__ = ["follow", "positions"]

#: What a narrow terminal leaves out first: the symbol, side, size and money stay.
_POSITION_OPTIONAL = ("create_time", "margin_mode", "leverage", "mark_price")


@click.group()
def follow() -> None:
    """Start, change and stop copying a trader."""


@follow.command("start")
@click.argument("trader_id")
@click.option(
    "--amount", required=True, metavar="USDT", help="Copy amount in USDT, e.g. 1000 or 250.50."
)
@click.option("--leverage", required=True, metavar="N", help="Whole number, 1 to 125.")
@click.option(
    "--margin-mode",
    type=click.Choice(MARGIN_MODES),
    default=MarginMode.ISOLATED.value,
    show_default=True,
)
@json_option
@pass_state
def start(
    state: CliState, trader_id: str, amount: str, leverage: str, margin_mode: MarginModeName
) -> None:
    """Start copying TRADER_ID; prints the new follow (its FOLLOW_ID is needed later)."""

    async def call(client: AsyncCopyTradeClient) -> Follow:
        return await client.follows.start(
            trader_id=trader_id, copy_amount=amount, leverage=leverage, margin_mode=margin_mode
        )

    _show(state, "Follow started", state.run(call))


@follow.command("stop")
@click.argument("follow_id")
@json_option
@pass_state
def stop(state: CliState, follow_id: str) -> None:
    """Stop copying: the exchange closes the follow's positions. Safe to repeat."""

    async def call(client: AsyncCopyTradeClient) -> FollowStopped:
        return await client.follows.stop(follow_id)

    _show(state, "Follow stopped", state.run(call))


@follow.command("update")
@click.argument("follow_id")
@click.option("--amount", metavar="USDT", help="New copy amount in USDT.")
@click.option(
    "--leverage", metavar="N", help="New leverage (applies to positions opened from now on)."
)
@click.option(
    "--take-profit", metavar="PERCENT", help="Take profit, in percent of the copy amount."
)
@click.option("--stop-loss", metavar="PERCENT", help="Stop loss, in percent of the copy amount.")
@json_option
@pass_state
def update(
    state: CliState,
    follow_id: str,
    amount: str | None,
    leverage: str | None,
    take_profit: str | None,
    stop_loss: str | None,
) -> None:
    """Change a follow's settings (give at least one option)."""
    if amount is None and leverage is None and take_profit is None and stop_loss is None:
        raise CliError("nothing to update: give --amount, --leverage, --take-profit or --stop-loss")

    async def call(client: AsyncCopyTradeClient) -> FollowSettings:
        return await client.follows.update(
            follow_id,
            copy_amount=amount,
            leverage=leverage,
            take_profit=take_profit,
            stop_loss=stop_loss,
        )

    _show(state, "Follow settings", state.run(call))


@click.command("positions")
@click.argument("follow_id")
@json_option
@pass_state
def positions(state: CliState, follow_id: str) -> None:
    """Show the open positions of FOLLOW_ID."""

    async def call(client: AsyncCopyTradeClient) -> list[Position]:
        return await client.follows.positions(follow_id)

    found = state.run(call)
    if state.json:
        emit_json(found)
    else:
        print_records(f"Open positions of follow {follow_id}", found, optional=_POSITION_OPTIONAL)


def _show(state: CliState, title: str, record: Follow | FollowStopped | FollowSettings) -> None:
    if state.json:
        emit_json(record)
    else:
        print_fields(title, record)
