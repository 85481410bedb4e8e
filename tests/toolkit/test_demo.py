"""The demo workflow on the sandbox: consistent numbers, a readable report, deterministic."""

from __future__ import annotations

import io
from decimal import Decimal

from copytrade_async.toolkit import (
    DemoReport,
    PositionClosed,
    PositionOpened,
    RoundCompleted,
    run_demo,
)


async def test_demo_report_is_consistent() -> None:
    out = io.StringIO()
    report = await run_demo(seed=7, out=out)
    assert isinstance(report, DemoReport)
    assert report.exit_status == 0 and report.error is None
    assert report.portfolio is not None
    assert len(report.chosen) == len(report.results) == len(report.portfolio.allocations) == 4
    assert report.total_pnl == sum((r.realized_pnl for r in report.results), Decimal(0))
    assert report.budget == Decimal("0.2") * report.balance
    assert sum((r.copy_amount for r in report.results), Decimal(0)) <= report.budget
    assert report.rounds == 24
    assert len([e for e in report.events if isinstance(e, RoundCompleted)]) == 24
    assert any(isinstance(e, PositionOpened) for e in report.events)
    scores = [entry.score.score for entry in report.chosen]
    assert scores == sorted(scores, reverse=True)
    text = out.getvalue()
    assert text == report.text
    for entry in report.chosen:
        assert entry.detail.nick_name in text and str(entry.score.score) in text
    assert f"{report.total_pnl:+.2f}" in text
    assert text.endswith(f"{report.total_pnl:+.2f}\n")  # the exit code says how it went
    assert "exit status" not in text
    assert report.elapsed_seconds < 15


async def test_demo_names_realised_and_unrealised_pnl_apart() -> None:
    report = await run_demo(seed=7)
    lines = report.text.splitlines()
    closed = [e for e in report.events if isinstance(e, PositionClosed)]
    assert closed and all(e.realized_pnl is not None for e in closed)
    closing_lines = [line for line in lines if "position closed:" in line]
    assert len(closing_lines) == len(closed)
    for event, line in zip(closed, closing_lines, strict=True):
        # A closed position's result is realised, as the history says; never "unrealized".
        assert line.endswith(f"(realized {event.realized_pnl:+.2f})") and "unrealized" not in line
    # The last round's PnL of each follow, realised and unrealised apart, by hand.
    last = [e for e in report.events if isinstance(e, RoundCompleted)][-1]
    assert len(last.pnl) == 4
    start = lines.index(
        f"   after round {last.round} (PnL % = (realized + unrealized) / copy amount):"
    )
    for snapshot, line in zip(last.pnl, lines[start + 1 : start + 5], strict=True):
        assert snapshot.realized_pnl is not None and snapshot.copy_amount is not None
        percent = (
            100 * (snapshot.realized_pnl + snapshot.unrealized_pnl) / snapshot.copy_amount
        ).quantize(Decimal("0.01"))
        assert f"realized {snapshot.realized_pnl:+.2f}".replace(" ", "") in line.replace(" ", "")
        assert f"unrealized {snapshot.unrealized_pnl:+.2f}".replace(" ", "") in line.replace(
            " ", ""
        )
        assert line.split()[-2:] == ["PnL", f"{percent:+.2f}%"]


async def test_demo_is_deterministic_for_a_seed() -> None:
    first = await run_demo(seed=3, traders=40, rounds=4, max_traders=2)
    second = await run_demo(seed=3, traders=40, rounds=4, max_traders=2)
    assert first.text == second.text
    assert first.total_pnl == second.total_pnl
    other = await run_demo(seed=4, traders=40, rounds=4, max_traders=2)
    assert other.text != first.text


async def test_demo_reports_a_failure_with_a_non_zero_status() -> None:
    report = await run_demo(seed=1, traders=1, rounds=1)
    assert report.exit_status == 1
    assert report.error == "no trader qualified"
    assert not report.results and report.total_pnl == 0
    assert report.text.endswith("\nerror: no trader qualified\n")
    assert "exit status" not in report.text
