"""The report: figures for 100,000 trades over 50 follows, and the HTML page of 10,000 trades.

Computing is :func:`copytrade_async.report.report_from_orders` (the analytics' figures of every
follow and of the portfolio, and the trades table) over orders already in memory, so no I/O is
timed; median of 3. The page is :func:`~copytrade_async.report.write_html` (matplotlib's
charts, the table's JSON): its size, and the time to draw it. Targets: computing under 2 s,
the page under 3 MB. ``--alternatives`` also draws the same charts with Vega-Lite through
vl-convert-python (when installed) and prints Plotly's inlined JavaScript's size (when plotly
is installed), the figures ``docs/report.md`` compares.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import arguments, headline, median, save, verdict

from copytrade_async import HistoryOrder, OrderSide, OrderStatus
from copytrade_async.report import Report, decimate, report_from_orders, write_html

TARGET_S = 2.0
TARGET_MB = 3.0
MB = 1024 * 1024
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "ADAUSDT", "DOGEUSDT")


def orders(trades: int, follows: int, seed: int = 1) -> dict[str, list[HistoryOrder]]:
    """``trades`` closed orders over ``follows`` follows and a year, profits in cents."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    book: dict[str, list[HistoryOrder]] = {f"{1_000_000 + i}": [] for i in range(follows)}
    names = list(book)
    for number in range(trades):
        closed = start + timedelta(seconds=number * 365 * 86400 // trades + 60)
        book[names[number % follows]].append(
            HistoryOrder(
                order_id=str(10_000_000 + number),
                symbol=rng.choice(SYMBOLS),
                side=OrderSide(rng.choice(("buy", "sell"))),
                size=Decimal(rng.randint(1, 500)) / 100,
                entry_price=Decimal(rng.randint(100_000, 7_000_000)) / 100,
                profit=Decimal(rng.randint(-9000, 9600)) / 100,
                leverage=Decimal(10),
                status=OrderStatus.CLOSED,
                create_time=closed - timedelta(minutes=rng.randint(1, 600)),
                exit_price=Decimal(rng.randint(100_000, 7_000_000)) / 100,
                close_time=closed,
            )
        )
    return book


def build(book: dict[str, list[HistoryOrder]]) -> Report:
    return report_from_orders(
        book,
        copy_amounts=dict.fromkeys(book, 2000),
        traders={f: f"T{i % 12}" for i, f in enumerate(book)},
    )


def compute(trades: int, follows: int, rounds: int) -> dict[str, Any]:
    book = orders(trades, follows)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        report = build(book)
        times.append(time.perf_counter() - started)
    assert report.figures.stats.trades == trades
    seconds = median(times)
    print(f"  {trades:,} trades over {follows} follows: {seconds:.2f} s (median of {rounds})")
    return {"trades": trades, "follows": follows, "seconds": round(seconds, 3)}


def page(trades: int, follows: int) -> tuple[Report, dict[str, Any]]:
    report = build(orders(trades, follows, seed=2))
    with tempfile.TemporaryDirectory() as scratch:
        write_html(report, Path(scratch) / "warm.html")  # matplotlib's import and fonts
        started = time.perf_counter()
        path = write_html(report, Path(scratch) / "report.html")
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    print(f"  HTML of {trades:,} trades: {size / MB:.2f} MB, drawn in {seconds:.2f} s")
    return report, {"trades": trades, "mb": round(size / MB, 2), "seconds": round(seconds, 2)}


def vega_specs(report: Report) -> list[dict[str, Any]]:
    """The report's five charts as Vega-Lite, from the same (thinned) data matplotlib draws."""
    figures = report.figures
    curve = [(p.time, p.equity) for p in figures.equity_curve]
    under = [(p.time, -(p.drawdown_percent or Decimal(0))) for p in figures.equity_curve]

    def series(points: list[tuple[datetime, Decimal]]) -> list[dict[str, Any]]:
        return [{"t": t.isoformat(), "v": float(v)} for t, v in decimate(points, 2000)]

    def bars(groups: Any, horizontal: bool) -> dict[str, Any]:
        values = [{"k": g.key, "v": float(g.realized_pnl)} for g in groups]
        key = {"field": "k", "type": "nominal", "sort": "-x" if horizontal else None}
        value = {"field": "v", "type": "quantitative", "title": "realised PnL"}
        return {
            "data": {"values": values},
            "mark": "bar",
            "encoding": {"y": key, "x": value} if horizontal else {"x": key, "y": value},
        }

    line = {"x": {"field": "t", "type": "temporal"}, "y": {"field": "v", "type": "quantitative"}}
    return [
        {"data": {"values": series(curve)}, "mark": "line", "encoding": line},
        {"data": {"values": series(under)}, "mark": "area", "encoding": line},
        bars(figures.by_month, False),
        bars(figures.by_symbol, True),
        bars(figures.by_trader, True),
    ]


def alternatives(report: Report) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        import vl_convert
    except ImportError:
        print("  vl-convert-python: not installed (pip install vl-convert-python)")
    else:
        started = time.perf_counter()
        svgs = []
        for spec in vega_specs(report):
            spec.update(width=560, height=260)
            svgs.append(vl_convert.vegalite_to_svg(json.dumps(spec)))
        seconds = time.perf_counter() - started
        size = sum(len(svg.encode()) for svg in svgs)
        print(f"  vl-convert: the 5 charts {size / 1024:,.0f} KB, drawn in {seconds:.2f} s")
        found["vl_convert"] = {"charts_kb": round(size / 1024), "seconds": round(seconds, 2)}
    try:
        import plotly
    except ImportError:
        print("  plotly: not installed")
    else:
        script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        size = script.stat().st_size
        print(f"  plotly: its JavaScript alone, inlined, is {size / MB:.2f} MB")
        found["plotly_js_mb"] = round(size / MB, 2)
    return found


def charts_kb(report: Report) -> int:
    from copytrade_async.report import render_charts

    return round(sum(len(svg.encode()) for svg in render_charts(report.figures).values()) / 1024)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__)
    parser.add_argument("--alternatives", action="store_true", help="also vl-convert, plotly")
    args = parser.parse_args(argv)
    quick = args.quick
    headline("7. Report: figures and HTML" + (" (quick)" if quick else ""))
    figures = compute(5_000 if quick else 100_000, 5 if quick else 50, 1 if quick else 3)
    report, html = page(1_000 if quick else 10_000, 10)
    html["charts_kb"] = charts_kb(report)
    print(f"  of which the 5 charts (matplotlib SVG): {html['charts_kb']:,} KB")
    met = None if quick else figures["seconds"] < TARGET_S and html["mb"] < TARGET_MB
    results: dict[str, Any] = {"compute": figures, "html": html, "met": met}
    if args.alternatives:
        results["alternatives"] = alternatives(report)
    print(f"  targets (< {TARGET_S} s, < {TARGET_MB} MB): {verdict(met)}")
    return save(results, args.json)


if __name__ == "__main__":
    main()
