"""Finding the best traders: walk the list, filter, fetch details concurrently, score, rank.

(How this differs from the spec's ``find_best_traders`` sketch: ``docs/best-practices.md``.)

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
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from .. import Amount, SortBy, Trader, TraderDetail, TraderStatus, check_whole, to_decimal
from ._analysis import analyze
from ._scoring import DEFAULT_WEIGHTS, ScoreWeights, TraderScore, score_trader
from ._sizing import DEFAULT_RISK_PERCENT, size_copy_amount

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
    """A qualifying trader, with its details, its score and, when the search was given a
    balance, the copy amount the spec's analyze step recommends for it."""

    detail: TraderDetail
    score: TraderScore
    recommended_copy_amount: Decimal | None = None

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
    min_win_rate: Amount = Decimal("0.6"),
    risk_levels: Iterable[str] | None = None,
    active_only: bool = True,
    top: int | None = None,
    concurrency: int = 8,
    detail_timeout: float | None = None,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    sort_by: SortBy = "profit",
    balance: Amount | None = None,
    risk_percent: Amount = DEFAULT_RISK_PERCENT,
) -> Ranking:
    """Walk every trader, keep those that qualify, score them and rank them, best first.

    A trader qualifies with at least ``min_trading_days`` days and a win rate of at least
    ``min_win_rate`` (Decimal, 0..1), a risk level in ``risk_levels`` (any when ``None``) and,
    with ``active_only``, status active. The filters are applied to the list row and again to
    the fetched detail (a trader may change in between). ``top`` keeps only the best ``top``.
    Ties in score are broken by trader id, so the ranking is deterministic. With ``balance``,
    each ranked trader also carries the copy amount the spec's analyze step recommends (see
    :func:`~copytrade_async.toolkit.analyze`): ``risk_percent`` % of it, scaled by the score.
    """
    _check_limits(min_trading_days, concurrency, top, detail_timeout)
    if balance is not None:  # checked before the first request
        size_copy_amount(balance, risk_percent)
    rule = TraderFilter(
        min_trading_days=min_trading_days,
        min_win_rate=to_decimal("min_win_rate", min_win_rate),
        risk_levels=None if risk_levels is None else frozenset(_text(r) for r in risk_levels),
        active_only=active_only,
    )
    sizing = None if balance is None else (balance, risk_percent)
    search = _Search(client, rule, weights, detail_timeout, sizing)
    await search.run(sort_by, concurrency)
    return search.ranking(top)


def _check_limits(
    min_trading_days: int, concurrency: int, top: int | None, detail_timeout: float | None
) -> None:
    check_whole("min_trading_days", min_trading_days, None)
    check_whole("concurrency", concurrency)
    if top is not None:
        check_whole("top", top)
    if detail_timeout is not None and not detail_timeout > 0:
        raise ValueError(f"detail_timeout must be > 0 or None, got {detail_timeout!r}")


@attrs.define
class _Search:
    """One run of :func:`find_best_traders`: the list walk, the detail workers, and what they
    found."""

    client: AsyncCopyTradeClient
    rule: TraderFilter
    weights: ScoreWeights
    detail_timeout: float | None
    #: ``(balance, risk_percent)`` for the recommended copy amounts, when asked for.
    sizing: tuple[Amount, Amount] | None
    ranked: list[RankedTrader] = attrs.field(factory=list)
    failures: list[RankingFailure] = attrs.field(factory=list)
    walked: int = 0
    qualified: int = 0

    async def run(self, sort_by: SortBy, concurrency: int) -> None:
        """Walk the list while ``concurrency`` workers fetch and score the rows that qualify.

        A failure of the walk is raised as itself (not in an ``ExceptionGroup``), after the
        workers are cancelled.
        """
        walk_errors: list[Exception] = []
        send, receive = anyio.create_memory_object_stream[Trader](0)
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(self._fetch_and_score, receive.clone())
            receive.close()
            async with send:
                try:
                    await self._walk_and_filter(sort_by, send)
                except Exception as exc:
                    walk_errors.append(exc)
                    group.cancel_scope.cancel()
        if walk_errors:
            raise walk_errors[0]

    async def _walk_and_filter(self, sort_by: SortBy, send: ObjectSendStream[Trader]) -> None:
        """Every row of the trader list; those that qualify go to the workers."""
        async for row in self.client.traders.list(sort_by=sort_by, sort_type="desc"):
            self.walked += 1
            if self.rule.accepts(row):
                self.qualified += 1
                await send.send(row)

    async def _fetch_and_score(self, rows: ObjectReceiveStream[Trader]) -> None:
        """A worker: fetch each row's detail, check it qualifies still, and score it."""
        async with rows:
            async for row in rows:
                try:
                    detail = await self._fetch(row.trader_id)
                    if self.rule.accepts(detail):
                        self.ranked.append(self._rank(detail))
                except Exception as exc:  # reported, and the ranking goes on
                    self.failures.append(RankingFailure(row.trader_id, exc))

    def _rank(self, detail: TraderDetail) -> RankedTrader:
        if self.sizing is None:
            return RankedTrader(detail, score_trader(detail, weights=self.weights))
        balance, risk = self.sizing
        found = analyze(detail, balance=balance, risk_percent=risk, weights=self.weights)
        return RankedTrader(detail, found.score, found.recommended_copy_amount)

    async def _fetch(self, trader_id: str) -> TraderDetail:
        if self.detail_timeout is None:
            return await self.client.traders.get(trader_id)
        with anyio.fail_after(self.detail_timeout):
            return await self.client.traders.get(trader_id)

    def ranking(self, top: int | None) -> Ranking:
        """Best score first (ties by trader id), the best ``top`` only when given."""
        ranked = sorted(self.ranked, key=lambda entry: (-entry.score.score, entry.trader_id))
        failures = sorted(self.failures, key=lambda failure: failure.trader_id)
        return Ranking(
            ranked=tuple(ranked if top is None else ranked[:top]),
            failures=tuple(failures),
            walked=self.walked,
            qualified=self.qualified,
        )
