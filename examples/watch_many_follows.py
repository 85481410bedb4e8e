"""A bot that starts many follows, with progress as it goes, then watches them all.

    python examples/watch_many_follows.py --sandbox                     # an in-process sandbox
    python examples/watch_many_follows.py --follows 20 --amount 50      # the exchange (COPYTRADE_*)

It follows the ``--follows`` most profitable active traders with ``--amount`` each, a few
requests at a time, printing a progress line as each one starts (the client's limiter keeps
every request inside the exchange's 5/s, so 200 follows take about a minute: the progress says
where it is). A trader that cannot be followed is reported and skipped. Then it watches every
follow it started with the toolkit's monitor, one round per ``--interval`` seconds (stretched
to fit the rate), printing a summary of each round: how many were polled, how many hold
positions, and the PnL of the whole book, realised and unrealised apart. On the way out (after
``--rounds`` rounds, on an error, or on Ctrl-C) it stops every follow it started.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from decimal import Decimal

import anyio

from copytrade_async import (
    AsyncCopyTradeClient,
    CopyTradeError,
    RateLimit,
    RateLimits,
    TraderStatus,
)
from copytrade_async.sandbox import SandboxClient, SandboxConfig, sandbox_client
from copytrade_async.toolkit import RoundCompleted, Watch, WatchFailed, monitor


def make_client(sandbox: bool, follows: int) -> AsyncCopyTradeClient:
    if not sandbox:
        return AsyncCopyTradeClient()  # credentials and base URL from COPYTRADE_*
    # A fast sandbox with room for the follows: 100 requests/s on both sides (the exchange's
    # is 5/s), and no timestamp check, as its clock is moved ahead of the real one.
    fast = RateLimits(groups={"copytrading": RateLimit.per_second(100)}, global_limit=None)
    config = SandboxConfig(
        seed=11,
        traders=max(60, 2 * follows),
        max_follows=max(50, follows),
        rate_limit=100,
        timestamp_tolerance_ms=None,
    )
    return sandbox_client(config=config, rate_limits=fast)


class Progress:
    """One line per start: ``[ 12/40] followed trader 123 (follow 456), 1 failed, 3.1 s``."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()

    def step(self, text: str, *, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        elapsed = time.monotonic() - self.started
        width = len(str(self.total))
        print(
            f"[{self.done:>{width}}/{self.total}] {text}, {self.failed} failed, {elapsed:.1f} s",
            flush=True,
        )


async def start_follows(
    client: AsyncCopyTradeClient, trader_ids: list[str], amount: Decimal, started: list[Watch]
) -> None:
    """Follow every trader, four at a time; each follow started goes into ``started`` at once,
    so the caller can stop it whatever happens next."""
    progress = Progress(len(trader_ids))
    slots = anyio.Semaphore(4)

    async def start(trader_id: str) -> None:
        async with slots:
            try:
                follow = await client.follows.start(
                    trader_id=trader_id, copy_amount=amount, leverage=10, margin_mode="isolated"
                )
            except CopyTradeError as exc:  # this trader only: the others go on
                progress.step(f"trader {trader_id}: {exc}", ok=False)
                return
            started.append(Watch(follow.follow_id, copy_amount=follow.copy_amount))
            progress.step(f"followed trader {trader_id} (follow {follow.follow_id})", ok=True)

    async with anyio.create_task_group() as group:
        for trader_id in trader_ids:
            group.start_soon(start, trader_id)


async def watch(
    client: AsyncCopyTradeClient, watches: list[Watch], interval: float, rounds: int
) -> None:
    async with monitor(client, watches, interval=interval, rounds=rounds) as events:
        async for event in events:
            if isinstance(event, WatchFailed):
                print(f"  {event.follow_id}: poll failed: {event.error}")
            if not isinstance(event, RoundCompleted):
                continue
            holding = sum(1 for pnl in event.pnl if pnl.open_positions)
            realized = sum((pnl.realized_pnl or Decimal(0) for pnl in event.pnl), Decimal(0))
            unrealized = sum((pnl.unrealized_pnl for pnl in event.pnl), Decimal(0))
            print(
                f"round {event.round}: {event.polled} polled ({event.failed} failed), "
                f"{holding} holding positions; realized {realized:+.2f}, "
                f"unrealized {unrealized:+.2f}; next round in {event.interval:.1f} s",
                flush=True,
            )
            if isinstance(client, SandboxClient):
                client.exchange.advance(900)  # 15 simulated minutes per round


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sandbox", action="store_true", help="an in-process sandbox")
    parser.add_argument("--follows", type=int, default=40, help="how many traders to follow")
    parser.add_argument("--amount", type=Decimal, default=Decimal(100), help="copy amount each")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    started: list[Watch] = []
    async with make_client(args.sandbox, args.follows) as client:
        trader_ids = [
            trader.trader_id
            async for trader in client.traders.list(sort_by="profit", sort_type="desc")
            if trader.status is TraderStatus.ACTIVE
        ][: args.follows]
        print(f"following {len(trader_ids)} traders with {args.amount} each", flush=True)
        try:
            await start_follows(client, trader_ids, args.amount, started)
            if not started:
                print("no follow could be started", file=sys.stderr)
                return 1
            interval = 0 if isinstance(client, SandboxClient) else args.interval
            await watch(client, started, interval, args.rounds)
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(60):
                for item in started:
                    await client.follows.stop(item.follow_id)
                print(f"stopped {len(started)} follows", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
