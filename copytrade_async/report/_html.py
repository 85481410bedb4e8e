"""One self-contained HTML file from a :class:`~._build.Report`.

The page holds everything it shows: its style and script inline (:mod:`._page`), the charts
as inline SVG (:mod:`._charts`), the trades as JSON that its script draws as a table. A
Content-Security-Policy forbids loading anything else, so it opens the same with no network.
Every figure shown carries its exact value (``data-figure`` names it, ``data-value`` holds it
in plain notation); the summary figures are also embedded as JSON (``#report-figures``), for a
program that reads the page.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from ..analytics import Figures, PortfolioFigures
from ._build import Report, ReportTrade
from ._charts import CHART_NAMES, render_charts
from ._format import (
    MISSING,
    exact,
    format_money,
    format_percent,
    format_pnl,
    format_ratio,
    format_share,
)
from ._page import CSP, SCRIPT, STYLE

__all__ = ["render_html", "summary_figures", "write_html"]

_Formatter = Callable[[Decimal | None], str]
#: The figure cards: (figure name, label, formatter), read from the portfolio's figures.
_CARDS: tuple[tuple[str, str, _Formatter], ...] = (
    ("total_pnl", "Total PnL", format_pnl),
    ("realized_pnl", "Realised PnL", format_pnl),
    ("unrealized_pnl", "Unrealised PnL", format_pnl),
    ("return_percent", "Return on copy amount", format_percent),
    ("copy_amount", "Copy amount", format_money),
    ("max_drawdown.amount", "Max drawdown", format_money),
    ("max_drawdown.percent", "Max drawdown (of peak)", format_percent),
    ("sharpe_ratio", "Sharpe (365 d)", format_ratio),
    ("sortino_ratio", "Sortino (365 d)", format_ratio),
    ("stats.win_rate", "Win rate", format_share),
    ("stats.profit_factor", "Profit factor", format_ratio),
    ("stats.expectancy", "Expectancy / trade", format_pnl),
    ("stats.average_win", "Average win", format_pnl),
    ("stats.average_loss", "Average loss", format_pnl),
    ("trades_per_day", "Trades / day", format_ratio),
)
_CAPTIONS = {
    "equity": "Equity curve",
    "drawdown": "Drawdown (underwater)",
    "monthly": "PnL by month (UTC)",
    "symbols": "PnL by symbol",
    "traders": "PnL by trader",
}
_TRADE_COLUMNS = (
    "closed (UTC)",
    "follow",
    "trader",
    "symbol",
    "side",
    "size",
    "entry",
    "exit",
    "profit",
    "status",
    "order id",
)


def figure(figures: Figures, path: str) -> Any:
    """A figure by its dotted name (``"stats.win_rate"``)."""
    value: Any = figures
    for part in path.split("."):
        value = getattr(value, part)
    return value


def summary_figures(report: Report) -> dict[str, Any]:
    """The figures the page shows, JSON-ready: the portfolio's and each follow's, without the
    long series (equity curve, daily returns) that the charts draw."""

    def summary(figures: Figures) -> dict[str, Any]:
        data = figures.to_dict(mode="json")
        for series in ("equity_curve", "daily_returns", "follows"):
            data.pop(series, None)
        return data

    portfolio = summary(report.figures)
    portfolio["follows"] = [summary(f) for f in report.figures.follows]
    return {
        "title": report.title,
        "generated_at": report.to_dict(mode="json")["generated_at"],
        "source": report.source,
        "portfolio": portfolio,
    }


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (needs the ``report`` extra)."""
    figures = report.figures
    charts = render_charts(figures)
    trades = report.trades()
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{STYLE}</style></head><body><main>",
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="meta">{_meta(report)}</p>',
        _cards(figures),
        _drawdown_note(figures),
        '<h2>Charts</h2><div class="charts">',
        *(
            f'<figure id="chart-{name}"><figcaption>{_CAPTIONS[name]}</figcaption>'
            f"{charts[name]}</figure>"
            for name in CHART_NAMES
        ),
        "</div>",
        "<h2>Follows</h2>",
        _follows_table(figures),
        "<h2>By side</h2>",
        _breakdown_table(figures, "side"),
        "<h2>Trades</h2>",
        _trades(len(trades)),
        "<footer>Sharpe and Sortino: daily returns, annualised over 365 days (crypto trades every"
        " day). Money is exact in the embedded JSON; shown rounded to cents.</footer>",
        "</main>",
        _json_script("report-figures", summary_figures(report)),
        _json_script("trades-data", [_trade_row(t) for t in trades]),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_html` to ``path``, whole or not at all (written beside it, then
    renamed into place); returns the path."""
    target = Path(path)
    page = render_html(report)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def _meta(report: Report) -> str:
    figures = report.figures
    period = "no closed trade"
    if figures.start_time is not None and figures.end_time is not None:
        period = f"{figures.start_time:%Y-%m-%d} to {figures.end_time:%Y-%m-%d} (UTC)"
    follows = len(figures.follows)
    return escape(
        f"{follows} follow{'s' if follows != 1 else ''}, {figures.stats.trades:,} closed trades,"
        f" {period}; from the {'API' if report.source == 'api' else report.source};"
        f" made {report.generated_at:%Y-%m-%d %H:%M} UTC"
    )


def _value(name: str, value: Decimal | None, shown: str, *, tag: str = "span") -> str:
    """A figure as ``shown``, named and with its exact value; a signed one is coloured."""
    classes = ["num"] if tag == "td" else []
    if isinstance(value, Decimal) and shown.startswith(("+", "-")):
        classes.append("up" if value > 0 else "down")
    css = f' class="{" ".join(classes)}"' if classes else ""
    return (
        f'<{tag}{css} data-figure="{escape(name)}" data-value="{exact(value)}">'
        f"{escape(shown)}</{tag}>"
    )


def _cards(figures: PortfolioFigures) -> str:
    cards = []
    for name, label, fmt in _CARDS:
        value = figure(figures, name)
        cards.append(
            f'<div class="card"><div class="label">{label}</div>'
            f'<div class="value">{_value(name, value, fmt(value))}</div></div>'
        )
    trades = figures.stats.trades
    cards.append(
        f'<div class="card"><div class="label">Closed trades</div><div class="value">'
        f'<span data-figure="stats.trades" data-value="{trades}">{trades:,}</span></div>'
        f'<div class="note">longest losing streak {figures.stats.longest_losing_streak}</div>'
        "</div>"
    )
    return f'<div class="cards">{"".join(cards)}</div>'


def _drawdown_note(figures: PortfolioFigures) -> str:
    drawdown = figures.max_drawdown
    if drawdown.peak_time is None or drawdown.trough_time is None:
        return '<p class="meta">No drawdown: equity never fell below a peak.</p>'
    recovered = (
        f"recovered {drawdown.recovery_time:%Y-%m-%d %H:%M}"
        if drawdown.recovery_time is not None
        else "not recovered"
    )
    return (
        f'<p class="meta">Max drawdown: peak {drawdown.peak_time:%Y-%m-%d %H:%M}, trough'
        f" {drawdown.trough_time:%Y-%m-%d %H:%M}, {recovered} (UTC).</p>"
    )


_FOLLOW_COLUMNS: tuple[tuple[str, str, _Formatter], ...] = (
    ("copy_amount", "copy amount", format_money),
    ("realized_pnl", "realised", format_pnl),
    ("unrealized_pnl", "unrealised", format_pnl),
    ("total_pnl", "total PnL", format_pnl),
    ("return_percent", "return", format_percent),
    ("max_drawdown_percent", "max DD", format_percent),
    ("sharpe_ratio", "Sharpe", format_ratio),
    ("stats.win_rate", "win rate", format_share),
    ("stats.profit_factor", "profit factor", format_ratio),
)


def _follow_row(figures: Figures, follow: str, trader: str, prefix: str, css: str = "") -> str:
    cells = [
        f"<td>{escape(follow)}</td><td>{escape(trader)}</td>",
        f'<td class="num">{figures.stats.trades:,}</td>',
    ]
    for name, _, fmt in _FOLLOW_COLUMNS:
        value = figure(figures, name)
        cells.append(_value(f"{prefix}{name}", value, fmt(value), tag="td"))
    return f"<tr{css}>{''.join(cells)}</tr>"


def _follows_table(figures: PortfolioFigures) -> str:
    head = "".join(f'<th class="num">{escape(label)}</th>' for _, label, _ in _FOLLOW_COLUMNS)
    rows = [
        _follow_row(f, f.follow_id, f.trader_id or MISSING, f"follows.{f.follow_id}.")
        for f in figures.follows
    ]
    rows.append(_follow_row(figures, "total", "", "", ' class="total"'))
    return (
        '<div class="table-wrap"><table id="follows"><thead><tr><th>follow</th><th>trader</th>'
        f'<th class="num">trades</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div>"
    )


def _breakdown_table(figures: PortfolioFigures, what: str) -> str:
    groups = figures.by_side
    rows = "".join(
        f'<tr><td>{escape(g.key)}</td><td class="num">{g.trades:,}</td>'
        f'<td class="num">{format_pnl(g.realized_pnl)}</td>'
        f'<td class="num">{format_share(g.win_rate)}</td>'
        f'<td class="num">{format_ratio(g.profit_factor)}</td></tr>'
        for g in groups
    )
    return (
        f'<div class="table-wrap"><table id="by-{what}"><thead><tr><th>{what}</th>'
        '<th class="num">trades</th><th class="num">realised</th><th class="num">win rate</th>'
        f'<th class="num">profit factor</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def _trades(count: int) -> str:
    numeric = {"size", "entry", "exit", "profit"}
    head = "".join(
        f'<th data-sort="{i}"{" class=num" if name in numeric else ""}>{escape(name)}</th>'
        for i, name in enumerate(_TRADE_COLUMNS)
    )
    return (
        '<div class="pager"><input id="trades-filter" type="search" placeholder="Filter trades'
        ' (symbol, follow, side...)" aria-label="Filter trades">'
        '<button id="trades-prev" type="button">Previous</button>'
        '<button id="trades-next" type="button">Next</button>'
        f'<span id="trades-status">{count:,} trades</span></div>'
        f'<div class="table-wrap"><table id="trades"><thead><tr>{head}</tr></thead>'
        '<tbody id="trades-body"></tbody></table></div>'
        "<noscript><p>The trades table needs JavaScript; every trade is in the page's"
        " trades-data JSON.</p></noscript>"
    )


def _trade_row(trade: ReportTrade) -> list[str]:
    order = trade.order
    closed = "" if order.close_time is None else f"{order.close_time:%Y-%m-%d %H:%M:%S}"
    return [
        closed,
        trade.follow_id,
        trade.trader_id or "",
        order.symbol,
        str(order.side),
        exact(order.size),
        exact(order.entry_price),
        exact(order.exit_price),
        exact(order.profit),
        str(order.status),
        order.order_id,
    ]


def _json_script(element_id: str, data: Any) -> str:
    """JSON in a ``<script>`` element that no value can close (``<`` is escaped)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'
