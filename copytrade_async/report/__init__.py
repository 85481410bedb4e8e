"""A copy-trading report: the figures of one or many follows, on a terminal, as JSON, and as
one self-contained HTML page with charts::

    report = await build_report(client, [follow_id], copy_amounts={follow_id: 1000})
    print(report.figures.total_pnl, report.figures.max_drawdown.percent)
    write_html(report, "report.html")  # the [report] extra: pip install -e '.[report]'

:func:`build_report` reads a client (the follows you name: the API cannot list them) or a
history store (every follow it has synced); :func:`report_from_orders` computes from orders in
hand. The figures are :mod:`copytrade_async.analytics`'. :func:`render_html` and
:func:`write_html` draw the page (charts by matplotlib, in the ``report`` extra); everything
else here needs nothing beyond the core install.
"""

from ._build import Report, ReportTrade, build_report, report_from_orders
from ._charts import CHART_NAMES, MAX_CURVE_POINTS, decimate, render_charts
from ._format import (
    MISSING,
    SPARK_BLOCKS,
    exact,
    format_money,
    format_percent,
    format_pnl,
    format_ratio,
    format_share,
    sparkline,
)
from ._html import render_html, summary_figures, write_html
from ._source import FollowRef, HistorySource, KnownFollow

__all__ = [
    "CHART_NAMES",
    "MAX_CURVE_POINTS",
    "MISSING",
    "SPARK_BLOCKS",
    "FollowRef",
    "HistorySource",
    "KnownFollow",
    "Report",
    "ReportTrade",
    "build_report",
    "decimate",
    "exact",
    "format_money",
    "format_percent",
    "format_pnl",
    "format_ratio",
    "format_share",
    "render_charts",
    "render_html",
    "report_from_orders",
    "sparkline",
    "summary_figures",
    "write_html",
]
