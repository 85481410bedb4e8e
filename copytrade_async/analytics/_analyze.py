"""The entry points: :func:`analyze_follow` and :func:`analyze_portfolio`.

Pure functions: history orders (and, optionally, copy amounts, open positions and trader ids)
in, :class:`~._figures.FollowFigures` / :class:`~._figures.PortfolioFigures` out. No I/O, no
clock, no float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from .. import HistoryOrder, Position
from ._figures import FollowFigures, PortfolioFigures

__all__ = ["analyze_follow", "analyze_portfolio"]


def analyze_follow(
    orders: Iterable[HistoryOrder],
    *,
    follow_id: str = "",
    copy_amount: Decimal | int | str | None = None,
    positions: Iterable[Position] = (),
    trader_id: str | None = None,
) -> FollowFigures:
    """The performance of one follow from its history orders (any order, repeats allowed).

    ``copy_amount`` (the follow's, ``Decimal``, ``int`` or numeric ``str``; a ``float`` is
    refused) gives the equity, the returns and the percentages; ``positions`` (the follow's
    open positions) give the unrealised PnL; ``trader_id`` is only carried along (history orders
    do not name their trader).
    """
    raise NotImplementedError


def analyze_portfolio(
    orders: Mapping[str, Iterable[HistoryOrder]],
    *,
    copy_amounts: Mapping[str, Decimal | int | str] | None = None,
    positions: Mapping[str, Iterable[Position]] | None = None,
    traders: Mapping[str, str] | None = None,
) -> PortfolioFigures:
    """The performance of several follows as one account, and of each of them.

    ``orders`` maps a follow id to its history orders (a history order does not say which
    follow it belongs to); ``copy_amounts``, ``positions`` and ``traders`` (the trader id of
    each follow) are keyed by follow id too.
    """
    raise NotImplementedError
