"""The simulated traders: a seeded population, their trade records and their live positions.

A trader's statistics are aggregates of its trade record, kept incrementally in integers
(cents, parts per million, milliseconds), so they stay consistent as the trader trades:
``winRate`` is ``winningTrades / totalTrades``, ``totalProfit`` the sum of every trade's
profit, ``monthlyProfit`` the sum over the current simulated day and the 29 before it, and
``maxDrawdown`` the deepest fall of the equity curve from a previous peak.

The record from before the sandbox started is synthetic and aggregated (older history in a few
blocks, the last 30 days in daily buckets) so that building a population of hundreds of
traders takes milliseconds; trades made while the sandbox runs are added one by one.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

import attrs

from ._market import Market
from ._money import CENT, cents_str, ctx, fmt, ratio_str, to_cents
from ._wire import Fragment

__all__ = ["DAY_MS", "Trader", "TraderPosition", "generate_population"]

DAY_MS = 86_400_000
_HOUR_MS = 3_600_000
_MIN_EQUITY_CENTS = 10_000  # a trader with less than 100 USDT stops opening positions
_OLDER_BLOCKS = 6


@attrs.frozen
class _Profile:
    return_ppm: tuple[int, int]  # typical size of one trade's return, in ppm of equity
    leverage: tuple[int, int]
    margin_pct: tuple[int, int]  # share of equity used as margin by one position
    max_positions: tuple[int, int]
    hold_minutes: tuple[int, int]
    trades_per_day_x10: tuple[int, int]


_PROFILES = {
    "low": _Profile((2000, 6000), (2, 5), (5, 12), (1, 2), (120, 720), (5, 30)),
    "medium": _Profile((5000, 15000), (5, 20), (8, 18), (1, 3), (45, 360), (10, 60)),
    "high": _Profile((12000, 40000), (20, 50), (10, 25), (2, 3), (10, 120), (20, 120)),
}
_ADJECTIVES = (
    "Alpha", "Steady", "Quant", "Lunar", "Bold", "Calm", "Swift", "Iron", "Silent", "Golden",
    "Crypto", "Delta", "Macro", "Night", "Zen", "Apex", "Polar", "Sharp", "Hidden", "Prime",
)  # fmt: skip
_NOUNS = (
    "Whale", "Fox", "Trader", "Falcon", "Hodler", "Scalper", "Bull", "Bear", "Owl", "Tiger",
    "Wolf", "Signal", "Pilot", "Otter", "Shark", "Miner", "Sage", "Ranger", "Comet", "Knight",
)  # fmt: skip
_STYLES = {
    "low": ("Patient swing trader", "Low-leverage trend follower", "Capital preservation first"),
    "medium": ("Momentum trader", "Breakout hunter", "Systematic mean-reversion"),
    "high": ("Aggressive scalper", "High-leverage breakout trader", "Volatility chaser"),
}


@attrs.define(slots=True, eq=False)
class TraderPosition:
    position_id: int
    symbol: str
    side: str  # "long" or "short"
    size: Decimal
    entry_price: Decimal
    leverage: int
    margin_fraction: Decimal  # share of the trader's equity used as margin
    liquidation_price: Decimal
    open_ms: int

    def pnl(self, price: Decimal) -> Decimal:
        move = price - self.entry_price
        return self.size * (move if self.side == "long" else -move)


@attrs.define(slots=True, eq=False)
class Trader:
    index: int
    trader_id: str
    nick_name: str
    description: str
    risk_level: str
    active: bool
    base_followers: int
    base_trading_days: int
    symbols: tuple[str, ...]
    profile: _Profile
    max_positions: int
    mean_gap_ms: int
    # The trade record, as aggregates.
    total_trades: int = 0
    winning_trades: int = 0
    profit_cents: int = 0
    equity_cents: int = 0
    peak_cents: int = 0
    max_drawdown_bp: int = 0
    hold_ms_total: int = 0
    return_sum_ppm: int = 0
    return_square_sum: int = 0  # ppm squared
    day_buckets: deque[list[int]] = attrs.field(factory=deque)  # [day index, profit cents]
    monthly_cents: int = 0
    positions: list[TraderPosition] = attrs.field(factory=list)
    sandbox_followers: int = 0
    next_event_ms: int = 0
    #: Bumped on every change the summary shows; the summary is cached on (version, day).
    version: int = 0
    _summary: tuple[int, int, Fragment] | None = None

    # ----- trading -----------------------------------------------------------------------

    def record_trade(self, profit_cents: int, hold_ms: int, day: int) -> None:
        """Add one closed trade to the aggregates."""
        self.version += 1
        equity_before = max(self.equity_cents, 1)
        ret = round(profit_cents * 1_000_000 / equity_before)
        self.total_trades += 1
        self.winning_trades += profit_cents > 0
        self.profit_cents += profit_cents
        self.equity_cents += profit_cents
        self.hold_ms_total += hold_ms
        self.return_sum_ppm += ret
        self.return_square_sum += ret * ret
        self._update_drawdown(self.equity_cents)
        if self.day_buckets and self.day_buckets[-1][0] == day:
            self.day_buckets[-1][1] += profit_cents
        else:
            self.day_buckets.append([day, profit_cents])
        self.monthly_cents += profit_cents

    def _update_drawdown(self, low_cents: int) -> None:
        if self.peak_cents > 0 and low_cents < self.peak_cents:
            drawdown = (self.peak_cents - max(low_cents, 0)) * 10_000 // self.peak_cents
            self.max_drawdown_bp = max(self.max_drawdown_bp, drawdown)
        self.peak_cents = max(self.peak_cents, self.equity_cents)

    def next_gap(self, rng: random.Random) -> int:
        """Time to this trader's next decision: exponential around its mean (one draw)."""
        return max(1000, int(rng.expovariate(1.0) * self.mean_gap_ms))

    def open_position(
        self, rng: random.Random, market: Market, position_id: int, now_ms: int
    ) -> TraderPosition | None:
        """Open a seeded position at the current mark, or ``None`` if it would be empty."""
        if self.equity_cents < _MIN_EQUITY_CENTS:
            return None
        symbol = market.pick_symbol(rng, self.symbols)
        spec = market.specs[symbol]
        leverage = rng.randint(*self.profile.leverage)
        margin_pct = rng.randint(*self.profile.margin_pct)
        price = market.marks[symbol]
        margin = Decimal(self.equity_cents * margin_pct) / 10_000
        size = (margin * leverage / price).quantize(spec.size_step, ROUND_DOWN)
        if not size:
            return None
        side = "long" if rng.random() < 0.55 else "short"
        position = TraderPosition(
            position_id=position_id,
            symbol=symbol,
            side=side,
            size=size,
            entry_price=price,
            leverage=leverage,
            margin_fraction=Decimal(margin_pct) / 100,
            liquidation_price=liquidation_price(price, leverage, side, spec.tick_size),
            open_ms=now_ms,
        )
        self.positions.append(position)
        return position

    def close_position(
        self, position: TraderPosition, mark: Decimal, now_ms: int, day: int
    ) -> Decimal:
        """Close ``position`` at ``mark`` (or at its liquidation price, if the mark went past
        it), record the trade, and return the exit price."""
        self.positions.remove(position)
        liquidation = position.liquidation_price
        past_liquidation = mark <= liquidation if position.side == "long" else mark >= liquidation
        exit_price = liquidation if past_liquidation else mark
        profit = to_cents(position.pnl(exit_price))
        self.record_trade(profit, now_ms - position.open_ms, day)
        return exit_price

    # ----- what the API shows ------------------------------------------------------------

    def monthly(self, day: int) -> int:
        buckets = self.day_buckets
        while buckets and buckets[0][0] <= day - 30:
            self.monthly_cents -= buckets.popleft()[1]
        return self.monthly_cents

    def add_followers(self, count: int) -> None:
        self.sandbox_followers += count
        self.version += 1

    def summary(self, day: int) -> Fragment:
        """The trader as listed, cached until it changes."""
        cached = self._summary
        if cached is not None and cached[0] == self.version and cached[1] == day:
            return cached[2]
        fragment = Fragment(self._summary_data(day))
        self._summary = (self.version, day, fragment)
        return fragment

    def _summary_data(self, day: int) -> dict[str, object]:
        return {
            "traderId": self.trader_id,
            "nickName": self.nick_name,
            "followersCount": self.base_followers + self.sandbox_followers,
            "totalProfit": cents_str(self.profit_cents),
            "monthlyProfit": cents_str(self.monthly(day)),
            "winRate": ratio_str(self.winning_trades, self.total_trades, 4),
            "description": self.description,
            "tradingDays": self.base_trading_days + max(day, 0),
            "riskLevel": self.risk_level,
            "status": "active" if self.active else "inactive",
        }

    def detail(self, day: int, marks: dict[str, Decimal]) -> dict[str, object]:
        data = self._summary_data(day)
        data["statistics"] = {
            "totalTrades": self.total_trades,
            "winningTrades": self.winning_trades,
            "averageHoldingTime": ratio_str(self.hold_ms_total, self.total_trades * _HOUR_MS, 2),
            "maxDrawdown": ratio_str(self.max_drawdown_bp, 100, 2),
            "sharpeRatio": self.sharpe_ratio(self.base_trading_days + max(day, 0)),
        }
        data["positions"] = [
            {
                "symbol": p.symbol,
                "side": p.side,
                "size": fmt(p.size),
                "entryPrice": fmt(p.entry_price),
                "leverage": str(p.leverage),
                "unrealizedPnl": fmt(p.pnl(marks[p.symbol]).quantize(CENT)),
            }
            for p in self.positions
        ]
        return data

    def sharpe_ratio(self, days: int) -> str:
        """Mean over standard deviation of per-trade returns, annualised by trade frequency."""
        n = self.total_trades
        if n < 2:
            return "0.00"
        with ctx():
            mean = Decimal(self.return_sum_ppm) / n
            variance = Decimal(self.return_square_sum) / n - mean * mean
            if variance <= 0:
                return "0.00"
            per_year = Decimal(n * 365) / max(days, 1)
            ratio = (mean / variance.sqrt() * per_year.sqrt()).quantize(CENT)
            return str(ratio if ratio else ratio.copy_abs())


def liquidation_price(entry: Decimal, leverage: int, side: str, tick: Decimal) -> Decimal:
    """Where a position loses all of its margin (no maintenance margin in the sandbox)."""
    if side == "long":
        return (entry * (leverage - 1) / leverage).quantize(tick)
    return (entry * (leverage + 1) / leverage).quantize(tick)


def generate_population(
    seed: int, count: int, share: float, market: Market, now_ms: int, ids: Sequence[str] | None
) -> list[Trader]:
    """Build ``count`` seeded traders (a ``share`` of them inactive), ordered by trader id:
    ``ids`` when given, else nine-digit numbers (the other draws are the same either way)."""
    rng = random.Random(f"copytrade-sandbox:traders:{seed}")
    numbers = map(str, rng.sample(range(100_000_000, 1_000_000_000), count))
    inactive = set(rng.sample(range(count), round(count * share)))
    ids = sorted(ids if ids is not None else numbers)
    traders = []
    for index, trader_id in enumerate(ids):
        trader = _new_trader(rng, index, trader_id, index not in inactive, market)
        _past_record(rng, trader)
        if trader.active:
            _initial_positions(rng, trader, market, now_ms, index)
        trader.next_event_ms = now_ms + trader.next_gap(rng)
        traders.append(trader)
    return traders


def _new_trader(
    rng: random.Random, index: int, trader_id: str, active: bool, market: Market
) -> Trader:
    risk = rng.choices(("low", "medium", "high"), (35, 40, 25))[0]
    profile = _PROFILES[risk]
    symbols = tuple(rng.sample(market.symbols, rng.randint(2, 4)))
    style = rng.choice(_STYLES[risk])
    days = rng.randint(7, 1100)
    name = f"{rng.choice(_ADJECTIVES)}{rng.choice(_NOUNS)}{rng.randint(1, 99)}"
    followers = int(rng.paretovariate(1.2) * 20) - 20 + (0 if active else -10)
    return Trader(
        index=index,
        trader_id=trader_id,
        nick_name=name,
        description=f"{style}. Trades {', '.join(s.removesuffix('USDT') for s in symbols)}.",
        risk_level=risk,
        active=active,
        base_followers=max(0, min(followers, 50_000)),
        base_trading_days=days,
        symbols=symbols,
        profile=profile,
        max_positions=rng.randint(*profile.max_positions),
        mean_gap_ms=rng.randint(*profile.hold_minutes) * 60_000 // 2,
    )


def _past_record(rng: random.Random, t: Trader) -> None:
    """Seed the aggregates from a synthetic record of ``base_trading_days`` days.

    Each span (a block of older days, or the last 30 days) draws its number of trades
    and of winning trades; every win returns ``win_ppm`` of equity and every loss costs
    ``loss_ppm``. The equity curve is followed span by span, with a seeded dip inside each
    span, for the drawdown.
    """
    profile = t.profile
    random_ = rng.random
    sqrt = math.sqrt
    equity = int(10 ** rng.uniform(5.3, 7.7))  # 2 000 to 500 000 USDT, in cents
    peak = equity
    drawdown = 0
    trades_per_day = rng.randint(*profile.trades_per_day_x10) / 10
    win_permille = rng.randint(420, 660)
    edge_permille = rng.randint(-40, 80)
    magnitude = rng.randint(*profile.return_ppm)
    win_ppm = magnitude * rng.randint(80, 130) // 100
    loss_ppm = win_ppm * win_permille * (1000 - edge_permille) // ((1000 - win_permille) * 1000)
    p = win_permille / 1000
    recent = min(t.base_trading_days, 30)
    older = t.base_trading_days - recent
    spans = [older // _OLDER_BLOCKS + (i < older % _OLDER_BLOCKS) for i in range(_OLDER_BLOCKS)]
    spans.append(recent)  # the last one is split into daily buckets below
    trades = wins_total = profit_total = ret_sum = ret_square = 0
    profit = 0
    for days in spans:
        expected = trades_per_day * days
        if expected <= 0:
            profit = 0
            continue
        # (sum of three uniforms - 1.5) * 2 is a cheap, near-normal draw with unit variance.
        n = max(0, round(expected + (random_() + random_() + random_() - 1.5) * 2 * sqrt(expected)))
        noise = (random_() + random_() + random_() - 1.5) * 2
        wins = min(n, max(0, round(n * p + noise * sqrt(n * p * (1 - p)))))
        ret = max(wins * win_ppm - (n - wins) * loss_ppm, -500_000)
        profit = equity * ret // 1_000_000
        dip = min(int(random_() * sqrt(n) * magnitude), 300_000)
        low = min(equity, equity + profit) - equity * dip // 1_000_000
        if peak > 0 and low < peak:
            drawdown = max(drawdown, (peak - max(low, 0)) * 10_000 // peak)
        equity += profit
        peak = max(peak, equity)
        trades += n
        wins_total += wins
        profit_total += profit
        ret_sum += ret
        ret_square += wins * win_ppm * win_ppm + (n - wins) * loss_ppm * loss_ppm
    # The last span's profit, spread over its days (day 0 is the day the sandbox starts).
    if recent:
        spread = equity * magnitude * sqrt(trades_per_day) / 1_000_000
        daily = [int((random_() - 0.5) * 3 * spread) for _ in range(recent)]
        daily[-1] += profit - sum(daily)
        t.day_buckets.extend(
            [day, cents] for day, cents in zip(range(1 - recent, 1), daily, strict=True)
        )
    monthly = profit if recent else 0
    t.equity_cents = equity
    t.peak_cents = peak
    t.max_drawdown_bp = drawdown
    t.total_trades = trades
    t.winning_trades = wins_total
    t.profit_cents = profit_total
    t.hold_ms_total = trades * t.mean_gap_ms * 2
    t.return_sum_ppm = ret_sum
    t.return_square_sum = ret_square
    t.monthly_cents = monthly


def _initial_positions(
    rng: random.Random, trader: Trader, market: Market, now_ms: int, index: int
) -> None:
    for slot in range(rng.randint(0, trader.max_positions)):
        position = trader.open_position(rng, market, -(index * 10 + slot + 1), now_ms)
        if position is not None:
            spec = market.specs[position.symbol]
            drift = Decimal(rng.randint(-100, 100)) / 10_000  # opened earlier, within +-1%
            position.entry_price = (position.entry_price * (1 + drift)).quantize(spec.tick_size)
            position.liquidation_price = liquidation_price(
                position.entry_price, position.leverage, position.side, spec.tick_size
            )
            position.open_ms = now_ms - rng.randint(0, trader.mean_gap_ms * 2)
