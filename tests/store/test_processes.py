"""Syncs in their own processes against a served sandbox: killed with SIGKILL at random points
and resumed (SQLite and Postgres), and two at once on overlapping follows into one Postgres."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from copytrade_async.sandbox import Faults, SandboxExchange, SandboxServer, sandbox_client
from copytrade_async.store import HistoryStore

from .helpers import advance, books, history_config, order_row, start_follows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[tuple[SandboxExchange, list[str], str]]:
    """A served sandbox with four follows and a day of history, and its URL."""
    exchange = SandboxExchange(history_config(seed=21))

    async def setup() -> list[str]:
        async with sandbox_client(exchange=exchange, rate_limits=None) as client:
            return await start_follows(client, 4)

    follows = asyncio.run(setup())
    advance(exchange, 86_400)
    server = SandboxServer(exchange).start_thread()
    try:
        yield exchange, follows, server.url
    finally:
        server.stop()
        server.join()


def worker(url: str, db_url: str, follows: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.sync_worker", url, db_url, *follows],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def stored(db_url: str, follows: list[str]) -> dict[str, list[tuple[object, ...]]]:
    async with HistoryStore(db_url) as store:
        return {f: [order_row(o) async for o in store.orders(f)] for f in follows}


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_a_sync_killed_at_random_points_resumes_to_the_sandboxs_books(
    served: tuple[SandboxExchange, list[str], str], engine: str, request: pytest.FixtureRequest
) -> None:
    exchange, follows, url = served
    db_url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "pg_url")
    exchange.faults = Faults(latency_s=0.01)
    rng = random.Random(f"kill:{engine}")
    kills = 0
    for _ in range(4):
        process = worker(url, db_url, follows)
        assert process.stdout is not None
        # Kill it after a random number of committed pages, at a random instant after that.
        pages_before_kill = rng.randint(1, 12)
        seen = 0
        while seen < pages_before_kill:
            line = process.stdout.readline()
            if line != "page\n":
                break
            seen += 1
        time.sleep(rng.uniform(0, 0.02))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)  # reaps it and closes its pipes
    assert kills >= 3
    final = worker(url, db_url, follows)
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err[-2000:]
    assert out.endswith("done\n")
    rows = asyncio.run(stored(db_url, follows))
    for follow_id in follows:
        assert len(rows[follow_id]) == len(set(rows[follow_id]))
        assert set(rows[follow_id]) == books(exchange, follow_id)


def test_two_processes_on_overlapping_follows_store_the_exact_set(
    served: tuple[SandboxExchange, list[str], str], pg_url: str
) -> None:
    exchange, follows, url = served
    exchange.faults = Faults(latency_s=0.005)
    first = worker(url, pg_url, follows[:3])
    second = worker(url, pg_url, list(reversed(follows[1:])))
    for process in (first, second):
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        assert out.endswith("done\n")
    rows = asyncio.run(stored(pg_url, follows))
    for follow_id in follows:
        assert len(rows[follow_id]) == len(set(rows[follow_id]))
        assert set(rows[follow_id]) == books(exchange, follow_id)
