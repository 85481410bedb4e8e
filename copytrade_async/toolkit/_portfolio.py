"""Diversifying: split an amount across the best traders, follow each, protect each with TP/SL.

(The spec's ``diversify_copy_portfolio`` sketch, and what this does differently, are in
``docs/best-practices.md``.)

The split is exact: each trader gets ``total / n`` rounded down to the exchange's precision and
the remainder stays unallocated, so the follows never add up to more than the total. Follows
are opened one at a time, in rank order, each followed at once by its take-profit/stop-loss
update, so that in all-or-nothing mode a failure stops before more money is committed.

* ``mode="all_or_nothing"`` (the default): when a follow or its TP/SL update fails, every follow
  opened so far (including one whose update failed) is stopped, newest first, and
  :class:`PortfolioError` is raised saying what was rolled back and what could not be.
* ``mode="partial"``: failures are recorded in :attr:`Portfolio.failures` and the rest goes on.
  A follow whose TP/SL update failed is stopped rather than left running unprotected.

If the call is cancelled half-way, the follows it opened are stopped (shielded, in either mode):
the caller gets no :class:`Portfolio` to find them in.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import anyio
import attrs

from .. import (
    Amount,
    CopyTradeError,
    Follow,
    FollowSettings,
    Leverage,
    MarginMode,
    MarginModeName,
    Trader,
    check_whole,
    to_decimal,
)
from ._events import Watch
from ._selection import RankedTrader, Ranking
from ._sizing import DEFAULT_PRECISION, split_amount

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["Allocation", "AllocationFailure", "Portfolio", "PortfolioError", "diversify"]

Mode = Literal["all_or_nothing", "partial"]
Stage = Literal["follow", "update"]
TraderRef = str | Trader | RankedTrader

#: How long a rollback may take when it runs after a cancellation.
ROLLBACK_TIMEOUT = 30.0


@attrs.frozen
class Allocation:
    """One follow of the portfolio, with its TP/SL settings (None when none were asked for)."""

    trader_id: str
    follow: Follow
    settings: FollowSettings | None = None

    @property
    def follow_id(self) -> str:
        return self.follow.follow_id

    @property
    def copy_amount(self) -> Decimal:
        return self.follow.copy_amount

    def watch(self) -> Watch:
        """What :func:`~copytrade_async.toolkit.monitor` should know about this follow."""
        settings = self.settings
        return Watch(
            self.follow_id,
            copy_amount=self.copy_amount if settings is None else settings.copy_amount,
            take_profit=None if settings is None else settings.take_profit,
            stop_loss=None if settings is None else settings.stop_loss,
        )


@attrs.frozen
class AllocationFailure:
    """A trader that could not be added: at which ``stage`` and why.

    For an ``"update"`` failure the follow had been opened (``follow_id``); ``stop_error`` is
    set when stopping it again failed too.
    """

    trader_id: str
    stage: Stage
    error: Exception = attrs.field(eq=False)
    follow_id: str | None = None
    stop_error: Exception | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        text = f"{self.stage} of trader {self.trader_id} failed: {self.error}"
        if self.follow_id is not None:
            text += f" (follow {self.follow_id} "
            text += "stopped)" if self.stop_error is None else f"NOT stopped: {self.stop_error})"
        return text


@attrs.frozen
class Portfolio:
    """The result of :func:`diversify`."""

    allocations: tuple[Allocation, ...]
    failures: tuple[AllocationFailure, ...]
    total_amount: Decimal
    #: What each trader was given.
    amount_per_trader: Decimal
    mode: Mode = "all_or_nothing"

    @property
    def allocated(self) -> Decimal:
        return sum((a.copy_amount for a in self.allocations), Decimal(0))

    @property
    def unallocated(self) -> Decimal:
        return self.total_amount - self.allocated

    @property
    def follow_ids(self) -> tuple[str, ...]:
        return tuple(a.follow_id for a in self.allocations)

    def watches(self) -> tuple[Watch, ...]:
        return tuple(a.watch() for a in self.allocations)


class PortfolioError(CopyTradeError):
    """An all-or-nothing :func:`diversify` failed and was rolled back.

    ``failure`` is what went wrong; ``rolled_back`` the follow ids that were stopped again;
    ``rollback_failures`` the ``(follow_id, error)`` pairs that could not be stopped, which
    are still open on the exchange and need attention.
    """

    def __init__(
        self,
        failure: AllocationFailure,
        rolled_back: tuple[str, ...],
        rollback_failures: tuple[tuple[str, Exception], ...],
    ) -> None:
        self.failure = failure
        self.rolled_back = rolled_back
        self.rollback_failures = rollback_failures
        text = f"diversify failed: {failure.stage} of trader {failure.trader_id}: {failure.error}"
        text += "; rolled back (stopped) follows: " + (", ".join(rolled_back) or "none")
        if rollback_failures:
            text += "; could NOT stop: " + ", ".join(f"{f} ({e})" for f, e in rollback_failures)
        super().__init__(text)


def _trader_id(ref: TraderRef) -> str:
    if isinstance(ref, RankedTrader):
        return ref.trader_id
    if isinstance(ref, Trader):
        return ref.trader_id
    if isinstance(ref, str) and ref.strip():
        return ref.strip()
    raise ValueError(f"expected a trader id, Trader or RankedTrader, got {ref!r}")


def _pick(traders: Ranking | Iterable[TraderRef], max_traders: int) -> list[str]:
    refs: Iterable[TraderRef] = traders.ranked if isinstance(traders, Ranking) else traders
    chosen: list[str] = []
    for ref in refs:
        trader_id = _trader_id(ref)
        if trader_id not in chosen:
            chosen.append(trader_id)
        if len(chosen) == max_traders:
            break
    return chosen


async def _stop_all(
    client: AsyncCopyTradeClient, follow_ids: list[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, Exception], ...]]:
    stopped: list[str] = []
    failed: list[tuple[str, Exception]] = []
    for follow_id in reversed(follow_ids):
        try:
            await client.follows.stop(follow_id)
        except Exception as exc:
            failed.append((follow_id, exc))
        else:
            stopped.append(follow_id)
    return tuple(stopped), tuple(failed)


async def diversify(
    client: AsyncCopyTradeClient,
    traders: Ranking | Iterable[TraderRef],
    total_amount: Amount,
    *,
    max_traders: int = 5,
    leverage: Leverage = 10,
    margin_mode: MarginMode | MarginModeName = MarginMode.ISOLATED,
    take_profit: Amount | None = Decimal("50"),
    stop_loss: Amount | None = Decimal("20"),
    mode: Mode = "all_or_nothing",
    precision: Amount = DEFAULT_PRECISION,
    minimum: Amount | None = None,
) -> Portfolio:
    """Split ``total_amount`` across the first ``max_traders`` of ``traders`` and follow them.

    ``traders`` is a :class:`Ranking` or trader ids / :class:`Trader` / :class:`RankedTrader`
    in order of preference. ``take_profit`` and ``stop_loss`` are percentages of each copy
    amount (``None`` leaves one unset; both None skips the update). ``minimum`` refuses, before
    any request, a share below the exchange's smallest copy amount. See the module docs for
    what ``mode`` does on failure.
    """
    if mode not in ("all_or_nothing", "partial"):
        raise ValueError(f"mode must be 'all_or_nothing' or 'partial', got {mode!r}")
    check_whole("max_traders", max_traders)
    total = to_decimal("total_amount", total_amount)
    chosen = _pick(traders, max_traders)
    if not chosen:
        raise ValueError("no traders to diversify across")
    share, _ = split_amount(total, len(chosen), precision=precision)
    if share <= 0 or (minimum is not None and share < to_decimal("minimum", minimum)):
        raise ValueError(f"{total} split {len(chosen)} ways gives {share} each, too little")
    tp = None if take_profit is None else to_decimal("take_profit", take_profit)
    sl = None if stop_loss is None else to_decimal("stop_loss", stop_loss)

    allocations: list[Allocation] = []
    failures: list[AllocationFailure] = []
    opened: list[str] = []  # every follow opened and not stopped again, for a rollback
    try:
        for trader_id in chosen:
            try:
                follow = await client.follows.start(
                    trader_id=trader_id,
                    copy_amount=share,
                    leverage=leverage,
                    margin_mode=margin_mode,
                )
            except Exception as exc:
                failure = AllocationFailure(trader_id, "follow", exc)
                if mode == "all_or_nothing":
                    raise await _rollback(client, opened, failure) from exc
                failures.append(failure)
                continue
            opened.append(follow.follow_id)
            settings = None
            if tp is not None or sl is not None:
                try:
                    settings = await client.follows.update(
                        follow.follow_id, take_profit=tp, stop_loss=sl
                    )
                except Exception as exc:
                    failure = AllocationFailure(trader_id, "update", exc, follow.follow_id)
                    if mode == "all_or_nothing":
                        raise await _rollback(client, opened, failure) from exc
                    failures.append(await _unprotected(client, failure, follow.follow_id))
                    opened.remove(follow.follow_id)
                    continue
            allocations.append(Allocation(trader_id, follow, settings))
    except anyio.get_cancelled_exc_class():
        # The caller gets no Portfolio, so nothing opened may be left behind, in either mode.
        with anyio.CancelScope(shield=True), anyio.move_on_after(ROLLBACK_TIMEOUT):
            await _stop_all(client, opened)
        raise
    return Portfolio(tuple(allocations), tuple(failures), total, share, mode)


async def _rollback(
    client: AsyncCopyTradeClient, opened: list[str], failure: AllocationFailure
) -> PortfolioError:
    stopped, failed = await _stop_all(client, opened)
    opened.clear()
    return PortfolioError(failure, stopped, failed)


async def _unprotected(
    client: AsyncCopyTradeClient, failure: AllocationFailure, follow_id: str
) -> AllocationFailure:
    """Partial mode: stop a follow whose TP/SL could not be set, rather than leave it bare."""
    try:
        await client.follows.stop(follow_id)
    except Exception as exc:
        return attrs.evolve(failure, stop_error=exc)
    return failure
