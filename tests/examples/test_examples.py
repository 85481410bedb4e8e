"""Every program in ``examples/`` runs as written, as a reader would run it.

Each runs in a process of its own (``python -X dev -W error``), against an in-process sandbox
(``--sandbox``), or, for the fleet worker, two workers against a sandbox served on loopback
with a ``redis-server`` for their shared budget (as ``tests/ratelimit`` gets one). Each takes a
few seconds. ``examples/fastapi_app.py`` has its own test.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock

from ..programs import PYTHON, reader_env, run_program
from ..ratelimit.conftest import RedisServer, redis_executable

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: Tested elsewhere (by its own author's test).
OTHERS = {"fastapi_app.py"}
TIMEOUT_S = 60


def run(name: str, *args: str, env: dict[str, str]) -> str:
    return run_program(EXAMPLES / name, *args, env=env, cwd=ROOT, timeout=TIMEOUT_S)


def test_every_example_is_run_here() -> None:
    mine = {path.name for path in EXAMPLES.glob("*.py")} - OTHERS
    assert mine == {"toolkit_workflow.py", "watch_many_follows.py", "fleet_worker.py"}


def test_toolkit_workflow() -> None:
    out = run("toolkit_workflow.py", "--sandbox", "--rounds", "6", env=reader_env())
    lines = out.splitlines()
    assert re.match(r"\d+ traders walked, \d+ qualified, best first:", lines[0])
    budget = next(line for line in lines if line.startswith("budget "))
    # 20 % of the sandbox's 100,000 in four follows of 5,000, all allocated.
    assert budget == "budget 20000.00 (20% of 100000): 4 follows of 5000.00, 0.00 left unallocated"
    assert [line for line in lines if line.startswith("round ")] == [
        f"round {n}: 4 polled, 0 failed" for n in range(1, 7)
    ]
    snapshot = re.compile(r"  \d+: realized [+-]\d+\.\d\d, unrealized [+-]\d+\.\d\d \(\d+ open\)")
    assert sum(bool(snapshot.match(line)) for line in lines) == 6 * 4
    assert len([line for line in lines if line.startswith("stopped ")]) == 4


def test_watch_many_follows_shows_progress_then_rounds() -> None:
    out = run(
        "watch_many_follows.py", "--sandbox", "--follows", "30", "--rounds", "3",
        env=reader_env(),
    )  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "following 30 traders with 100 each"
    progress = [line for line in lines if line.startswith("[")]
    assert [line[: len("[30/30]")] for line in progress] == [f"[{n:>2}/30]" for n in range(1, 31)]
    rounds = [line for line in lines if line.startswith("round ")]
    assert [line.split(":")[0] for line in rounds] == ["round 1", "round 2", "round 3"]
    assert all("30 polled (0 failed)" in line for line in rounds)
    assert lines[-1] == "stopped 30 follows"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


def test_two_fleet_workers_share_one_budget(redis_url: str) -> None:
    rate = 20
    config = SandboxConfig(seed=3, traders=40, inactive_share=0.0, rate_limit=200)
    exchange = SandboxExchange(config, clock=WallClock())
    key = exchange.credentials.api_key
    ids = [
        str(exchange.follow(key, tid, Decimal(100), Decimal(10), "isolated")["followId"])
        for tid in exchange.trader_ids()[:10]
    ]
    with SandboxServer(exchange) as server:
        env = reader_env(server, REDIS_URL=redis_url)
        exchange.stats.reset()
        common = ["--workers", "2", "--rate", str(rate), "--interval", "0", "--rounds", "2"]
        workers = [
            subprocess.Popen(
                [
                    *PYTHON,
                    str(EXAMPLES / "fleet_worker.py"),
                    "--worker",
                    str(i),
                    *common,
                    "--prefix",
                    "examples-test",
                    *ids,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for i in range(2)
        ]
        try:
            outputs = [worker.communicate(timeout=TIMEOUT_S) for worker in workers]
        finally:
            for worker in workers:  # a hung worker is not left behind
                if worker.poll() is None:
                    worker.kill()
                    worker.communicate()
    for i, (worker, (out, err)) in enumerate(zip(workers, outputs, strict=True)):
        assert worker.returncode == 0, f"worker {i} failed:\n{out}{err}"
        lines = out.splitlines()
        assert lines[0] == f"worker {i}/2: 5 follows"  # ids[i::2]
        assert [line.split(",")[0] for line in lines[1:]] == [
            f"worker {i}/2: round {n}: 5 polled" for n in (1, 2)
        ]
    # Both workers' requests, counted where they arrive: within the shared budget (its burst
    # is 1), in every 1 s window.
    assert exchange.stats.total >= 2 * 2 * 5
    assert exchange.stats.max_requests_in_window(1.0) <= rate + 1
