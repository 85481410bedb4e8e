"""Finding the best traders: walk the list, filter, fetch details concurrently, score, rank.

The list is walked page by page (auto-pagination) while up to ``concurrency`` workers fetch the
details of the traders that pass the filters, so the list walk and the detail calls overlap and
at most ``concurrency`` detail calls are ever in flight. A detail call that fails, or takes
longer than ``detail_timeout``, is recorded in :attr:`Ranking.failures` and skipped: one bad
trader never sinks the ranking. (A failure of the list walk itself is raised: without the list
there is nothing to rank.)
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

import anyio
import attrs
from anyio.abc import ObjectReceiveStream

from .. import Trader, TraderDetail, TraderStatus, check_whole, to_decimal
from ._scoring import DEFAULT_WEIGHTS, ScoreWeights, TraderScore, score_trader

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["RankedTrader", "Ranking", "RankingFailure", "TraderFilter", "find_best_traders"]


@attrs.frozen
class TraderFilter:
    """Which traders qualify: a pure predicate over a list row or a detail."""

    min_trading_days: int = 30
    min_win_rate: Decimal = Decimal("0.6")
    risk_levels: frozenset[str] | None = None
    active_only: bool = True

    def accepts(self, trader: Trader) -> bool:
        if self.active_only and trader.status != TraderStatus.ACTIVE:
            return False
        if trader.trading_days < self.min_trading_days or trader.win_rate < self.min_win_rate:
            return False
        return self.risk_levels is None or _text(trader.risk_level) in self.risk_levels


@attrs.frozen
class RankedTrader:
    """A qualifying trader, with its details and its score."""

    detail: TraderDetail
    score: TraderScore

    @property
    def trader_id(self) -> str:
        return self.detail.trader_id


@attrs.frozen
class RankingFailure:
    """A trader whose details could not be fetched or scored, and why."""

    trader_id: str
    error: Exception = attrs.field(eq=False)

    def __str__(self) -> str:
        kind = "timed out" if isinstance(self.error, TimeoutError) else type(self.error).__name__
        return f"trader {self.trader_id}: {kind}: {self.error}"


@attrs.frozen
class Ranking:
    """The result of :func:`find_best_traders`: best first."""

    ranked: tuple[RankedTrader, ...]
    failures: tuple[RankingFailure, ...] = ()
    #: Rows of the trader list that were looked at.
    walked: int = 0
    #: Rows that passed the filters (their details were fetched).
    qualified: int = 0

    def __len__(self) -> int:
        return len(self.ranked)

    def top(self, n: int) -> tuple[RankedTrader, ...]:
        return self.ranked[:n]

    @property
    def trader_ids(self) -> tuple[str, ...]:
        return tuple(entry.trader_id for entry in self.ranked)


def _text(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


async def find_best_traders(
    client: AsyncCopyTradeClient,
    *,
    min_trading_days: int = 30,
    min_win_rate: object = Decimal("0.6"),
    risk_levels: Iterable[str] | None = None,
    active_only: bool = True,
    top: int | None = None,
    concurrency: int = 8,
    detail_timeout: float | None = None,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    sort_by: str = "profit",
) -> Ranking:
    """Walk every trader, keep those that qualify, score them and rank them, best first.

    A trader qualifies with at least ``min_trading_days`` days and a win rate of at least
    ``min_win_rate`` (Decimal, 0..1), a risk level in ``risk_levels`` (any when ``None``) and,
    with ``active_only``, status active. The filters are applied to the list row and again to
    the fetched detail (a trader may change in between). ``top`` keeps only the best ``top``.
    Ties in score are broken by trader id, so the ranking is deterministic.
    """
    check_whole("min_trading_days", min_trading_days, None)
    check_whole("concurrency", concurrency)
    if top is not None:
        check_whole("top", top)
    if detail_timeout is not None and not detail_timeout > 0:
        raise ValueError(f"detail_timeout must be > 0 or None, got {detail_timeout!r}")
    rule = TraderFilter(
        min_trading_days=min_trading_days,
        min_win_rate=to_decimal("min_win_rate", min_win_rate),
        risk_levels=None if risk_levels is None else frozenset(_text(r) for r in risk_levels),
        active_only=active_only,
    )
    ranked: list[RankedTrader] = []
    failures: list[RankingFailure] = []
    counts = {"walked": 0, "qualified": 0}

    async def fetch(trader_id: str) -> TraderDetail:
        if detail_timeout is None:
            return await client.traders.get(trader_id)
        with anyio.fail_after(detail_timeout):
            return await client.traders.get(trader_id)

    async def worker(rows: ObjectReceiveStream[Trader]) -> None:
        async with rows:
            async for row in rows:
                try:
                    detail = await fetch(row.trader_id)
                    if rule.accepts(detail):
                        ranked.append(RankedTrader(detail, score_trader(detail, weights=weights)))
                except Exception as exc:  # reported, and the ranking goes on
                    failures.append(RankingFailure(row.trader_id, exc))

    walk_errors: list[Exception] = []
    send, receive = anyio.create_memory_object_stream[Trader](0)
    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker, receive.clone())
        receive.close()
        async with send:
            try:
                async for row in client.traders.list(sort_by=sort_by, sort_type="desc"):
                    counts["walked"] += 1
                    if rule.accepts(row):
                        counts["qualified"] += 1
                        await send.send(row)
            except Exception as exc:  # raised below as itself, not in an ExceptionGroup
                walk_errors.append(exc)
                group.cancel_scope.cancel()
    if walk_errors:
        raise walk_errors[0]

    ranked.sort(key=lambda entry: (-entry.score.score, entry.trader_id))
    failures.sort(key=lambda failure: failure.trader_id)
    return Ranking(
        ranked=tuple(ranked if top is None else ranked[:top]),
        failures=tuple(failures),
        walked=counts["walked"],
        qualified=counts["qualified"],
    )
