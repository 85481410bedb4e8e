"""``copytrade traders list`` and ``copytrade traders show``."""

from __future__ import annotations

import click

from .. import (
    MAX_PAGE_SIZE,
    SORT_BY,
    SORT_TYPE,
    AsyncCopyTradeClient,
    SortBy,
    SortType,
    Trader,
    TraderDetail,
)
from ._context import CliState, json_option, pass_state
from ._output import emit_json, print_fields, print_records

__all__ = ["traders"]

_LIST_COLUMNS = (
    "trader_id",
    "nick_name",
    "followers_count",
    "total_profit",
    "monthly_profit",
    "win_rate",
    "trading_days",
    "risk_level",
    "status",
)
#: What a narrow terminal leaves out first (the id, the name, the money and the win rate stay).
_LIST_OPTIONAL = ("status", "risk_level", "trading_days", "followers_count")


@click.group()
def traders() -> None:
    """Browse the traders one can copy."""


@traders.command("list")
@click.option("--sort-by", type=click.Choice(SORT_BY), help="Order by total profit or followers.")
@click.option("--sort-type", type=click.Choice(SORT_TYPE), help="Ascending or descending.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many traders to show (several pages are fetched when needed).",
)
@json_option
@pass_state
def list_traders(
    state: CliState, sort_by: SortBy | None, sort_type: SortType | None, limit: int
) -> None:
    """List traders, in the exchange's order or sorted.

    The win rate is in percent; --json gives the exchange's fraction (0.6329).
    """

    async def fetch(client: AsyncCopyTradeClient) -> list[Trader]:
        paginator = client.traders.list(
            sort_by=sort_by,
            sort_type=sort_type,
            page_size=min(limit, MAX_PAGE_SIZE),
            limit=limit,
        )
        return await paginator.collect()

    found = state.run(fetch)
    if state.json:
        emit_json(found)
    else:
        print_records("Traders", found, _LIST_COLUMNS, optional=_LIST_OPTIONAL)


@traders.command("show")
@click.argument("trader_id")
@json_option
@pass_state
def show_trader(state: CliState, trader_id: str) -> None:
    """Show one trader: profile, statistics and open positions.

    Ratios are in percent (win rate, maximum drawdown), the average holding time in hours;
    --json gives the exchange's own values (the win rate as a fraction: 0.6329).
    """

    async def fetch(client: AsyncCopyTradeClient) -> TraderDetail:
        return await client.traders.get(trader_id)

    detail = state.run(fetch)
    if state.json:
        emit_json(detail)
        return
    print_fields(f"Trader {detail.trader_id}", detail, skip=("statistics", "positions"))
    if detail.statistics is not None:
        print_fields("Statistics", detail.statistics)
    print_records("Open positions", detail.positions, optional=("leverage",))
