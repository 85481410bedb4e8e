"""The whole workflow on a seeded sandbox: rank, size, diversify, watch, stop, report.

``asyncio.run(run_demo(out=sys.stdout))`` prints a plain-text report and returns a
:class:`DemoReport` with the numbers. No credentials, no network: the exchange is simulated in
process, and its clock is advanced between monitor rounds, so hours of market pass in seconds.
The same seed gives the same report.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

import attrs

from .. import AsyncCopyTradeClient, CopyTradeError, RateLimit, RateLimits
from ._demo_report import DemoReport, FollowResult
from ._demo_text import format_report
from ._events import FollowEnded, MonitorEvent, RoundCompleted
from ._monitor import monitor
from ._portfolio import Portfolio, diversify
from ._rules import LockInProfitsRule, ReduceRiskRule
from ._selection import Ranking, find_best_traders
from ._sizing import size_copy_amount

if TYPE_CHECKING:
    from ..sandbox import SandboxClient

__all__ = ["run_demo"]

#: Requests per second, on the client and on the sandbox alike: fast, and never a 429.
_DEMO_RATE = 100.0


async def run_demo(
    *,
    seed: int = 7,
    out: TextIO | None = None,
    traders: int = 60,
    max_traders: int = 4,
    risk_percent: Decimal = Decimal("20"),
    rounds: int = 24,
    step_seconds: float = 1800.0,
    leverage: int = 10,
    take_profit: Decimal = Decimal("50"),
    stop_loss: Decimal = Decimal("20"),
) -> DemoReport:
    """Run the demo on a fresh sandbox seeded with ``seed``; print the report to ``out``.

    ``rounds`` monitor rounds are run, with ``step_seconds`` of simulated time after each.
    """
    started = time.perf_counter()
    run = _DemoRun()
    async with _demo_client(seed, traders) as client:
        try:
            await _rank(client, run)
            portfolio = await _size_and_diversify(
                client,
                run,
                risk_percent=risk_percent,
                max_traders=max_traders,
                leverage=leverage,
                take_profit=take_profit,
                stop_loss=stop_loss,
            )
            await _watch(client, run, portfolio, rounds=rounds, step_seconds=step_seconds)
            await _stop_and_read_books(client, run, portfolio)
        except CopyTradeError as exc:
            run.error = str(exc)
    report = run.report(seed, step_seconds, elapsed_seconds=time.perf_counter() - started)
    text = format_report(report, risk_percent, leverage, take_profit, stop_loss)
    report = attrs.evolve(report, text=text)
    if out is not None:
        out.write(report.text)
        out.flush()
    return report


@attrs.define
class _DemoRun:
    """What the demo's steps have reached so far (a failed step leaves the earlier ones')."""

    ranking: Ranking = attrs.field(factory=lambda: Ranking(()))
    balance: Decimal = Decimal(0)
    budget: Decimal = Decimal(0)
    portfolio: Portfolio | None = None
    events: list[MonitorEvent] = attrs.field(factory=list)
    rounds: int = 0
    results: list[FollowResult] = attrs.field(factory=list)
    error: str | None = None

    def report(self, seed: int, step_seconds: float, elapsed_seconds: float) -> DemoReport:
        """The report (without its text), events in round order, then in portfolio order."""
        portfolio = self.portfolio
        order = {} if portfolio is None else {fid: i for i, fid in enumerate(portfolio.follow_ids)}
        events = sorted(
            self.events,
            key=lambda e: (e.round, order.get(getattr(e, "follow_id", ""), len(order))),
        )
        return DemoReport(
            seed=seed,
            exit_status=0 if self.error is None else 1,
            ranking=self.ranking,
            balance=self.balance,
            budget=self.budget,
            portfolio=portfolio,
            events=tuple(events),
            results=tuple(self.results),
            total_pnl=sum((r.realized_pnl for r in self.results), Decimal(0)),
            rounds=self.rounds,
            simulated_seconds=self.rounds * step_seconds,
            elapsed_seconds=elapsed_seconds,
            text="",
            error=self.error,
        )


def _demo_client(seed: int, traders: int) -> SandboxClient:
    """A client on a fresh seeded sandbox, both paced at :data:`_DEMO_RATE`."""
    from ..sandbox import SandboxConfig

    limits = RateLimits(groups={"copytrading": RateLimit.per_second(_DEMO_RATE)}, global_limit=None)
    # The client signs with the real clock while the sandbox's clock is moved ahead by hours,
    # so the sandbox's timestamp check is off (it would cost a 40008 and a retry per advance).
    config = SandboxConfig(
        seed=seed, traders=traders, rate_limit=_DEMO_RATE, timestamp_tolerance_ms=None
    )
    return AsyncCopyTradeClient.sandbox(config=config, rate_limits=limits)


async def _rank(client: SandboxClient, run: _DemoRun) -> None:
    """1. Walk and score every trader."""
    run.ranking = await find_best_traders(client, concurrency=8)
    if not run.ranking.ranked:
        raise CopyTradeError("no trader qualified")


async def _size_and_diversify(
    client: SandboxClient,
    run: _DemoRun,
    *,
    risk_percent: Decimal,
    max_traders: int,
    leverage: int,
    take_profit: Decimal,
    stop_loss: Decimal,
) -> Portfolio:
    """2. Size the budget from the balance and split it among the best traders.

    The API has no balance endpoint: the sandbox's account view stands in for the exchange's
    account page.
    """
    run.balance = client.exchange.account().available
    run.budget = size_copy_amount(run.balance, risk_percent)
    run.portfolio = await diversify(
        client,
        run.ranking,
        run.budget,
        max_traders=max_traders,
        leverage=leverage,
        take_profit=take_profit,
        stop_loss=stop_loss,
    )
    return run.portfolio


async def _watch(
    client: SandboxClient, run: _DemoRun, portfolio: Portfolio, *, rounds: int, step_seconds: float
) -> None:
    """3. Watch the follows while the simulated market moves between rounds."""
    rules = (ReduceRiskRule(), LockInProfitsRule())
    watch = monitor(client, portfolio.watches(), interval=0, rules=rules, rounds=rounds)
    async with watch as stream:
        async for event in stream:
            run.events.append(event)
            if isinstance(event, RoundCompleted):
                run.rounds = event.round
                client.exchange.advance(step_seconds)


async def _stop_and_read_books(client: SandboxClient, run: _DemoRun, portfolio: Portfolio) -> None:
    """4. Stop every follow (stopping a stopped follow is harmless), then read its history."""
    ended = {e.follow_id: e.reason for e in run.events if isinstance(e, FollowEnded)}
    names = {entry.trader_id: entry.detail.nick_name for entry in run.ranking.ranked}
    for allocation in portfolio.allocations:
        await client.follows.stop(allocation.follow_id)
        trades = await client.history.list(allocation.follow_id).collect()
        run.results.append(
            FollowResult(
                trader_id=allocation.trader_id,
                nick_name=names.get(allocation.trader_id, ""),
                follow_id=allocation.follow_id,
                copy_amount=allocation.copy_amount,
                realized_pnl=sum((t.profit for t in trades), Decimal(0)),
                trades=len(trades),
                ended_by=ended.get(allocation.follow_id, "demo end"),
                orders=tuple(trades),
            )
        )
