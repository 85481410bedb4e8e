"""Follower accounts, follows, their mirrored positions, and the accounting between them.

Every amount is a :class:`~decimal.Decimal`; realised PnL is quantised to 8 decimal places per
trade, so the books balance exactly::

    available + reserved - realized_pnl == deposited

``reserved`` is what the account's active follows hold: for each, its copy amount plus the PnL
it has realised so far (a follow trades with its own pool, so losses never touch the
available balance while it runs). Stopping a follow releases its pool to ``available``.
"""

from __future__ import annotations

import bisect
from decimal import Decimal

import attrs

from ._money import PNL_QUANTUM, fmt
from ._wire import Fragment

__all__ = ["Account", "AccountView", "Follow", "FollowPosition", "FollowView"]


@attrs.define(slots=True, eq=False)
class FollowPosition:
    """A follow's copy of one trader position."""

    order_id: str
    trader_position_id: int
    symbol: str
    side: str  # "long" or "short"
    size: Decimal
    entry_price: Decimal
    leverage: int
    margin_mode: str
    margin: Decimal
    liquidation_price: Decimal
    create_ms: int

    def pnl(self, price: Decimal) -> Decimal:
        move = price - self.entry_price
        return (self.size * (move if self.side == "long" else -move)).quantize(PNL_QUANTUM)

    def order_json(
        self, exit_price: Decimal | None, profit: Decimal, close_ms: int | None
    ) -> dict[str, object]:
        """This copy as a history order: closed at ``exit_price``, or still open (no exit
        price, no close time)."""
        return {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "side": "buy" if self.side == "long" else "sell",
            "size": fmt(self.size),
            "entryPrice": fmt(self.entry_price),
            # As the exchange sends an amount that is not set: an empty string.
            "exitPrice": "" if exit_price is None else fmt(exit_price),
            "profit": fmt(profit),
            "leverage": str(self.leverage),
            "status": "open" if close_ms is None else "closed",
            "createTime": self.create_ms,
            "closeTime": close_ms,
        }

    def to_json(self, mark: Decimal) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "side": self.side,
            "size": fmt(self.size),
            "entryPrice": fmt(self.entry_price),
            "markPrice": fmt(mark),
            "unrealizedPnl": fmt(self.pnl(mark)),
            "leverage": str(self.leverage),
            "marginMode": self.margin_mode,
            "createTime": self.create_ms,
        }


@attrs.define(slots=True, eq=False)
class Follow:
    follow_id: str
    api_key: str
    trader_index: int
    trader_id: str
    copy_amount: Decimal
    leverage: int
    margin_mode: str
    created_ms: int
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    status: str = "active"
    stop_reason: str | None = None
    stopped_ms: int | None = None
    realized: Decimal = Decimal(0)
    # Open positions by the trader position they copy, and the margin they hold.
    positions: dict[int, FollowPosition] = attrs.field(factory=dict)
    open_margin: Decimal = Decimal(0)
    # Closed trades in (closeTime, orderId) order, as their wire records.
    history: list[Fragment] = attrs.field(factory=list)
    history_keys: list[tuple[int, str]] = attrs.field(factory=list)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def add_history(
        self, position: FollowPosition, exit_price: Decimal, profit: Decimal, at_ms: int
    ) -> None:
        key = (at_ms, position.order_id)
        record = Fragment(position.order_json(exit_price, profit, at_ms))
        if not self.history_keys or key > self.history_keys[-1]:
            self.history_keys.append(key)
            self.history.append(record)
        else:  # closed in the same millisecond as a later order: keep the order
            where = bisect.bisect(self.history_keys, key)
            self.history_keys.insert(where, key)
            self.history.insert(where, record)

    def settings_json(self) -> dict[str, object]:
        return {
            "followId": self.follow_id,
            "copyAmount": fmt(self.copy_amount),
            "leverage": str(self.leverage),
            "takeProfit": None if self.take_profit is None else fmt(self.take_profit),
            "stopLoss": None if self.stop_loss is None else fmt(self.stop_loss),
            "status": self.status,
        }


@attrs.frozen
class FollowView:
    """A snapshot of one follow, for tests and tools (not part of the HTTP API)."""

    follow_id: str
    api_key: str
    trader_id: str
    status: str
    stop_reason: str | None
    copy_amount: Decimal
    leverage: int
    margin_mode: str
    take_profit: Decimal | None
    stop_loss: Decimal | None
    realized_pnl: Decimal
    open_positions: int
    closed_trades: int
    created_ms: int
    stopped_ms: int | None


@attrs.frozen
class AccountView:
    """A snapshot of one account's balances; ``demo`` for a demo (paper trading) account."""

    api_key: str
    deposited: Decimal
    available: Decimal
    reserved: Decimal
    realized_pnl: Decimal
    active_follows: int
    demo: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "apiKey": self.api_key,
            "demo": self.demo,
            "deposited": fmt(self.deposited),
            "available": fmt(self.available),
            "reserved": fmt(self.reserved),
            "realizedPnl": fmt(self.realized_pnl),
            "activeFollows": self.active_follows,
        }


@attrs.define(slots=True, eq=False)
class Account:
    api_key: str
    api_secret: str = attrs.field(repr=False)
    passphrase: str = attrs.field(repr=False)
    #: A demo (paper trading) key: its requests must carry ``paptrading: 1``, a live key's not.
    demo: bool = False
    deposited: Decimal = Decimal(0)
    available: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    realized_pnl: Decimal = Decimal(0)
    follows: dict[str, Follow] = attrs.field(factory=dict)
    # trader id -> follow id, for the active follows only
    active_by_trader: dict[str, str] = attrs.field(factory=dict)

    # ----- the only places balances change --------------------------------------------

    def deposit(self, amount: Decimal) -> None:
        self.deposited += amount
        self.available += amount

    def reserve(self, follow: Follow) -> None:
        """A new follow takes its copy amount from the available balance."""
        self.available -= follow.copy_amount
        self.reserved += follow.copy_amount
        self.follows[follow.follow_id] = follow
        self.active_by_trader[follow.trader_id] = follow.follow_id

    def resize(self, follow: Follow, copy_amount: Decimal) -> None:
        """Change an active follow's copy amount, moving the difference."""
        delta = copy_amount - follow.copy_amount
        self.available -= delta
        self.reserved += delta
        follow.copy_amount = copy_amount

    def realize(self, follow: Follow, profit: Decimal) -> None:
        """A trade of an active follow closed with ``profit`` (already quantised)."""
        follow.realized += profit
        self.realized_pnl += profit
        self.reserved += profit

    def release(self, follow: Follow) -> None:
        """A follow stopped: its pool (copy amount and realised PnL) becomes available."""
        pool = follow.copy_amount + follow.realized
        self.reserved -= pool
        self.available += pool
        self.active_by_trader.pop(follow.trader_id, None)

    # ----- views ------------------------------------------------------------------------

    def view(self) -> AccountView:
        return AccountView(
            api_key=self.api_key,
            deposited=self.deposited,
            available=self.available,
            reserved=self.reserved,
            realized_pnl=self.realized_pnl,
            active_follows=len(self.active_by_trader),
            demo=self.demo,
        )

    def invariant_errors(self) -> list[str]:
        """Why the books do not balance (an empty list when they do)."""
        errors = []
        if self.available + self.reserved - self.realized_pnl != self.deposited:
            errors.append(
                f"{self.api_key}: available {self.available} + reserved {self.reserved}"
                f" - realized {self.realized_pnl} != deposited {self.deposited}"
            )
        pools = sum(
            (f.copy_amount + f.realized for f in self.follows.values() if f.active), Decimal(0)
        )
        if pools != self.reserved:
            errors.append(f"{self.api_key}: reserved {self.reserved} != active pools {pools}")
        realized = sum((f.realized for f in self.follows.values()), Decimal(0))
        if realized != self.realized_pnl:
            errors.append(
                f"{self.api_key}: realized {self.realized_pnl} != sum of follows {realized}"
            )
        active = {f.trader_id: f.follow_id for f in self.follows.values() if f.active}
        if active != self.active_by_trader:
            errors.append(f"{self.api_key}: active follow index is out of date")
        return errors
