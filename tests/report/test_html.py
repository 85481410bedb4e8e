"""The HTML page: one file, nothing fetched, every chart drawn, the figures it embeds and shows
are the ones worked out here, and 10,000 trades stay under 3 MB."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from copytrade_async.report import CHART_NAMES, Report, render_html, report_from_orders, write_html

from .conftest import bulk, order

MB = 1024 * 1024


def embedded(page: str, element_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page)
    assert match is not None, element_id
    return json.loads(match[1])


class Elements(HTMLParser):
    """Every start tag's attributes, and the text of each ``data-figure`` element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.figures: dict[str, tuple[str, str]] = {}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        name = values.get("data-figure")
        if name is not None:
            self._open = name
            self.figures[name] = (values.get("data-value") or "", "")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            value, _ = self.figures[self._open]
            self.figures[self._open] = (value, data)
            self._open = None


@pytest.fixture(scope="module")
def small() -> tuple[Report, str]:
    orders = {
        "F1": [
            order("1", "120.50", 1),
            order("2", "-80.25", 30, symbol="ETHUSDT", side="sell"),
            order("3", "40", 800),
            order("4", "5", 801, status="open"),
        ],
        "F2": [order("7", "-10", 2, symbol="ETHUSDT"), order("8", "30", 900)],
    }
    report = report_from_orders(
        orders, copy_amounts={"F1": 1000, "F2": 500}, traders={"F1": "T1", "F2": "T2"}
    )
    return report, render_html(report)


def test_embedded_figures_are_the_ones_worked_out_by_hand(small: tuple[Report, str]) -> None:
    _, page = small
    figures = embedded(page, "report-figures")["portfolio"]
    # Closed trades only: 120.50 - 80.25 + 40 - 10 + 30.
    assert Decimal(figures["realized_pnl"]) == Decimal("100.25")
    assert Decimal(figures["copy_amount"]) == Decimal(1500)
    assert Decimal(figures["return_percent"]) == Decimal("6.68333333")  # 10025 / 1500, 8 places
    assert figures["stats"]["trades"] == 5 and figures["open_orders"] == 1
    assert {b["key"]: b["realized_pnl"] for b in figures["by_symbol"]} == {
        "BTCUSDT": "190.50",
        "ETHUSDT": "-90.25",
    }
    assert {b["key"]: b["realized_pnl"] for b in figures["by_month"]} == {
        "2024-03": "30.25",  # 120.50 - 10 - 80.25 (the first three closes, by hand)
        "2024-04": "70",  # 800 h and 900 h after March 1st
    }
    assert [f["follow_id"] for f in figures["follows"]] == ["F1", "F2"]
    assert "equity_curve" not in figures  # the charts draw it; the JSON stays small


def test_shown_figures_carry_their_exact_value_and_round_it(small: tuple[Report, str]) -> None:
    report, page = small
    parser = Elements()
    parser.feed(page)
    value, text = parser.figures["total_pnl"]
    assert value == format(report.figures.total_pnl, "f") == "100.25"
    assert text == "+100.25"
    value, text = parser.figures["stats.win_rate"]
    assert Decimal(value) == Decimal(3) / 5  # 3 wins of 5 closed trades
    assert text == "60.0 %"
    value, text = parser.figures["follows.F2.realized_pnl"]
    assert (value, text) == ("20", "+20.00")
    value, text = parser.figures["sharpe_ratio"]
    assert value == "" or Decimal(value).quantize(Decimal("0.01")) == Decimal(text)


def test_the_page_fetches_nothing_and_draws_every_chart(small: tuple[Report, str]) -> None:
    _, page = small
    parser = Elements()
    parser.feed(page)
    for tag, attrs in parser.tags:
        for name in ("src", "href", "xlink:href", "action", "srcset", "data"):
            target = attrs.get(name)
            assert target is None or target.startswith("#"), (tag, name, target)
    assert "@import" not in page and "url(http" not in page and "<link" not in page
    assert "default-src 'none'" in page  # the Content-Security-Policy forbids the rest
    charts = [attrs for tag, attrs in parser.tags if tag == "svg"]
    assert [c["data-chart"] for c in charts] == list(CHART_NAMES)
    for name in CHART_NAMES:
        svg = re.search(rf'<svg[^>]*data-chart="{name}".*?</svg>', page, re.S)
        assert svg is not None and len(re.findall(r"<path", svg[0])) > 5, name
    ids = [attrs["id"] for _, attrs in parser.tags if attrs.get("id")]
    assert len(ids) == len(set(ids))  # several charts, one page: no id twice


def test_server_text_cannot_break_out_of_the_page() -> None:
    evil = "</script><script>alert(1)</script>"
    report = report_from_orders({"F1": [order("1", "5", 1, symbol=evil)]}, title="<b>me</b>")
    page = render_html(report)
    assert "alert(1)</script>" not in page and "<b>me</b>" not in page
    assert embedded(page, "trades-data")[0][3] == evil  # still exact, as data


def test_ten_thousand_trades_stay_under_3_mb(tmp_path: Path) -> None:
    orders = bulk(trades=10_000, follows=10)
    report = report_from_orders(orders, copy_amounts=dict.fromkeys(orders, 5000))
    path = write_html(report, tmp_path / "big.html")
    size = path.stat().st_size
    assert size < 3 * MB, f"{size / MB:.2f} MB"
    page = path.read_text()
    rows = embedded(page, "trades-data")
    assert len(rows) == 10_000
    total = sum((Decimal(row[8]) for row in rows), Decimal(0))
    assert Decimal(embedded(page, "report-figures")["portfolio"]["realized_pnl"]) == total


@pytest.mark.parametrize("hours", [0, 0.5, 72, 1000, 30000])
def test_every_time_span_draws_without_a_warning(hours: float) -> None:
    # pytest turns warnings into errors: matplotlib's date axis must find its ticks alone.
    trades = 30
    orders = [
        order(f"{i}", f"{(-1) ** i * (i + 1)}", 1 + hours * i / trades) for i in range(trades)
    ]
    page = render_html(report_from_orders({"F1": orders}, copy_amounts={"F1": 100}))
    assert page.count("<svg") == len(CHART_NAMES)
