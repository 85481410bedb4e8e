"""``copytrade history export``: every record, exactly, as CSV, JSON or JSON lines."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from rich.progress import Progress, TaskID

from copytrade_async._cli import _history as history_module
from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxExchange

from .helpers import busiest_follow, one_line, run_cli, start_follow

make_progress = history_module._progress

#: The CSV header and JSON keys, with the exchange's name of each field.
WIRE_NAMES = {
    "order_id": "orderId",
    "symbol": "symbol",
    "side": "side",
    "size": "size",
    "entry_price": "entryPrice",
    "profit": "profit",
    "leverage": "leverage",
    "status": "status",
    "create_time": "createTime",
    "exit_price": "exitPrice",  # with the close time: neither is known while an order is open
    "close_time": "closeTime",
}
COLUMNS = list(WIRE_NAMES)


def ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo == UTC
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


@pytest.fixture
def traded(exchange: SandboxExchange) -> tuple[str, list[dict[str, Any]]]:
    """A stopped follow with a few dozen closed trades, and its history as the wire has it."""
    follow_id = busiest_follow(exchange, half_hours=48)  # a simulated day
    assert run_cli("follow", "stop", follow_id, exchange=exchange).exit_code == 0
    raw = exchange.history(SANDBOX_API_KEY, follow_id, page_size=100)
    records = [dict(item) for item in cast("list[Mapping[str, Any]]", raw["list"])]
    assert 15 < len(records) < 100, len(records)
    return follow_id, records


def check_rows(rows: list[dict[str, Any]], wire: list[dict[str, Any]]) -> None:
    """Every record, newest first, each field exactly what the exchange sent."""
    assert [row["order_id"] for row in rows] == [record["orderId"] for record in wire]
    for row, record in zip(rows, wire, strict=True):
        assert list(row) == COLUMNS
        for name in ("symbol", "side", "size", "entry_price", "exit_price", "profit", "leverage"):
            assert row[name] == record[WIRE_NAMES[name]], name  # Decimal strings intact
        assert ms(row["create_time"]) == record["createTime"]
        assert ms(row["close_time"]) == record["closeTime"]


def test_export_csv_to_stdout_over_several_pages(
    exchange: SandboxExchange, traded: tuple[str, list[dict[str, Any]]]
) -> None:
    follow_id, wire = traded
    result = run_cli("history", "export", follow_id, "--page-size", "7", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    check_rows(rows, wire)
    pages = -(-len(wire) // 7)
    assert result.stderr == f"exported {len(wire)} trades ({pages} pages) to stdout\n"


def test_export_json_lines_to_a_file(
    exchange: SandboxExchange, traded: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    follow_id, wire = traded
    target = tmp_path / "history.jsonl"
    args = ("history", "export", follow_id, "--format", "jsonl", "-o", str(target))
    result = run_cli(*args, exchange=exchange)
    assert result.exit_code == 0 and result.stdout == ""
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    check_rows(rows, wire)
    assert [p.name for p in tmp_path.iterdir()] == ["history.jsonl"]


def test_export_between_times(
    exchange: SandboxExchange, traded: tuple[str, list[dict[str, Any]]]
) -> None:
    follow_id, wire = traded
    closes = sorted(record["closeTime"] for record in wire)
    low, high = closes[3], closes[-4]
    start = datetime.fromtimestamp(low / 1000, UTC).isoformat(timespec="milliseconds")
    args = ("history", "export", follow_id, "--format", "jsonl", "--start", start)
    result = run_cli(*args, "--end", str(high), exchange=exchange)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    check_rows(rows, [r for r in wire if low <= r["closeTime"] <= high])
    assert 0 < len(rows) < len(wire)


def test_progress_counts_records_on_stderr_and_stdout_stays_clean(
    exchange: SandboxExchange,
    traded: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    follow_id, wire = traded
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws the bar as on a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    made: list[Progress] = []
    updates: list[dict[str, Any]] = []

    def recorded() -> Progress:
        progress = make_progress()
        update = progress.update

        def record(task: TaskID, **fields: Any) -> None:
            updates.append(fields)
            update(task, **fields)

        monkeypatch.setattr(progress, "update", record)
        made.append(progress)
        return progress

    monkeypatch.setattr(history_module, "_progress", recorded)
    result = run_cli("history", "export", follow_id, "--page-size", "7", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    check_rows(list(csv.DictReader(io.StringIO(result.stdout))), wire)
    n = len(wire)
    # From the first page on, the bar counts records toward the total the first page gave.
    assert [(u["completed"], u["total"]) for u in updates] == [
        (min(done, n), n) for done in range(7, n + 7, 7)
    ]
    (progress,) = made
    (task,) = progress.tasks
    assert task.completed == task.total == n and task.finished
    kinds = {type(column).__name__ for column in progress.columns}
    assert {"BarColumn", "MofNCompleteColumn", "TimeRemainingColumn"} <= kinds
    drawn = result.stderr
    assert f"{n}/{n} records" in drawn
    assert re.search(r"\d[\d,]* records/s", drawn), drawn  # the rate
    assert re.search(r"eta \d+:\d\d:\d\d", drawn), drawn  # the time remaining
    assert drawn.endswith(f"exported {n} trades ({-(-n // 7)} pages) to stdout\n")


@pytest.mark.parametrize(
    "args",
    [
        ("history", "export", "--format", "json"),
        ("--json", "history", "export"),
        ("history", "export", "--json"),
        ("--json", "history", "export", "--format", "json"),
    ],
)
def test_export_as_one_json_array(
    exchange: SandboxExchange, traded: tuple[str, list[dict[str, Any]]], args: tuple[str, ...]
) -> None:
    follow_id, wire = traded
    result = run_cli(*args, follow_id, "--page-size", "9", exchange=exchange)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    check_rows(rows, wire)
    # One record per line, between the brackets: a long history streams.
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-1], len(lines)) == ("[", "]", len(wire) + 2)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_global_json_and_another_format_are_refused_in_one_line(fmt: str) -> None:
    result = run_cli("--sandbox", "--json", "history", "export", "77", "--format", fmt)
    assert result.exit_code == 2
    assert one_line(result) == f"error: --json and --format {fmt} disagree: give one of them"


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_an_export_that_fails_at_once_writes_nothing_to_stdout(fmt: str) -> None:
    result = run_cli("--sandbox", "history", "export", "77", "--format", fmt)
    assert result.exit_code == 1
    assert one_line(result) == "error: history.list: code 40034: follow not found (HTTP 400)"


def test_an_export_of_no_trade_is_a_header_an_empty_array_or_nothing(
    exchange: SandboxExchange, tmp_path: Path
) -> None:
    follow_id = start_follow(exchange, exchange.trader_ids(active=True)[0])  # nothing closed yet
    as_csv = run_cli("history", "export", follow_id, exchange=exchange)
    assert as_csv.exit_code == 0, as_csv.stderr
    assert as_csv.stdout == ",".join(COLUMNS) + "\n"  # an empty table, still a CSV file
    assert as_csv.stderr == "exported 0 trades (1 page) to stdout\n"
    as_jsonl = run_cli("history", "export", follow_id, "--format", "jsonl", exchange=exchange)
    assert as_jsonl.exit_code == 0 and as_jsonl.stdout == ""
    as_json = run_cli("history", "export", follow_id, "--format", "json", exchange=exchange)
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []
    target = tmp_path / "empty.csv"
    to_file = run_cli("history", "export", follow_id, "-o", str(target), exchange=exchange)
    assert to_file.exit_code == 0 and to_file.stdout == ""
    assert target.read_text() == ",".join(COLUMNS) + "\n"


def test_export_errors(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = run_cli("--sandbox", "history", "export", "77", "-o", str(target))
    assert result.exit_code == 1
    assert one_line(result) == "error: history.list: code 40034: follow not found (HTTP 400)"
    assert list(tmp_path.iterdir()) == []  # no partial file, no leftover temporary file

    bad_time = run_cli("--sandbox", "history", "export", "77", "--start", "yesterday")
    assert bad_time.exit_code == 2 and one_line(bad_time).startswith(
        "error: invalid value for '--start': 'yesterday' is neither ISO 8601"
    )
    backwards = ("--start", "2024-02-01T00:00:00Z", "--end", "2024-01-01")
    reversed_range = run_cli("--sandbox", "history", "export", "77", *backwards)
    assert reversed_range.exit_code == 2
    assert one_line(reversed_range) == "error: --start must not be after --end"
