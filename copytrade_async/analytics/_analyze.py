"""The entry points: :func:`analyze_follow` and :func:`analyze_portfolio`.

Pure functions: history orders (and, optionally, copy amounts, open positions and trader ids)
in, :class:`~._figures.FollowFigures` / :class:`~._figures.PortfolioFigures` out. No I/O, no
clock, no float; every computation runs in ``decimal.localcontext(CONTEXT)`` (28 digits,
half-even), so the caller's decimal context changes nothing.

The garbage collector is left alone: pausing it made a 100,000-order portfolio about a third
faster, but it is process-wide state, and a library must not change it under its caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, localcontext
from operator import attrgetter
from typing import Any

from .. import HistoryOrder, Position, to_decimal
from ._figures import UNKNOWN_TRADER, FollowFigures, PortfolioFigures
from ._orders import Book, Trade, read_orders
from ._series import daily_returns, equity_curve, sharpe_ratio, sortino_ratio
from ._stats import CONTEXT, ZERO, breakdown, by_month, by_side, by_symbol, quotient, trade_stats

__all__ = ["analyze_follow", "analyze_portfolio"]

_OPEN_TIME = attrgetter("open_time")
_PROFIT = attrgetter("profit")


def analyze_follow(
    orders: Iterable[HistoryOrder],
    *,
    follow_id: str = "",
    copy_amount: Decimal | int | str | None = None,
    positions: Iterable[Position] = (),
    trader_id: str | None = None,
) -> FollowFigures:
    """The performance of one follow from its history orders.

    How the orders are read:

    * In any order: trades are sorted by close time (then order id).
    * The same ``orderId`` twice counts once; the most settled record is kept (closed over
      open, then the later close time); ``duplicate_orders`` says how many were dropped.
    * Only ``closed`` orders are realised. An ``open`` order (or a status the spec does not
      list) is counted in ``open_orders`` and nothing else: its ``profit`` is the exchange's
      figure so far, and the open *positions* are what give the unrealised PnL.
    * A closed order without a close time is placed at its open time.

    ``realized_pnl`` is the sum of the closed orders' ``profit``: the definition of the demo's
    per-follow PnL (``FollowResult.realized_pnl``, the history's profits read after the follow
    was stopped). Before the stop, ``realized_pnl + unrealized_pnl`` (``total_pnl``, with the
    follow's ``positions``) is what the stop will realise at the current marks.

    ``copy_amount`` (``Decimal``, ``int`` or numeric ``str``, greater than 0; a ``float`` is
    refused) is the equity's starting point: without it, equity is the cumulative PnL alone
    and the returns, percentages, Sharpe and Sortino are None. ``trader_id`` is carried along
    (history orders do not name their trader).

    Edge cases: no trade gives zero sums, an empty curve, no drawdown, no daily return and
    None for every per-trade quotient; one trade gives a one-point curve and no Sharpe (one
    day); all losses give a profit factor of 0; no loss gives None (not infinity); a flat
    curve has no Sharpe.
    Raises ``ValueError`` for input that is not what is described here.
    """
    with _building():
        return _follow(orders, follow_id, copy_amount, positions, trader_id)


def analyze_portfolio(
    orders: Mapping[str, Iterable[HistoryOrder]],
    *,
    copy_amounts: Mapping[str, Decimal | int | str] | None = None,
    positions: Mapping[str, Iterable[Position]] | None = None,
    traders: Mapping[str, str] | None = None,
) -> PortfolioFigures:
    """The performance of several follows taken as one account, and of each of them.

    ``orders`` maps a follow id to its history orders (a history order does not say which
    follow it belongs to); ``copy_amounts``, ``positions`` and ``traders`` (each follow's trader
    id: history orders do not carry one) are keyed by follow id too. The follows are those
    named in ``orders``, ``copy_amounts`` or ``positions``; each is read as
    :func:`analyze_follow` reads one, and its figures are in ``follows``, by follow id.

    The portfolio is one account holding every copy amount from its start: its ``copy_amount``
    is their sum (None unless every follow has one), its curve is one point per closed trade
    of any follow, in (close time, follow id, order id) order, and its ``by_trader`` groups the
    trades by the follow's trader (:data:`~._figures.UNKNOWN_TRADER` when not given).
    """
    with _building():
        return _portfolio(orders, copy_amounts, positions, traders)


def _follow(
    orders: Iterable[HistoryOrder],
    follow_id: str,
    copy_amount: object,
    positions: Iterable[Position],
    trader_id: str | None,
) -> FollowFigures:
    amount = _copy_amount("copy_amount", copy_amount)
    unrealized = _unrealized("positions", positions)
    book = read_orders(orders, _check_id("follow_id", follow_id, empty=True))
    figures = _figures(book.trades, book, amount, unrealized)
    return FollowFigures(
        **figures,
        follow_id=follow_id,
        trader_id=None if trader_id is None else _check_id("trader_id", trader_id),
    )


def _portfolio(
    orders: Mapping[str, Iterable[HistoryOrder]],
    copy_amounts: Mapping[str, Decimal | int | str] | None,
    positions: Mapping[str, Iterable[Position]] | None,
    traders: Mapping[str, str] | None,
) -> PortfolioFigures:
    by_follow = _mapping("orders", orders)
    amounts = _mapping("copy_amounts", copy_amounts)
    held = _mapping("positions", positions)
    trader_of = _mapping("traders", traders)
    follow_ids = sorted(_check_id("follow id", f) for f in {*by_follow, *amounts, *held})
    follows = []
    books = []
    for follow_id in follow_ids:
        amount = _copy_amount(f"copy_amounts[{follow_id!r}]", amounts.get(follow_id))
        unrealized = _unrealized(f"positions[{follow_id!r}]", held.get(follow_id, ()))
        book = read_orders(by_follow.get(follow_id, ()), follow_id)
        trader = trader_of.get(follow_id)
        follows.append(
            FollowFigures(
                **_figures(book.trades, book, amount, unrealized),
                follow_id=follow_id,
                trader_id=None if trader is None else _check_id("trader id", trader),
            )
        )
        books.append(book)
    trades = [trade for book in books for trade in book.trades]
    trades.sort()
    known = [f.copy_amount for f in follows if f.copy_amount is not None]
    total = sum(known, ZERO) if follows and len(known) == len(follows) else None
    book = Book(
        trades,
        orders=sum(b.orders for b in books),
        open_orders=sum(b.open_orders for b in books),
        duplicates=sum(b.duplicates for b in books),
    )
    figures = _figures(trades, book, total, sum((f.unrealized_pnl for f in follows), ZERO))
    trader_by_follow = {f.follow_id: f.trader_id or UNKNOWN_TRADER for f in follows}
    return PortfolioFigures(
        **figures,
        follows=tuple(follows),
        by_trader=breakdown(trades, lambda t: trader_by_follow[t.follow_id], str),
    )


@contextmanager
def _building() -> Iterator[None]:
    """The analytics' decimal context (28 digits, half-even), whatever the caller's is."""
    with localcontext(CONTEXT):
        yield


def _figures(
    trades: Sequence[Trade], book: Book, amount: Decimal | None, unrealized: Decimal
) -> dict[str, Any]:
    """The fields of :class:`~._figures.Figures` for these (sorted) trades."""
    start = min(map(_OPEN_TIME, trades), default=None)
    curve = equity_curve(trades, ZERO if amount is None else amount, start)
    days = daily_returns(trades, amount)
    stats = trade_stats(list(map(_PROFIT, trades)))
    total = stats.realized_pnl + unrealized
    span = len(days)
    return {
        "copy_amount": amount,
        "start_time": start,
        "end_time": trades[-1].close_time if trades else None,
        "orders": book.orders,
        "open_orders": book.open_orders,
        "duplicate_orders": book.duplicates,
        "realized_pnl": stats.realized_pnl,
        "unrealized_pnl": unrealized,
        "total_pnl": total,
        "return_percent": None if amount is None else quotient(100 * total, amount),
        "stats": stats,
        "equity_curve": curve.points,
        "max_drawdown": curve.max_drawdown,
        "max_drawdown_percent": curve.max_drawdown_percent,
        "daily_returns": days,
        "sharpe_ratio": sharpe_ratio(days),
        "sortino_ratio": sortino_ratio(days),
        "trading_days": span,
        "trades_per_day": quotient(stats.trades, span),
        "by_symbol": by_symbol(trades),
        "by_side": by_side(trades),
        "by_month": by_month(trades),
    }


def _copy_amount(name: str, value: object) -> Decimal | None:
    if value is None:
        return None
    amount = to_decimal(name, value)
    if amount <= 0:
        raise ValueError(f"{name} must be greater than 0, got {amount}")
    return amount


def _unrealized(name: str, positions: Iterable[Position]) -> Decimal:
    if isinstance(positions, (str, bytes)) or not isinstance(positions, Iterable):
        raise ValueError(f"{name} must be an iterable of Position, got {type(positions).__name__}")
    total = ZERO
    for position in positions:
        if not isinstance(position, Position):
            raise ValueError(f"{name} must hold Position records, got {type(position).__name__}")
        pnl = position.unrealized_pnl
        if not isinstance(pnl, Decimal) or not pnl.is_finite():
            raise ValueError(f"{name}: unrealized_pnl must be a finite Decimal, got {pnl!r}")
        total += pnl
    return total


def _check_id(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty):
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _mapping(name: str, value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a mapping keyed by follow id, got {type(value).__name__}")
    return value
