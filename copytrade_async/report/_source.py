"""Where a report's trades come from: the API, through a client, or a history store.

A client reads each follow's whole history (``client.history.list``) and its open positions
(``client.follows.positions``, for the unrealised PnL). The API cannot list a follower's
follows, nor read a follow's copy amount back: the follows are the ids (or the
:class:`~copytrade_async.Follow` / :class:`~copytrade_async.FollowSettings` records, whose
``copy_amount`` is then used) the caller names, and the copy amounts come from those records or
from the caller's mapping.

A history store (``copytrade_async.store``, or anything shaped like it) is read through the
two members of :class:`HistorySource`: ``follows()`` names every follow it has seen and its
trader, so "all my follows" means the store's; ``orders()`` gives a follow's orders. A store
keeps no positions: a report from it has no unrealised PnL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs

from .. import (
    AsyncCopyTradeClient,
    Follow,
    FollowSettings,
    HistoryOrder,
    Position,
    check_id,
    to_decimal,
)

__all__ = [
    "FollowRef",
    "HistorySource",
    "KnownFollow",
    "ReportInput",
    "gather",
]

#: A follow named by id, or by the record ``follows.start`` / ``follows.update`` returned.
FollowRef = str | Follow | FollowSettings


@runtime_checkable
class KnownFollow(Protocol):
    """A follow as a history store remembers it: its id and its trader."""

    @property
    def follow_id(self) -> str:
        """The follow's id."""
        ...

    @property
    def trader_id(self) -> str | None:
        """The followed trader's id (None when the store does not know it)."""
        ...


@runtime_checkable
class HistorySource(Protocol):
    """What a report reads from a history store: the follows it knows and their orders."""

    async def follows(self) -> Sequence[KnownFollow]:
        """Every follow the store has seen."""
        ...

    def orders(
        self, follow_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> AsyncIterator[HistoryOrder]:
        """The follow's orders (closed between ``start`` and ``end`` when given)."""
        ...


@attrs.frozen
class ReportInput:
    """Everything a report is computed from: per follow id, its orders, and what is known of
    its copy amount, trader and open positions."""

    orders: Mapping[str, tuple[HistoryOrder, ...]]
    copy_amounts: Mapping[str, Decimal]
    traders: Mapping[str, str]
    positions: Mapping[str, tuple[Position, ...]]
    #: Where the trades came from: ``"api"``, ``"store"`` or ``"orders"``.
    source: str


def _checked_mapping(name: str, mapping: Mapping[str, object] | None) -> dict[str, object]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{name} must be a mapping of follow id to value")
    return {check_id(f"{name} key", key): value for key, value in mapping.items()}


def check_inputs(
    follows: Iterable[FollowRef] | None,
    copy_amounts: Mapping[str, Decimal | int | str] | None,
    traders: Mapping[str, str] | None,
) -> tuple[list[str] | None, dict[str, Decimal], dict[str, str]]:
    """The caller's follows, copy amounts and traders, checked before anything is read:
    follow ids in order without repeats (None for "every follow the source knows")."""
    amounts = {
        key: to_decimal(f"copy_amounts[{key!r}]", value)
        for key, value in _checked_mapping("copy_amounts", copy_amounts).items()
    }
    names = {
        key: check_id(f"traders[{key!r}]", value)
        for key, value in _checked_mapping("traders", traders).items()
    }
    if follows is None:
        return None, amounts, names
    if isinstance(follows, str | Follow | FollowSettings):
        follows = [follows]
    ids: list[str] = []
    for ref in follows:
        if isinstance(ref, Follow | FollowSettings):
            amounts.setdefault(ref.follow_id, ref.copy_amount)
            if isinstance(ref, Follow):
                names.setdefault(ref.follow_id, ref.trader_id)
            ref = ref.follow_id
        follow_id = check_id("follow_ids item", ref)
        if follow_id not in ids:
            ids.append(follow_id)
    if not ids:
        raise ValueError("follow_ids is empty: name at least one follow")
    return ids, amounts, names


async def gather(
    source: AsyncCopyTradeClient | HistorySource,
    follows: Iterable[FollowRef] | None,
    *,
    copy_amounts: Mapping[str, Decimal | int | str] | None = None,
    traders: Mapping[str, str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    positions: bool = True,
) -> ReportInput:
    """Read the orders (and, from a client, the open positions) of the follows."""
    ids, amounts, names = check_inputs(follows, copy_amounts, traders)
    for name, moment in (("start", start), ("end", end)):
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    if isinstance(source, AsyncCopyTradeClient):
        if ids is None:
            raise ValueError(
                "the API cannot list your follows: name them (follow_ids), or read a history"
                " store that has synced them"
            )
        orders, held = await _from_client(source, ids, start, end, positions)
        return ReportInput(orders, amounts, names, held, "api")
    if isinstance(source, HistorySource):
        known = await source.follows()
        for record in known:
            if record.trader_id:
                names.setdefault(record.follow_id, record.trader_id)
        if ids is None:
            ids = sorted({record.follow_id for record in known})
        orders = {}
        for follow_id in ids:
            orders[follow_id] = tuple(
                [order async for order in source.orders(follow_id, start=start, end=end)]
            )
        return ReportInput(orders, amounts, names, {}, "store")
    raise ValueError(
        "source must be an AsyncCopyTradeClient or a history store (follows() and orders()),"
        f" got {type(source).__name__}"
    )


async def _from_client(
    client: AsyncCopyTradeClient,
    ids: list[str],
    start: datetime | None,
    end: datetime | None,
    positions: bool,
) -> tuple[dict[str, tuple[HistoryOrder, ...]], dict[str, tuple[Position, ...]]]:
    """One follow after another: the client's rate limiter, not latency, sets the pace of a
    report, and a failure is the one :class:`~copytrade_async.CopyTradeError` it raised (never
    wrapped in an exception group)."""
    orders: dict[str, tuple[HistoryOrder, ...]] = {}
    held: dict[str, tuple[Position, ...]] = {}
    for follow_id in ids:
        walk = client.history.list(follow_id, start_time=start, end_time=end)
        orders[follow_id] = tuple(await walk.collect())
        if positions:
            held[follow_id] = tuple(await client.follows.positions(follow_id))
    return orders, held
