"""The report's charts as inline SVG, drawn with matplotlib (the ``report`` extra).

Why matplotlib, and what the alternatives measured, is in ``docs/report.md``. Each chart is
one self-contained ``<svg>`` element: text stays text (``svg.fonttype = "none"``, so it is
small, sharp and searchable, in the reader's own sans-serif font), nothing is fetched, the
element scales with the page (its ``width`` and ``height`` are dropped for its ``viewBox``),
and its ids are prefixed with the chart's name so several charts live in one page. A bar gets
a ``<title>``: the browser shows its exact value on hover.

Curves are drawn through at most :data:`MAX_CURVE_POINTS` points: when a curve has more, each
run of consecutive points keeps its first, lowest, highest and last point, so every peak and
every trough (the maximum drawdown's among them) is still drawn where it is. The figures
themselves are never computed from what is drawn. Coordinates are floats; every number a
reader reads as text comes from the exact ``Decimal`` figures.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..analytics import Breakdown, EquityPoint, PortfolioFigures

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Each bar's SVG id and its hover title.
_Titles = list[tuple[str, str]]

__all__ = ["CHART_NAMES", "INSTALL_HINT", "MAX_CURVE_POINTS", "decimate", "render_charts"]

INSTALL_HINT = "the HTML report needs the [report] extra: pip install -e '.[report]'"
#: The most points a curve is drawn through (4 per bucket of a quarter of this).
MAX_CURVE_POINTS = 2000
#: The charts, in page order.
CHART_NAMES = ("equity", "drawdown", "monthly", "symbols", "traders")

_UP = "#1a7f37"
_DOWN = "#cf222e"
_LINE = "#0969da"
_GRID = "#d0d7de"
_TEXT = "#24292f"
_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.edgecolor": _GRID,
    "axes.labelcolor": _TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": _GRID,
    "grid.linewidth": 0.5,
    "xtick.color": _TEXT,
    "ytick.color": _TEXT,
    "path.simplify": True,
}


def decimate(
    points: Sequence[tuple[datetime, Decimal]], limit: int
) -> list[tuple[datetime, Decimal]]:
    """At most about ``limit`` of ``points`` (in order): each of ``limit // 4`` runs of
    consecutive points keeps its first, lowest, highest and last one."""
    if len(points) <= limit:
        return list(points)
    buckets = max(1, limit // 4)
    size = -(-len(points) // buckets)
    kept: list[tuple[datetime, Decimal]] = []
    for begin in range(0, len(points), size):
        run = points[begin : begin + size]
        low = min(range(len(run)), key=lambda i: run[i][1])
        high = max(range(len(run)), key=lambda i: run[i][1])
        for index in sorted({0, low, high, len(run) - 1}):
            kept.append(run[index])
    return kept


def render_charts(figures: PortfolioFigures) -> dict[str, str]:
    """Every chart of the report, by name (:data:`CHART_NAMES`), as an ``<svg>`` element."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc

    drawers = {
        "equity": _equity,
        "drawdown": _drawdown,
        "monthly": _monthly,
        "symbols": _symbols,
        "traders": _traders,
    }
    charts: dict[str, str] = {}
    for name in CHART_NAMES:
        settings: Any = {**_RC, "svg.hashsalt": name}
        with matplotlib.rc_context(settings):
            height = 3.0
            if name in ("symbols", "traders"):
                rows = len(figures.by_symbol if name == "symbols" else figures.by_trader)
                height = min(8.0, max(2.2, 0.9 + 0.24 * rows))
            figure = Figure(figsize=(6.4, height), layout="constrained")
            titles = drawers[name](figure.add_subplot(), figures)
            charts[name] = _svg(figure, name, titles)
    return charts


def _curve(figures: PortfolioFigures, value: str) -> list[tuple[datetime, Decimal]]:
    """The equity curve as (time, ``value``) points, starting from the copy amount (or 0) just
    before the first trade."""
    curve: tuple[EquityPoint, ...] = figures.equity_curve
    points = [(point.time, Decimal(getattr(point, value) or 0)) for point in curve]
    if points and figures.start_time is not None:
        start = figures.copy_amount if value == "equity" else Decimal(0)
        points.insert(0, (min(figures.start_time, points[0][0]), start or Decimal(0)))
    return decimate(points, MAX_CURVE_POINTS)


def _no_data(axes: Axes, what: str) -> _Titles:
    axes.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])
    return []


def _days(times: Sequence[datetime]) -> Any:
    """Times as matplotlib's date numbers (days since its epoch), for a date axis."""
    from matplotlib.dates import date2num

    return date2num(list(times))  # type: ignore[no-untyped-call]


def _time_axis(axes: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _equity(axes: Axes, figures: PortfolioFigures) -> _Titles:
    points = _curve(figures, "equity")
    if not points:
        return _no_data(axes, "closed trade")
    times = _days([t for t, _ in points])
    values = [float(v) for _, v in points]
    axes.plot(times, values, color=_LINE, linewidth=1.2)
    if figures.copy_amount is not None:
        axes.axhline(float(figures.copy_amount), color=_TEXT, linewidth=0.6, linestyle="--")
    axes.set_ylabel("equity" if figures.copy_amount is not None else "cumulative PnL")
    _time_axis(axes)
    return []


def _drawdown(axes: Axes, figures: PortfolioFigures) -> _Titles:
    percent = figures.copy_amount is not None
    points = _curve(figures, "drawdown_percent" if percent else "drawdown")
    if not points:
        return _no_data(axes, "closed trade")
    times = _days([t for t, _ in points])
    values = [-float(v) for _, v in points]
    axes.fill_between(times, values, 0, color=_DOWN, alpha=0.35, linewidth=0)
    axes.plot(times, values, color=_DOWN, linewidth=0.8)
    axes.set_ylabel("below the peak (%)" if percent else "below the peak")
    axes.set_ylim(top=0)
    _time_axis(axes)
    return []


def _bar_colors(values: Sequence[Decimal]) -> list[str]:
    return [_UP if value >= 0 else _DOWN for value in values]


def _monthly(axes: Axes, figures: PortfolioFigures) -> _Titles:
    months = figures.by_month
    if not months:
        return _no_data(axes, "closed trade")
    values = [m.realized_pnl for m in months]
    bars = axes.bar(
        [m.key for m in months], [float(v) for v in values], color=_bar_colors(values), width=0.6
    )
    pad = max(0.0, (6 - len(months)) / 2)  # a few months: bars of a sensible width, centred
    axes.set_xlim(-0.5 - pad, len(months) - 0.5 + pad)
    axes.axhline(0, color=_TEXT, linewidth=0.6)
    axes.set_ylabel("realised PnL")
    if len(months) > 6:
        axes.tick_params(axis="x", labelrotation=60)
    axes.grid(axis="x", visible=False)
    return _titles(bars, [f"{m.key}: {m.realized_pnl:f} ({m.trades} trades)" for m in months])


def _ranked(axes: Axes, groups: Sequence[Breakdown], what: str) -> _Titles:
    if not groups:
        return _no_data(axes, what)
    ordered = sorted(groups, key=lambda g: (g.realized_pnl, g.key))
    values = [g.realized_pnl for g in ordered]
    bars = axes.barh(
        [g.key for g in ordered], [float(v) for v in values], color=_bar_colors(values)
    )
    axes.axvline(0, color=_TEXT, linewidth=0.6)
    axes.set_xlabel("realised PnL")
    axes.grid(axis="y", visible=False)
    return _titles(bars, [f"{g.key}: {g.realized_pnl:f} ({g.trades} trades)" for g in ordered])


def _symbols(axes: Axes, figures: PortfolioFigures) -> _Titles:
    return _ranked(axes, figures.by_symbol, "closed trade")


def _traders(axes: Axes, figures: PortfolioFigures) -> _Titles:
    return _ranked(axes, figures.by_trader, "closed trade")


def _titles(bars: Any, titles: Sequence[str]) -> _Titles:
    """Names each bar (its SVG group's id) and pairs the name with its hover title."""
    for index, bar in enumerate(bars):
        bar.set_gid(f"bar{index}")
    return [(f"bar{index}", title) for index, title in enumerate(titles)]


_ID = re.compile(r'(\bid="|url\(#|xlink:href="#)')


def _svg(figure: Figure, name: str, titles: _Titles) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'<svg[^>]*?(viewBox="[^"]*")[^>]*>', _root(name), text, count=1)
    text = _ID.sub(lambda m: f"{m.group(1)}{name}-", text)
    for gid, title in titles:
        group = f'<g id="{name}-{gid}">'
        text = text.replace(group, f"{group}<title>{_escape(title)}</title>", 1)
    return re.sub(r"<!--.*?-->\n?", "", text, flags=re.S).strip()


def _root(name: str) -> Any:
    def replace(match: re.Match[str]) -> str:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' {match.group(1)} class="chart" data-chart="{name}" role="img">'
        )

    return replace


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
