"""Type checks of the client's arguments, run by mypy in CI (not by pytest)::

    mypy --strict --warn-unused-ignores tests/typing

Each line marked ``# type: ignore[...]`` must be an error: with ``--warn-unused-ignores``, a
mistake that stops being caught fails the check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

from copytrade_async import (
    AsyncCopyTradeClient,
    AsyncPaginator,
    Follow,
    MarginMode,
    Page,
    Trader,
    TraderDetail,
)


async def arguments_that_are_right(client: AsyncCopyTradeClient) -> None:
    follow = await client.follows.start(
        trader_id="123", copy_amount=Decimal("1000.5"), leverage=10, margin_mode="isolated"
    )
    assert_type(follow, Follow)
    await client.follows.start(trader_id="123", copy_amount=1000, leverage="10")
    await client.follows.start(
        trader_id="123", copy_amount="1000.50", leverage=Decimal(5), margin_mode=MarginMode.CROSS
    )
    await client.follows.update("f", take_profit=50, stop_loss=Decimal("20"))
    assert_type(client.traders.list(sort_by="profit", sort_type="desc"), AsyncPaginator[Trader])
    assert_type(await client.traders.list(), Page[Trader])
    assert_type(await client.traders.get("123"), TraderDetail)


async def mistakes_a_type_checker_catches(client: AsyncCopyTradeClient) -> None:
    await client.follows.start(
        trader_id="123",
        copy_amount=1000,
        leverage=10,
        margin_mode="isolatd",  # type: ignore[arg-type]
    )
    await client.follows.start(
        trader_id="123",
        copy_amount=1000.5,  # type: ignore[arg-type]
        leverage=10,
    )
    await client.follows.update("f", take_profit=0.5)  # type: ignore[arg-type]
    client.traders.list(sort_by="profitt")  # type: ignore[arg-type]
    await client.traders.page(sort_type="up")  # type: ignore[arg-type]
    client.with_options(max_retries="3")  # type: ignore[arg-type]
