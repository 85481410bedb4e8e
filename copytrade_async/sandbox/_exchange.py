"""The sandbox exchange: its state, its clock, and the business rules of every endpoint.

Every public method takes the exchange's lock and runs under the sandbox's own decimal
context, so a served sandbox may be driven from another thread, and a caller's decimal
settings never change the books.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from ._accounts import Account, AccountView, Follow, FollowView
from ._auth import TokenBuckets
from ._clock import AdvancingClock, ManualClock, SandboxClock, check_seconds
from ._config import (
    DEMO_CREDENTIALS,
    LIVE_CREDENTIALS,
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxCredentials,
    to_deposit,
)
from ._errors import SandboxError
from ._faults import FaultPlan, Faults, draw_fault
from ._history import history_page
from ._money import ctx
from ._rules import (
    check_copy_amount,
    check_leverage,
    check_margin_mode,
    check_stop_loss,
    check_take_profit,
)
from ._simulation import Simulation
from ._stats import SandboxStats
from ._wire import Fragment

__all__ = ["SandboxExchange"]

T = TypeVar("T")


def page(total: int, page_size: int, page_no: int, items: list[Fragment]) -> dict[str, object]:
    return {
        "totalPage": -(-total // page_size),
        "totalNum": total,
        "currentPage": page_no,
        "pageSize": page_size,
        "list": items,
    }


class SandboxExchange:
    """A deterministic, stateful copy-trading exchange.

    ``clock`` defaults to a :class:`ManualClock` starting now; time then moves only through
    :meth:`advance`. With a :class:`WallClock` or a :class:`ScaledClock`, every request
    catches the simulation up to the clock's time (see :meth:`sync`); a ScaledClock can be
    advanced as well.
    """

    def __init__(
        self, config: SandboxConfig | None = None, clock: SandboxClock | None = None
    ) -> None:
        self.config = config = config or SandboxConfig()
        self.clock: SandboxClock = clock if clock is not None else ManualClock()
        #: The faults injected into API requests; replace it at any time.
        self.faults = Faults()
        self.stats = SandboxStats()
        #: The default live account's credentials (:data:`LIVE_CREDENTIALS`).
        self.credentials = LIVE_CREDENTIALS
        #: The default demo account's credentials (:data:`DEMO_CREDENTIALS`).
        self.demo_credentials = DEMO_CREDENTIALS
        self.fault_rng = random.Random(f"copytrade-sandbox:faults:{config.seed}")
        #: The server-side rate limit, per API key, on real time.
        self.rate_limiter = TokenBuckets(config.rate_limit, config.burst)
        self._lock = threading.RLock()
        self._list_cache: dict[tuple[str | None, str | None], tuple[int, list[int]]] = {}
        with ctx():
            self._sim = Simulation(config, self.clock.now_ms())
        for default in (LIVE_CREDENTIALS, DEMO_CREDENTIALS):
            self.add_account(
                default.api_key, default.api_secret, default.passphrase, demo=default.demo
            )

    def _locked(self, operation: Callable[[], T]) -> T:
        with self._lock, ctx():
            self._sim.advance_to(self.clock.now_ms())
            return operation()

    # ----- time ---------------------------------------------------------------------------

    def sync(self) -> None:
        """Step the simulation up to the clock's time."""
        self._locked(lambda: None)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` and step the simulation to it.

        The clock must be an :class:`AdvancingClock` (a :class:`ManualClock` or a
        :class:`ScaledClock`; ``TypeError`` for a :class:`WallClock`). ``seconds`` is a finite
        number from 0 to ``config.max_advance_seconds`` (``ValueError`` otherwise, and nothing
        moves): the simulation steps every tick, so one call is kept to what it can do
        quickly. Call it again to go further.
        """
        if not isinstance(self.clock, AdvancingClock):
            raise TypeError(
                f"advance() needs a ManualClock or a ScaledClock; this sandbox's clock is"
                f" {type(self.clock).__name__}, which cannot be moved"
            )
        if check_seconds(seconds) > (most := self.config.max_advance_seconds):
            raise ValueError(f"seconds must be at most {most:g} per call, got {seconds:g}")
        with self._lock:
            self.clock.advance(seconds)
            self.sync()

    def now_ms(self) -> int:
        """The simulated time reached (never behind a previous answer)."""
        return max(self._sim.now_ms, self.clock.now_ms())

    def server_time_ms(self) -> int:
        """The server clock of the envelope's ``requestTime``: simulated time plus the
        ``clock_offset_ms`` fault."""
        return self.now_ms() + self.faults.clock_offset_ms

    # ----- accounts and views (not part of the HTTP API) ---------------------------------

    def add_account(
        self,
        api_key: str,
        api_secret: str,
        passphrase: str,
        deposit: Decimal | int | str | None = None,
        *,
        demo: bool = False,
    ) -> SandboxCredentials:
        """Open a funded account (``config.deposit`` unless told otherwise; a float deposit is
        a ``ValueError``). A ``demo`` account's requests must carry ``paptrading: 1``."""
        amount = self.config.deposit if deposit is None else to_deposit(deposit)
        if not isinstance(demo, bool):
            raise ValueError(f"demo must be True or False, not {type(demo).__name__}")
        with self._lock, ctx():
            if api_key in self._sim.accounts:
                raise ValueError(f"an account with API key {api_key!r} exists already")
            account = Account(api_key, api_secret, passphrase, demo=demo)
            account.deposit(amount)
            self._sim.accounts[api_key] = account
        return SandboxCredentials(api_key, api_secret, passphrase, demo=demo)

    def lookup_account(self, api_key: str) -> Account | None:
        return self._sim.accounts.get(api_key)

    @property
    def accounts(self) -> dict[str, Account]:
        return self._sim.accounts

    def account(self, api_key: str = SANDBOX_API_KEY) -> AccountView:
        return self._locked(lambda: self._account(api_key).view())

    def check_invariant(self) -> None:
        """Raise :class:`AssertionError` unless every account's books balance exactly."""
        with self._lock, ctx():
            errors = [e for a in self._sim.accounts.values() for e in a.invariant_errors()]
        if errors:
            raise AssertionError("; ".join(errors))

    def follow_info(self, follow_id: str) -> FollowView:
        def view() -> FollowView:
            for account in self._sim.accounts.values():
                follow = account.follows.get(follow_id)
                if follow is not None:
                    return FollowView(
                        follow_id=follow.follow_id,
                        api_key=follow.api_key,
                        trader_id=follow.trader_id,
                        status=follow.status,
                        stop_reason=follow.stop_reason,
                        copy_amount=follow.copy_amount,
                        leverage=follow.leverage,
                        margin_mode=follow.margin_mode,
                        take_profit=follow.take_profit,
                        stop_loss=follow.stop_loss,
                        realized_pnl=follow.realized,
                        open_positions=len(follow.positions),
                        closed_trades=len(follow.history),
                        created_ms=follow.created_ms,
                        stopped_ms=follow.stopped_ms,
                    )
            raise KeyError(follow_id)

        return self._locked(view)

    def trader_ids(self, *, active: bool | None = None) -> list[str]:
        return [t.trader_id for t in self._sim.traders if active is None or t.active == active]

    def mark_prices(self) -> dict[str, Decimal]:
        return self._locked(lambda: dict(self._sim.market.marks))

    def draw_fault(self) -> FaultPlan | None:
        with self._lock:
            return draw_fault(self.faults, self.fault_rng)

    def _account(self, api_key: str) -> Account:
        account = self._sim.accounts.get(api_key)
        if account is None:
            raise SandboxError("40006", "Invalid ACCESS_KEY", 401)
        return account

    def _follow(self, api_key: str, follow_id: str) -> tuple[Account, Follow]:
        account = self._account(api_key)
        follow = account.follows.get(follow_id)
        if follow is None:
            raise SandboxError.follow_not_found()
        return account, follow

    # ----- the API ------------------------------------------------------------------------

    def list_traders(
        self,
        page_size: int = 20,
        page_no: int = 1,
        sort_by: str | None = None,
        sort_type: str | None = None,
    ) -> dict[str, object]:
        def run() -> dict[str, object]:
            order = self._trader_order(sort_by, sort_type)
            start = (page_no - 1) * page_size
            day = self._sim.day(self._sim.now_ms)
            traders = self._sim.traders
            items = [traders[i].summary(day) for i in order[start : start + page_size]]
            return page(len(order), page_size, page_no, items)

        return self._locked(run)

    def _trader_order(self, sort_by: str | None, sort_type: str | None) -> list[int]:
        """Trader indexes in list order. Ties always break on ascending trader id (which is
        index order); without ``sort_by`` the order is by trader id."""
        key = (sort_by, sort_type)
        cached = self._list_cache.get(key)
        if cached is not None and cached[0] == self._sim.version:
            return cached[1]
        traders = self._sim.traders
        descending = sort_type == "desc" or (sort_type is None and sort_by is not None)
        sign = -1 if descending else 1
        if sort_by == "profit":
            order = sorted(range(len(traders)), key=lambda i: (sign * traders[i].profit_cents, i))
        elif sort_by == "followers":
            order = sorted(
                range(len(traders)),
                key=lambda i: (
                    sign * (traders[i].base_followers + traders[i].sandbox_followers),
                    i,
                ),
            )
        else:
            order = list(range(len(traders)))[::sign]
        self._list_cache[key] = (self._sim.version, order)
        return order

    def trader_detail(self, trader_id: str) -> dict[str, object]:
        def run() -> dict[str, object]:
            trader = self._sim.by_id.get(trader_id)
            if trader is None:
                raise SandboxError.invalid_trader()
            return trader.detail(self._sim.day(self._sim.now_ms), self._sim.market.marks)

        return self._locked(run)

    def follow(
        self,
        api_key: str,
        trader_id: str,
        copy_amount: Decimal,
        leverage: Decimal,
        margin_mode: str,
    ) -> dict[str, object]:
        def run() -> dict[str, object]:
            account = self._account(api_key)
            amount = check_copy_amount(copy_amount)
            whole_leverage = check_leverage(leverage)
            check_margin_mode(margin_mode)
            trader = self._sim.by_id.get(trader_id)
            if trader is None or not trader.active:
                raise SandboxError.invalid_trader()
            if trader_id in account.active_by_trader:
                raise SandboxError.already_following()
            if len(account.active_by_trader) >= self.config.max_follows:
                raise SandboxError.copy_limit(self.config.max_follows)
            if account.available < amount:
                raise SandboxError.insufficient_balance(account.available, amount)
            follow = self._sim.start_follow(account, trader, amount, whole_leverage, margin_mode)
            return {
                "followId": follow.follow_id,
                "traderId": follow.trader_id,
                "copyAmount": format(follow.copy_amount, "f"),
                "leverage": str(follow.leverage),
                "marginMode": follow.margin_mode,
                "status": follow.status,
            }

        return self._locked(run)

    def stop(self, api_key: str, follow_id: str) -> dict[str, object]:
        """Stop a follow. Stopping a stopped follow answers the same (retries rely on it)."""

        def run() -> dict[str, object]:
            _, follow = self._follow(api_key, follow_id)
            if follow.active:
                self._sim.stop_follow(follow, "user", self._sim.now_ms)
            return {"followId": follow.follow_id, "status": follow.status}

        return self._locked(run)

    def update_settings(
        self,
        api_key: str,
        follow_id: str,
        copy_amount: Decimal | None = None,
        leverage: Decimal | None = None,
        take_profit: Decimal | None = None,
        stop_loss: Decimal | None = None,
    ) -> dict[str, object]:
        """Change a follow's settings. Sending the current values again succeeds (so that a
        retried update is harmless); sending nothing at all is 80002."""

        def run() -> dict[str, object]:
            account, follow = self._follow(api_key, follow_id)
            if (
                copy_amount is None
                and leverage is None
                and take_profit is None
                and stop_loss is None
            ):
                raise SandboxError.invalid_settings("nothing to change")
            amount = None if copy_amount is None else check_copy_amount(copy_amount)
            whole_leverage = None if leverage is None else check_leverage(leverage)
            tp = None if take_profit is None else check_take_profit(take_profit)
            sl = None if stop_loss is None else check_stop_loss(stop_loss)
            if not follow.active:
                raise SandboxError.invalid_settings("the follow is stopped")
            if amount is not None and amount - follow.copy_amount > account.available:
                raise SandboxError.insufficient_balance(
                    account.available, amount - follow.copy_amount
                )
            if amount is not None:
                account.resize(follow, amount)
            if whole_leverage is not None:
                follow.leverage = whole_leverage  # applies to positions opened from now on
            if tp is not None:
                follow.take_profit = tp
            if sl is not None:
                follow.stop_loss = sl
            self._sim.check_follow(follow, self._sim.now_ms)
            return follow.settings_json()

        return self._locked(run)

    def history(
        self,
        api_key: str,
        follow_id: str,
        start_time: int | None = None,
        end_time: int | None = None,
        page_size: int = 20,
        page_no: int = 1,
    ) -> dict[str, object]:
        """Closed trades with ``startTime <= closeTime <= endTime``, newest first (ties: the
        higher orderId first). With ``config.open_orders_in_history``, the open copies whose
        ``createTime`` is in the range as well, placed among them by that time. With
        ``config.history_retention_days``, closed trades older than that (by the sandbox's
        clock) are left out, as if ``startTime`` were never earlier than now minus the
        retention; open copies are not, since they have not closed."""

        def run() -> dict[str, object]:
            _, follow = self._follow(api_key, follow_id)
            marks = self._sim.market.marks if self.config.open_orders_in_history else None
            retention = self.config.history_retention_ms
            kept_from = None if retention is None else self._sim.now_ms - retention
            total, items = history_page(
                follow, marks, start_time, end_time, page_size, page_no, kept_from
            )
            return page(total, page_size, page_no, items)

        return self._locked(run)

    def positions(self, api_key: str, follow_id: str) -> list[dict[str, object]]:
        def run() -> list[dict[str, object]]:
            _, follow = self._follow(api_key, follow_id)
            marks = self._sim.market.marks
            return [copy.to_json(marks[copy.symbol]) for copy in follow.positions.values()]

        return self._locked(run)
