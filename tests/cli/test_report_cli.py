"""``copytrade report`` and ``copytrade demo --report``: the figures match what the test works
out itself from ``copytrade history export``'s CSV, and the demo's printed total is the
report's."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from copytrade_async.sandbox import SandboxExchange

from .helpers import busiest_follow, json_of, one_line, run_cli, start_follow

FIGURES_JSON = re.compile(r'<script type="application/json" id="report-figures">(.*?)</script>')


@pytest.fixture(scope="module")
def traded() -> tuple[SandboxExchange, list[str]]:
    """Two follows with a simulated day of trades, stopped."""
    from copytrade_async.sandbox import SandboxConfig

    exchange = SandboxExchange(
        SandboxConfig(seed=11, traders=40, rate_limit=None, timestamp_tolerance_ms=None)
    )
    busy = busiest_follow(exchange, half_hours=48)
    other = start_follow(exchange, exchange.trader_ids(active=True)[9])
    exchange.advance(3600 * 6)
    for follow_id in (busy, other):
        assert run_cli("follow", "stop", follow_id, exchange=exchange).exit_code == 0
    return exchange, [busy, other]


def exported(exchange: SandboxExchange, follow_id: str) -> list[dict[str, str]]:
    result = run_cli("history", "export", follow_id, "--format", "csv", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def by_hand(rows: list[dict[str, str]], copy_amount: Decimal) -> dict[str, Any]:
    """The figures from the exported rows, worked out here: sums, counts, the running peak."""
    closed = sorted(
        (row for row in rows if row["status"] == "closed"),
        key=lambda row: (row["close_time"], row["order_id"]),
    )
    profits = [Decimal(row["profit"]) for row in closed]
    wins = [p for p in profits if p > 0]
    losses = [p for p in profits if p < 0]
    equity = peak = copy_amount
    worst = Decimal(0)
    for profit in profits:
        equity += profit
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    symbols: dict[str, Decimal] = {}
    for row, profit in zip(closed, profits, strict=True):
        symbols[row["symbol"]] = symbols.get(row["symbol"], Decimal(0)) + profit
    return {
        "trades": len(profits),
        "realized": sum(profits, Decimal(0)),
        "wins": len(wins),
        "losses": len(losses),
        "gross_profit": sum(wins, Decimal(0)),
        "gross_loss": -sum(losses, Decimal(0)),
        "max_drawdown": worst,
        "symbols": symbols,
    }


def test_json_figures_match_an_independent_computation_from_the_export(
    traded: tuple[SandboxExchange, list[str]],
) -> None:
    exchange, follows = traded
    busy, other = follows
    amounts = {busy: Decimal(2000), other: Decimal(2000)}
    args = ["report", busy, other, "--json"]
    for follow_id, amount in amounts.items():
        args += ["--copy-amount", f"{follow_id}={amount}"]
    data = json_of(run_cli(*args, exchange=exchange))
    portfolio = data["figures"]
    rows = {f: exported(exchange, f) for f in follows}
    assert len(rows[busy]) > 15

    for follow in portfolio["follows"]:
        expected = by_hand(rows[follow["follow_id"]], amounts[follow["follow_id"]])
        stats = follow["stats"]
        assert stats["trades"] == expected["trades"]
        assert Decimal(follow["realized_pnl"]) == expected["realized"]
        assert (stats["wins"], stats["losses"]) == (expected["wins"], expected["losses"])
        assert Decimal(stats["gross_profit"]) == expected["gross_profit"]
        assert Decimal(follow["max_drawdown"]["amount"]) == expected["max_drawdown"]
        assert Decimal(follow["unrealized_pnl"]) == 0  # stopped: no position left
        pnl = expected["realized"]
        assert Decimal(follow["return_percent"]) == (100 * pnl / Decimal(2000)).quantize(
            Decimal("1E-8")
        )

    together = by_hand(rows[busy] + rows[other], Decimal(0))
    assert portfolio["stats"]["trades"] == together["trades"]
    assert Decimal(portfolio["total_pnl"]) == together["realized"]
    assert Decimal(portfolio["copy_amount"]) == Decimal(4000)
    assert {b["key"]: Decimal(b["realized_pnl"]) for b in portfolio["by_symbol"]} == together[
        "symbols"
    ]
    # Money leaves as strings, never as JSON numbers.
    assert isinstance(portfolio["realized_pnl"], str)
    assert len(data["orders"][busy]) + len(data["orders"][other]) == len(rows[busy] + rows[other])


def test_table_shows_each_follow_and_the_total(traded: tuple[SandboxExchange, list[str]]) -> None:
    exchange, follows = traded
    result = run_cli("report", *follows, exchange=exchange)
    assert result.exit_code == 0, result.stderr
    rows = {f: exported(exchange, f) for f in follows}
    total = by_hand(rows[follows[0]] + rows[follows[1]], Decimal(0))["realized"]
    for follow_id in follows:
        assert follow_id in result.stdout  # whole: an id is never cut
    shown = f"{total.quantize(Decimal('0.01')):+,.2f}"
    total_line = next(line for line in result.stdout.splitlines() if re.match(r"\W*total ", line))
    assert shown in total_line
    assert re.search("[▁▂▃▄▅▆▇█]{4,}", result.stdout)  # the equity sparklines


def test_html_file_is_written(traded: tuple[SandboxExchange, list[str]], tmp_path: Path) -> None:
    exchange, follows = traded
    page = tmp_path / "report.html"
    result = run_cli("report", follows[0], "--html", str(page), "--json", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {page}" in result.stderr
    embedded = json.loads(FIGURES_JSON.search(page.read_text())[1])  # type: ignore[index]
    assert embedded["portfolio"]["total_pnl"] == json.loads(result.stdout)["figures"]["total_pnl"]


def test_without_a_follow_id_is_a_usage_error() -> None:
    result = run_cli("report")
    assert result.exit_code == 2
    assert "the API cannot list your follows" in one_line(result)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--copy-amount", "F1=1000.5.5"], "--copy-amount F1 must be a number"),
        (["--copy-amount", "F1"], "is not FOLLOW_ID=VALUE"),
        (["--trader", "=7"], "is not FOLLOW_ID=VALUE"),
    ],
)
def test_bad_options_are_refused_before_any_request(option: list[str], message: str) -> None:
    result = run_cli("report", "F1", *option)  # no credentials: a request would fail otherwise
    assert result.exit_code == 2
    assert message in one_line(result)


def test_demo_writes_its_report_and_the_totals_agree(tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    result = run_cli("demo", "--report", str(page))
    assert result.exit_code == 0, result.stderr
    printed = re.search(r"^\s+total\s+PnL\s+([+-]?[\d,.]+)\s*$", result.stdout, re.M)
    assert printed is not None, result.stdout[-800:]
    figures = json.loads(FIGURES_JSON.search(page.read_text())[1])["portfolio"]  # type: ignore[index]
    report_total = Decimal(figures["total_pnl"])
    assert Decimal(printed[1].replace(",", "")) == report_total.quantize(Decimal("0.01"))
    assert report_total == Decimal(figures["realized_pnl"])  # the demo stopped every follow
    assert figures["stats"]["trades"] > 0 and len(figures["follows"]) > 1


def test_from_a_history_store_every_follow_it_synced(
    traded: tuple[SandboxExchange, list[str]], tmp_path: Path
) -> None:
    exchange, follows = traded
    db = str(tmp_path / "history.sqlite")
    assert run_cli("history", "sync", *follows, "--db", db, exchange=exchange).exit_code == 0
    stored = json_of(run_cli("report", "--db", db, "--all", "--json"))  # no API: no exchange
    from_api = json_of(run_cli("report", *follows, "--json", exchange=exchange))
    rows = exported(exchange, follows[0]) + exported(exchange, follows[1])
    assert Decimal(stored["figures"]["realized_pnl"]) == by_hand(rows, Decimal(0))["realized"]
    assert stored["source"] == "store"
    for name in ("realized_pnl", "stats", "by_symbol", "by_month", "max_drawdown"):
        assert stored["figures"][name] == from_api["figures"][name], name
    assert sorted(f["follow_id"] for f in stored["figures"]["follows"]) == sorted(follows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all"], "--all needs --db: the API cannot list your follows"),
        (["F1", "--all", "--db"], "--all or FOLLOW_IDs, not both"),
    ],
)
def test_all_needs_a_store(args: list[str], message: str) -> None:
    result = run_cli("report", *args)
    assert result.exit_code == 2
    assert message in one_line(result)


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_no_number_is_cut_at_any_width(
    traded: tuple[SandboxExchange, list[str]], width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange, follows = traded
    monkeypatch.setenv("COLUMNS", str(width))
    data = json_of(run_cli("report", *follows, "--json", exchange=exchange))["figures"]
    result = run_cli("report", *follows, exchange=exchange)
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    for figures in [data, *data["follows"]]:
        total = Decimal(figures["total_pnl"]).quantize(Decimal("0.01"))
        assert f"{total:+,.2f}" in result.stdout  # every digit, on one line
    for follow_id in follows:
        assert follow_id in result.stdout


def test_html_without_the_report_extra_says_how_to_get_it(
    traded: tuple[SandboxExchange, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exchange, follows = traded
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    page = tmp_path / "report.html"
    result = run_cli("report", follows[0], "--html", str(page), exchange=exchange)
    assert result.exit_code == 2
    assert "pip install -e '.[report]'" in one_line(result)
    assert not page.exists() and list(tmp_path.iterdir()) == []
