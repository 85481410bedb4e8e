"""The report's figures: :func:`build_report` reads a client or a store, :func:`report_from_orders`
computes from orders already in hand. Both give a :class:`Report`.

The figures are :func:`copytrade_async.analytics.analyze_portfolio`'s: the follows taken as
one account, each follow on its own, and the breakdowns. The report adds what a reader looks at
beside them: every trade, with its follow and trader, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from .. import AsyncCopyTradeClient, HistoryOrder, OrderStatus, Position, Record, check_id
from ..analytics import PortfolioFigures, analyze_portfolio
from ._source import FollowRef, HistorySource, ReportInput, check_inputs, gather

__all__ = ["Report", "ReportTrade", "build_report", "report_from_orders"]

DEFAULT_TITLE = "Copy trading report"


@attrs.frozen
class ReportTrade(Record):
    """One order of the report's trades table: the order, and the follow (and trader) it was
    copied for."""

    follow_id: str
    trader_id: str | None
    order: HistoryOrder


@attrs.frozen
class Report(Record):
    """A copy-trading report: the figures, and the orders they were computed from.

    ``to_dict()`` / ``to_json()`` give all of it (money as plain strings, times as ISO 8601
    UTC); :func:`~copytrade_async.report.render_html` draws it.
    """

    title: str
    #: When the report was made (UTC).
    generated_at: datetime
    #: Where the trades came from: ``"api"`` (a client), ``"store"`` or ``"orders"``.
    source: str
    figures: PortfolioFigures
    #: Each follow's distinct orders (closed and open; each ``orderId`` once, a closed record
    #: of it rather than an open one), as they were read.
    orders: Mapping[str, tuple[HistoryOrder, ...]]
    #: The trader of each follow, where it is known.
    traders: Mapping[str, str]

    def trades(self) -> list[ReportTrade]:
        """Every order with its follow and trader, newest first (close time; an open order's
        create time), then by follow id and order id: the trades table."""
        trades = [
            ReportTrade(follow_id, self.traders.get(follow_id), order)
            for follow_id, orders in self.orders.items()
            for order in orders
        ]
        trades.sort(key=lambda t: (t.follow_id, t.order.order_id))
        trades.sort(key=_when, reverse=True)
        return trades


async def build_report(
    source: AsyncCopyTradeClient | HistorySource,
    follow_ids: Iterable[FollowRef] | None = None,
    *,
    copy_amounts: Mapping[str, Decimal | int | str] | None = None,
    traders: Mapping[str, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    positions: bool = True,
    title: str | None = None,
) -> Report:
    """The report of ``follow_ids``, read from a client or from a history store.

    ``follow_ids`` are ids, or the :class:`~copytrade_async.Follow` /
    :class:`~copytrade_async.FollowSettings` records ``follows.start`` / ``follows.update``
    returned (their ``copy_amount``, and a ``Follow``'s ``trader_id``, are then used). From a
    client they are required: the API cannot list a follower's follows. From a store, None
    means every follow it has seen.

    ``copy_amounts`` (follow id to amount; ``Decimal``, ``int`` or numeric ``str``) gives the
    equity, the returns and the percentages, and ``traders`` (follow id to trader id) the
    breakdown by trader, where the records do not say; a store names each follow's trader
    itself. ``start`` and ``end`` (aware datetimes) limit the trades to those closed between
    them. With ``positions`` (the default) a client also reads each follow's open positions,
    for the unrealised PnL.

    Every argument is checked (``ValueError``) before anything is read; what the client raises
    is a :class:`~copytrade_async.CopyTradeError`.
    """
    name = _title(title)
    read = await gather(
        source,
        follow_ids,
        copy_amounts=copy_amounts,
        traders=traders,
        start=start,
        end=end,
        positions=positions,
    )
    return _report(read, name)


def report_from_orders(
    orders: Mapping[str, Iterable[HistoryOrder]],
    *,
    copy_amounts: Mapping[str, Decimal | int | str] | None = None,
    positions: Mapping[str, Iterable[Position]] | None = None,
    traders: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Report:
    """The report of orders already read: ``orders`` maps each follow id to its history
    orders (any order, repeats allowed); the other mappings are keyed by follow id too, as in
    :func:`build_report`."""
    name = _title(title)
    if not isinstance(orders, Mapping):
        raise ValueError("orders must be a mapping of follow id to history orders")
    ids, amounts, names = check_inputs(list(orders) or None, copy_amounts, traders)
    held = {check_id("positions key", k): tuple(v) for k, v in (positions or {}).items()}
    read = ReportInput(
        orders={key: tuple(orders[key]) for key in ids or ()},
        copy_amounts=amounts,
        traders=names,
        positions=held,
        source="orders",
    )
    return _report(read, name)


def _title(title: str | None) -> str:
    if title is None:
        return DEFAULT_TITLE
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ValueError("title must be a non-empty string of at most 200 characters")
    return title.strip()


def _report(read: ReportInput, title: str) -> Report:
    ids = list(read.orders)
    figures = analyze_portfolio(
        read.orders,
        copy_amounts={k: v for k, v in read.copy_amounts.items() if k in read.orders} or None,
        positions={k: v for k, v in read.positions.items() if k in read.orders} or None,
        traders={k: v for k, v in read.traders.items() if k in read.orders} or None,
    )
    return Report(
        title=title,
        generated_at=datetime.now(UTC),
        source=read.source,
        figures=figures,
        orders={follow_id: _distinct(read.orders[follow_id]) for follow_id in ids},
        traders={k: v for k, v in read.traders.items() if k in read.orders},
    )


def _distinct(orders: Iterable[HistoryOrder]) -> tuple[HistoryOrder, ...]:
    """Each ``orderId`` once: a closed record of it wins over an open one, else the first."""
    kept: dict[str, HistoryOrder] = {}
    for order in orders:
        seen = kept.get(order.order_id)
        if seen is None or (
            seen.status != OrderStatus.CLOSED and order.status == OrderStatus.CLOSED
        ):
            kept[order.order_id] = order
    return tuple(kept.values())


def _when(trade: ReportTrade) -> datetime:
    return trade.order.close_time or trade.order.create_time
