"""``copytrade history sync`` and ``history show`` against the in-process sandbox."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from copytrade_async.sandbox import SandboxExchange

from .helpers import run_cli, with_client


def _follows(exchange: SandboxExchange, count: int) -> list[str]:
    async def start(client: object) -> list[str]:
        ids = []
        for trader_id in exchange.trader_ids(active=True)[:count]:
            follow = await client.follows.start(  # type: ignore[attr-defined]
                trader_id=trader_id, copy_amount=500, leverage=3
            )
            ids.append(follow.follow_id)
        return ids

    ids = with_client(exchange, start)
    exchange.advance(86_400)
    return ids


def _closed(exchange: SandboxExchange, follow_id: str) -> int:
    return exchange.follow_info(follow_id).closed_trades


def test_sync_then_show_from_the_store(exchange: SandboxExchange, tmp_path: Path) -> None:
    follows = _follows(exchange, 2)
    db = str(tmp_path / "h.sqlite3")
    result = run_cli("history", "sync", *follows, "--db", db, exchange=exchange)
    assert result.exit_code == 0, result.stderr
    assert f"creating {db}" in result.stderr
    for follow_id in follows:
        assert f"{follow_id}: {_closed(exchange, follow_id)} orders written" in result.stderr
    shown = run_cli("history", "show", follows[0], "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert len(rows) == _closed(exchange, follows[0])
    from_api = run_cli("history", "show", follows[0], "--format", "json", exchange=exchange)
    from_db = run_cli("history", "show", follows[0], "--db", db, "--format", "json")
    assert json.loads(from_api.stdout) == json.loads(from_db.stdout)
    table = run_cli("history", "show", follows[0], "--db", db)
    assert table.exit_code == 0 and rows[0]["order_id"] in table.stdout
    again = run_cli("history", "sync", *follows, "--db", db, exchange=exchange)
    assert "creating" not in again.stderr


def test_sync_refuses_a_bad_url(exchange: SandboxExchange) -> None:
    result = run_cli("history", "sync", "123", "--db", "mysql://x/y", exchange=exchange)
    assert result.exit_code == 2
    assert "postgresql://" in result.stderr


def test_default_store_is_in_the_user_data_dir(
    exchange: SandboxExchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    follows = _follows(exchange, 1)
    result = run_cli("history", "sync", *follows, exchange=exchange)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "copytrade" / "history.sqlite3"
    assert f"creating {path}" in result.stderr and path.exists()
    shown = run_cli("history", "show", follows[0], "--db", "--format", "jsonl")
    assert len(shown.stdout.splitlines()) == _closed(exchange, follows[0])


def test_ctrl_c_says_how_far_each_follow_got_and_the_next_sync_finishes(
    exchange: SandboxExchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copytrade_async.store import HistoryStore, SyncProgress

    follows = _follows(exchange, 2)
    db = str(tmp_path / "h.sqlite3")
    real_sync = HistoryStore.sync

    async def interrupted(self: HistoryStore, *args: Any, **kwargs: Any) -> Any:
        given = kwargs["on_page"]
        pages = 0

        def on_page(progress: SyncProgress) -> None:
            nonlocal pages
            given(progress)
            pages += 1
            if pages == 2:  # Ctrl-C after the second committed page
                raise KeyboardInterrupt

        kwargs["on_page"] = on_page
        return await real_sync(self, *args, **kwargs)

    monkeypatch.setattr(HistoryStore, "sync", interrupted)
    result = run_cli("history", "sync", *follows, "--db", db, "--page-size", "3", exchange=exchange)
    assert result.exit_code == 130
    lines = result.stderr.splitlines()
    assert lines[-1] == "interrupted"
    assert any(f"{follows[0]}: 5 orders written, walked back to" in line for line in lines)
    assert f"{follows[1]}: not started in this run" in result.stderr
    monkeypatch.setattr(HistoryStore, "sync", real_sync)
    done = run_cli("history", "sync", *follows, "--db", db, exchange=exchange)
    assert done.exit_code == 0, done.stderr
    shown = run_cli("history", "show", follows[0], "--db", db, "--format", "jsonl")
    ids = [json.loads(line)["order_id"] for line in shown.stdout.splitlines()]
    assert len(ids) == len(set(ids)) == _closed(exchange, follows[0])


def test_every_syncs_again_until_ctrl_c(
    exchange: SandboxExchange, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copytrade_async._cli import _store

    follows = _follows(exchange, 1)
    rounds: list[float] = []

    async def sleep(seconds: float) -> None:
        rounds.append(seconds)
        exchange.advance(3600)  # trades close between the rounds
        if len(rounds) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(_store, "_pause", sleep)
    db = str(tmp_path / "h.sqlite3")
    result = run_cli("history", "sync", *follows, "--db", db, "--every", "30", exchange=exchange)
    assert result.exit_code == 130 and rounds == [30.0, 30.0]
    assert result.stderr.count(f"{follows[0]}: ") >= 3  # three summaries, then how far it got
    shown = run_cli("history", "show", follows[0], "--db", db, "--format", "jsonl")
    # The third round was cut before it ran: the store has what the second round saw.
    assert len(shown.stdout.splitlines()) <= _closed(exchange, follows[0])
