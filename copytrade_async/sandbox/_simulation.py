"""The moving parts: market ticks, traders' decisions, and follows copying them.

Simulated time advances in ticks of ``config.tick_seconds``. At each tick the market steps,
the traders whose decision is due open or close a position (followers' copies open and close
with them, at the same price), and every follow with open positions is marked to market:
a position whose margin is gone is liquidated, and a follow whose take-profit, stop-loss or
whole copy amount is reached is stopped.

A copy uses the same share of the copy amount as margin as the trader's position uses of the
trader's equity, times the follow's own leverage (as it was when the copy opened; a new
leverage applies to later copies). Isolated and cross margin are recorded but simulated
alike: each position is liquidated when it has lost its own margin, and the follow as a whole
when its realised plus unrealised PnL reaches minus its copy amount (stop reason
``"liquidated"``). Losses that gap past that within one tick are still booked in full.
"""

from __future__ import annotations

import heapq
import itertools
import random
from decimal import ROUND_DOWN, Decimal

from ._accounts import Account, Follow, FollowPosition
from ._config import SandboxConfig
from ._market import Market
from ._money import PNL_QUANTUM
from ._population import DAY_MS, Trader, TraderPosition, generate_population, liquidation_price

__all__ = ["Simulation"]

_OPEN_PROBABILITY = 0.45  # when a trader could either open or close


class Simulation:
    def __init__(self, config: SandboxConfig, start_ms: int) -> None:
        seed = config.seed
        self.created_ms = start_ms
        self.now_ms = start_ms
        self.market = Market(seed, config.tick_seconds)
        self.traders: list[Trader] = generate_population(
            seed,
            config.trader_count,
            config.inactive_share,
            self.market,
            start_ms,
            config.trader_ids,
        )
        self.by_id = {trader.trader_id: trader for trader in self.traders}
        self.accounts: dict[str, Account] = {}
        #: Bumped whenever a trader's profit or followers change (list caches key on it).
        self.version = 0
        self._tick_ms = config.tick_ms
        self._next_tick_ms = start_ms + self._tick_ms
        self._rng = random.Random(f"copytrade-sandbox:events:{seed}")
        self._events = [(t.next_event_ms, t.index) for t in self.traders if t.active]
        heapq.heapify(self._events)
        self._position_ids = itertools.count(1)
        ids = random.Random(f"copytrade-sandbox:ids:{seed}")
        self._follow_ids = itertools.count(ids.randrange(1_000_000_000, 2_000_000_000))
        self._order_ids = itertools.count(ids.randrange(100_000_000_000, 200_000_000_000))
        # Active follows by trader index, and active follows holding positions (marked each tick).
        self._followers: dict[int, dict[str, Follow]] = {}
        self._watched: dict[str, Follow] = {}

    def day(self, at_ms: int) -> int:
        """Whole simulated days since the sandbox started (day 0 is the first)."""
        return (at_ms - self.created_ms) // DAY_MS

    # ----- time ---------------------------------------------------------------------------

    def advance_to(self, now_ms: int) -> None:
        """Run every tick up to ``now_ms``; requests then happen at ``now_ms``."""
        if now_ms <= self.now_ms:
            return
        while self._next_tick_ms <= now_ms:
            self._tick(self._next_tick_ms)
            self._next_tick_ms += self._tick_ms
        self.now_ms = now_ms

    def _tick(self, at_ms: int) -> None:
        self.now_ms = at_ms
        self.market.step()
        events = self._events
        touched: dict[str, Follow] = {}
        while events and events[0][0] <= at_ms:
            _, index = heapq.heappop(events)
            trader = self.traders[index]
            self._decide(trader, at_ms, touched)
            heapq.heappush(events, (at_ms + trader.next_gap(self._rng), index))
        for follow in [*self._watched.values(), *touched.values()]:
            if follow.active:
                self.check_follow(follow, at_ms)

    def _decide(self, trader: Trader, at_ms: int, touched: dict[str, Follow]) -> None:
        rng = self._rng
        count = len(trader.positions)
        opening = count == 0 or (count < trader.max_positions and rng.random() < _OPEN_PROBABILITY)
        followers = self._followers.get(trader.index, {})
        if opening:
            position = trader.open_position(rng, self.market, next(self._position_ids), at_ms)
            if position is not None:
                for follow in followers.values():
                    self._mirror(follow, position, at_ms)
            return
        position = rng.choice(trader.positions)
        exit_price = trader.close_position(
            position, self.market.marks[position.symbol], at_ms, self.day(at_ms)
        )
        self.version += 1
        for follow in followers.values():
            copy = follow.positions.get(position.position_id)
            if copy is not None:
                self._close(follow, copy, exit_price, at_ms)
                touched[follow.follow_id] = follow

    # ----- follows ------------------------------------------------------------------------

    def start_follow(
        self,
        account: Account,
        trader: Trader,
        copy_amount: Decimal,
        leverage: int,
        margin_mode: str,
    ) -> Follow:
        follow = Follow(
            follow_id=str(next(self._follow_ids)),
            api_key=account.api_key,
            trader_index=trader.index,
            trader_id=trader.trader_id,
            copy_amount=copy_amount,
            leverage=leverage,
            margin_mode=margin_mode,
            created_ms=self.now_ms,
        )
        account.reserve(follow)
        trader.add_followers(1)
        self.version += 1
        self._followers.setdefault(trader.index, {})[follow.follow_id] = follow
        for position in trader.positions:
            self._mirror(follow, position, self.now_ms)
        return follow

    def stop_follow(self, follow: Follow, reason: str, at_ms: int) -> None:
        """Close every position at the mark, release the pool, and mark the follow stopped."""
        marks = self.market.marks
        for copy in list(follow.positions.values()):
            self._close(follow, copy, marks[copy.symbol], at_ms)
        self.accounts[follow.api_key].release(follow)
        follow.status = "stopped"
        follow.stop_reason = reason
        follow.stopped_ms = at_ms
        trader = self.traders[follow.trader_index]
        trader.add_followers(-1)
        self.version += 1
        self._followers[trader.index].pop(follow.follow_id, None)
        self._watched.pop(follow.follow_id, None)

    def check_follow(self, follow: Follow, at_ms: int) -> None:
        """Liquidate positions past their margin, then apply the follow's stops."""
        marks = self.market.marks
        for copy in list(follow.positions.values()):
            mark = marks[copy.symbol]
            liquidation = copy.liquidation_price
            if mark <= liquidation if copy.side == "long" else mark >= liquidation:
                self._close(follow, copy, liquidation, at_ms)
        copy_amount = follow.copy_amount
        take_profit, stop_loss = follow.take_profit, follow.stop_loss
        if (
            take_profit is None
            and stop_loss is None
            and follow.realized - follow.open_margin > -copy_amount
        ):
            return  # even losing every open margin would not exhaust the copy amount
        total = follow.realized + sum(
            (copy.pnl(marks[copy.symbol]) for copy in follow.positions.values()), Decimal(0)
        )
        if total <= -copy_amount:
            self.stop_follow(follow, "liquidated", at_ms)
        elif stop_loss is not None and total <= -copy_amount * stop_loss / 100:
            self.stop_follow(follow, "stop_loss", at_ms)
        elif take_profit is not None and total >= copy_amount * take_profit / 100:
            self.stop_follow(follow, "take_profit", at_ms)

    def _mirror(self, follow: Follow, position: TraderPosition, at_ms: int) -> None:
        """Copy one trader position: the same share of the copy amount as margin, times the
        follow's own leverage."""
        spec = self.market.specs[position.symbol]
        price = self.market.marks[position.symbol]
        margin = follow.copy_amount * position.margin_fraction
        size = (margin * follow.leverage / price).quantize(spec.size_step, ROUND_DOWN)
        if not size:
            return  # too small a copy amount for one size step
        copy = FollowPosition(
            order_id=str(next(self._order_ids)),
            trader_position_id=position.position_id,
            symbol=position.symbol,
            side=position.side,
            size=size,
            entry_price=price,
            leverage=follow.leverage,
            margin_mode=follow.margin_mode,
            margin=(size * price / follow.leverage).quantize(PNL_QUANTUM),
            liquidation_price=liquidation_price(
                price, follow.leverage, position.side, spec.tick_size
            ),
            create_ms=at_ms,
        )
        follow.positions[position.position_id] = copy
        follow.open_margin += copy.margin
        self._watched[follow.follow_id] = follow

    def _close(self, follow: Follow, copy: FollowPosition, exit_price: Decimal, at_ms: int) -> None:
        profit = copy.pnl(exit_price)
        del follow.positions[copy.trader_position_id]
        follow.open_margin -= copy.margin
        self.accounts[follow.api_key].realize(follow, profit)
        follow.add_history(copy, exit_price, profit, at_ms)
        if not follow.positions:
            self._watched.pop(follow.follow_id, None)
