"""The plain-text report of :func:`~copytrade_async.toolkit.run_demo`, section by section."""

from __future__ import annotations

from decimal import Decimal

from ._demo_report import DemoReport
from ._events import (
    FollowEnded,
    MonitorEvent,
    PnlThresholdCrossed,
    PositionClosed,
    PositionOpened,
    RoundCompleted,
    RuleFailed,
    RuleFired,
    WatchFailed,
)
from ._portfolio import Portfolio
from ._scoring import DEFAULT_WEIGHTS
from ._selection import Ranking

__all__ = ["format_report"]


def format_report(
    report: DemoReport,
    risk_percent: Decimal,
    leverage: int,
    take_profit: Decimal,
    stop_loss: Decimal,
) -> str:
    """The plain-text report of a demo run (``report.exit_status`` is not part of it: the
    command's exit code says it)."""
    lines = [f"copytrade demo: sandbox seed {report.seed}", "", *_traders_lines(report.ranking)]
    portfolio = report.portfolio
    if portfolio is None:
        lines += ["", f"error: {report.error}", ""]
        return "\n".join(lines)
    lines += _chosen_lines(report)
    lines += _portfolio_lines(report, portfolio, risk_percent, leverage, take_profit, stop_loss)
    lines += _watch_lines(report, _follow_names(report, portfolio))
    lines += _results_lines(report)
    if report.error is not None:
        lines += ["", f"error: {report.error}"]
    lines.append("")  # the report ends with a newline; the exit status says how it went
    return "\n".join(lines)


def _traders_lines(ranking: Ranking) -> list[str]:
    """1. How many traders were walked, qualified and scored, and how a score is made."""
    w = DEFAULT_WEIGHTS
    return [
        f"1. Traders: {ranking.walked} walked, {ranking.qualified} qualified"
        " (active, >= 30 trading days, win rate >= 60%),"
        f" {len(ranking.ranked)} scored, {len(ranking.failures)} failed.",
        f"   score = 100 x weighted mean of: sharpe tanh(ratio/2) x{w.sharpe},"
        f" drawdown 1-dd% x{w.drawdown}, win rate x{w.win_rate},"
        f" experience log-days x{w.experience}, followers log-count x{w.followers}",
    ]


def _chosen_lines(report: DemoReport) -> list[str]:
    """The chosen traders, best first, each score with its components."""
    lines = ["   chosen:"]
    for rank, entry in enumerate(report.chosen, 1):
        d, s = entry.detail, entry.score
        stats = d.statistics
        sharpe = "-" if stats is None else stats.sharpe_ratio
        dd = "-" if stats is None else stats.max_drawdown
        lines.append(
            f"   {rank}. {d.nick_name} ({d.trader_id}, {d.risk_level}): {s.score}"
            f" <- sharpe {sharpe}->{s.sharpe}, drawdown {dd}%->{s.drawdown},"
            f" win {d.win_rate * 100:.2f}%, {d.trading_days} days->{s.experience},"
            f" {d.followers_count} followers->{s.followers}"
        )
    return lines


def _portfolio_lines(
    report: DemoReport,
    portfolio: Portfolio,
    risk_percent: Decimal,
    leverage: int,
    take_profit: Decimal,
    stop_loss: Decimal,
) -> list[str]:
    """2. The budget and how it was split, and the follows that failed."""
    return [
        "",
        f"2. Portfolio: balance {report.balance:.2f} x {risk_percent}% risk = budget"
        f" {report.budget:.2f}; {len(portfolio.allocations)} follows of"
        f" {portfolio.amount_per_trader:.2f} at {leverage}x, take-profit {take_profit}% /"
        f" stop-loss {stop_loss}% of each; unallocated {portfolio.unallocated:.2f}",
        *(f"   failed: {failure}" for failure in portfolio.failures),
    ]


def _follow_names(report: DemoReport, portfolio: Portfolio) -> dict[str, str]:
    """The nick name of each chosen trader, by the follow id that copies it."""
    by_trader = {a.trader_id: a.follow_id for a in portfolio.allocations}
    return {by_trader[entry.detail.trader_id]: entry.detail.nick_name for entry in report.chosen}


def _watch_lines(report: DemoReport, names: dict[str, str]) -> list[str]:
    """3. What the monitor saw, round by round."""
    lines = [
        "",
        f"3. Watched {len(report.results)} follows for {report.rounds} rounds"
        f" ({report.simulated_seconds / 3600:g} simulated hours):",
    ]
    for event in report.events:
        text = _describe(event, names)
        if text is not None:
            lines.append(f"   round {event.round:>3}  {text}")
    return lines + _last_pnl_lines(report, names)


def _last_pnl_lines(report: DemoReport, names: dict[str, str]) -> list[str]:
    """Each follow's PnL as the last round saw it, realised and unrealised apart."""
    last = next((e for e in reversed(report.events) if isinstance(e, RoundCompleted)), None)
    if last is None or not last.pnl:
        return []
    lines = [f"   after round {last.round} (PnL % = (realized + unrealized) / copy amount):"]
    for s in last.pnl:
        realized = "not read" if s.realized_pnl is None else _signed(s.realized_pnl)
        percent = "-" if s.pnl_percent is None else f"{s.pnl_percent:+.2f}%"
        lines.append(
            f"   {names.get(s.follow_id, s.follow_id):<18} realized {realized:>10}"
            f"  unrealized {_signed(s.unrealized_pnl):>10} ({s.open_positions} open)"
            f"  PnL {percent:>8}"
        )
    return lines


def _results_lines(report: DemoReport) -> list[str]:
    """4. How each follow ended, and the total PnL."""
    lines = ["", "4. Results (all follows stopped):"]
    for r in report.results:
        lines.append(
            f"   {r.nick_name:<18} follow {r.follow_id}  copy {r.copy_amount:>10.2f}"
            f"  trades {r.trades:>3}  PnL {_signed(r.realized_pnl):>10}  ended by {r.ended_by}"
        )
    lines.append(f"   {'total':<18} {'':>44}PnL {_signed(report.total_pnl):>10}")
    return lines


def _signed(value: Decimal) -> str:
    return f"{value:+.2f}"


def _describe(event: MonitorEvent, names: dict[str, str]) -> str | None:
    if isinstance(event, RoundCompleted):
        return None
    who = names.get(event.follow_id, event.follow_id)
    if isinstance(event, PositionOpened):
        p = event.position
        what = f"{p.symbol} {p.side} {p.size} @ {p.entry_price}"
        return f"{who}: position opened: {what} (unrealized {_signed(p.unrealized_pnl)})"
    if isinstance(event, PositionClosed):
        p = event.position
        what = f"{p.symbol} {p.side} {p.size} @ {p.entry_price}"
        result = (
            "not in the history yet"
            if event.realized_pnl is None
            else (_signed(event.realized_pnl))
        )
        return f"{who}: position closed: {what} (realized {result})"
    if isinstance(event, PnlThresholdCrossed):
        realized = "" if event.realized_pnl is None else f"realized {_signed(event.realized_pnl)}, "
        return (
            f"{who}: PnL {event.pnl_percent}% crossed {event.threshold}% {event.direction}"
            f" ({realized}unrealized {_signed(event.unrealized_pnl)})"
        )
    if isinstance(event, FollowEnded):
        how = "inferred from its history" if event.inferred else "reported by the exchange"
        pnl = "" if event.realized_pnl is None else f", realized {_signed(event.realized_pnl)}"
        return f"{who}: follow stopped by {event.reason} ({how}{pnl})"
    if isinstance(event, RuleFired):
        return f"{who}: rule {event.rule}: {event.action.description}"
    if isinstance(event, RuleFailed):
        return f"{who}: rule {event.rule} failed: {event.error}"
    if isinstance(event, WatchFailed):
        return f"{who}: poll failed: {event.error}"
    return None
