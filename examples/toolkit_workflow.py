"""The toolkit's whole workflow: score, select, size, diversify (follow), monitor, stop.

    python examples/toolkit_workflow.py --sandbox            # on an in-process sandbox
    python examples/toolkit_workflow.py --balance 2000       # on the exchange (COPYTRADE_*)

1. Score and select: walk every trader, keep those with 30+ trading days and a win rate of at
   least 0.6, score them (``score_trader``'s documented formula) and rank them.
2. Size: put ``--risk`` % of the balance at risk in all (rounded down, never above the balance).
3. Diversify: split that across the best ``--traders`` and follow each with take-profit 50 % and
   stop-loss 20 % (the spec's values); all or nothing, rolled back on a failure.
4. Monitor: watch the follows for ``--rounds`` rounds with the spec's two rules, printing what
   happens and each follow's PnL, realised and unrealised apart, after every round.
5. Stop every follow it started, whatever happened (also on Ctrl-C).

With ``--sandbox`` the exchange is simulated in this process and its clock is moved
``--step`` seconds after each round, so hours of market pass in seconds. The API has no
balance endpoint: pass yours with ``--balance`` (the sandbox's account is used with
``--sandbox``). docs/best-practices.md says what each step takes from the spec and why.
"""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal

import anyio

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimits
from copytrade_async.sandbox import SandboxClient, SandboxConfig, sandbox_client
from copytrade_async.toolkit import (
    FollowEnded,
    LockInProfitsRule,
    PnlThresholdCrossed,
    Portfolio,
    PositionClosed,
    PositionOpened,
    ReduceRiskRule,
    RoundCompleted,
    RuleFired,
    WatchFailed,
    diversify,
    find_best_traders,
    monitor,
    size_copy_amount,
)


def make_client(sandbox: bool) -> AsyncCopyTradeClient:
    if not sandbox:
        return AsyncCopyTradeClient()  # credentials and base URL from COPYTRADE_*
    # A fast sandbox: 100 requests/s on both sides (the exchange's is 5/s), and no timestamp
    # check, as its clock is moved hours ahead of the real one.
    fast = RateLimits(groups={"copytrading": RateLimit.per_second(100)}, global_limit=None)
    config = SandboxConfig(seed=7, traders=60, rate_limit=100, timestamp_tolerance_ms=None)
    return sandbox_client(config=config, rate_limits=fast)


async def select_and_follow(
    client: AsyncCopyTradeClient, balance: Decimal, risk: Decimal, traders: int
) -> Portfolio:
    ranking = await find_best_traders(client, min_trading_days=30, min_win_rate="0.6")
    print(f"{ranking.walked} traders walked, {ranking.qualified} qualified, best first:")
    for entry in ranking.top(traders):
        print(f"  {entry.detail.nick_name:<18} {entry.score.describe()}")
    budget = size_copy_amount(balance, risk)
    portfolio = await diversify(
        client, ranking, budget, max_traders=traders, take_profit=50, stop_loss=20
    )
    print(
        f"budget {budget} ({risk}% of {balance}): {len(portfolio.allocations)} follows of "
        f"{portfolio.amount_per_trader}, {portfolio.unallocated} left unallocated"
    )
    return portfolio


async def watch(
    client: AsyncCopyTradeClient, portfolio: Portfolio, rounds: int, step: float
) -> None:
    rules = (ReduceRiskRule(), LockInProfitsRule())
    # Once a minute, as the spec does; on the sandbox at once, as its clock is moved instead.
    interval = 0 if isinstance(client, SandboxClient) else 60
    watches = portfolio.watches()  # with copy amounts and TP/SL: PnL % is of the copy amount
    async with monitor(client, watches, interval=interval, rules=rules, rounds=rounds) as events:
        async for event in events:
            if isinstance(event, RoundCompleted):
                print(f"round {event.round}: {event.polled} polled, {event.failed} failed")
                for pnl in event.pnl:
                    realized = "?" if pnl.realized_pnl is None else f"{pnl.realized_pnl:+.2f}"
                    print(
                        f"  {pnl.follow_id}: realized {realized}, unrealized "
                        f"{pnl.unrealized_pnl:+.2f} ({pnl.open_positions} open),"
                        f" PnL {pnl.pnl_percent}% of the copy amount"
                    )
                if isinstance(client, SandboxClient):
                    client.exchange.advance(step)  # simulated time moves between rounds
            elif isinstance(event, PositionOpened | PositionClosed):
                p = event.position
                what = "opened" if isinstance(event, PositionOpened) else "closed"
                result = (
                    f", realized {event.realized_pnl}" if isinstance(event, PositionClosed) else ""
                )
                print(f"  {event.follow_id}: {what} {p.symbol} {p.side} {p.size}{result}")
            elif isinstance(event, PnlThresholdCrossed):
                print(f"  {event.follow_id}: PnL {event.pnl_percent}% crossed {event.threshold}%")
            elif isinstance(event, RuleFired):
                print(f"  {event.follow_id}: {event.rule}: {event.action.description}")
            elif isinstance(event, FollowEnded):
                print(f"  {event.follow_id}: stopped by {event.reason}")
            elif isinstance(event, WatchFailed):
                print(f"  {event.follow_id}: poll failed: {event.error}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sandbox", action="store_true", help="an in-process sandbox")
    parser.add_argument("--balance", type=Decimal, help="your available balance")
    parser.add_argument("--risk", type=Decimal, default=Decimal(20), help="percent of it")
    parser.add_argument("--traders", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--step", type=float, default=1800.0, help="sandbox seconds per round")
    args = parser.parse_args()
    async with make_client(args.sandbox) as client:
        balance = args.balance
        if isinstance(client, SandboxClient) and balance is None:
            balance = client.exchange.account().available
        if balance is None:
            parser.error("--balance is needed on the exchange (the API does not report it)")
        portfolio = await select_and_follow(client, balance, args.risk, args.traders)
        try:
            await watch(client, portfolio, args.rounds, args.step)
        finally:
            # Stop what was started, even when cancelled, within a deadline.
            with anyio.CancelScope(shield=True), anyio.move_on_after(30):
                for follow_id in portfolio.follow_ids:
                    await client.follows.stop(follow_id)
                    orders = await client.history.list(follow_id).collect()
                    total = sum((o.profit for o in orders), Decimal(0))
                    print(f"stopped {follow_id}: {len(orders)} trades, PnL {total:+.2f}")


if __name__ == "__main__":
    asyncio.run(main())
