"""A reader that stops early (``copytrade ... | head -3``): a quiet exit, as Unix tools do.

Real subprocesses and real pipes. The pipe holds 4 KiB only (``pipesize``) and the reader takes
three lines byte by byte, so the output is always larger than what the pipe and the reader
took: the command is still writing when the pipe closes. Some run with ``PYTHONUNBUFFERED=1``
(as in many containers), where Python would drop the rest of a cut write without an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping

import pytest

from copytrade_async._cli._errors import EXIT_BROKEN_PIPE
from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer

from .helpers import busiest_follow

PIPE_SIZE = 4096


def head_3(
    args: tuple[str, ...], *, unbuffered: bool = False, env: Mapping[str, str] | None = None
) -> tuple[list[str], str, int]:
    """Run ``copytrade *args | head -3``: the three lines read, stderr, and the exit code."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        environment["PYTHONUNBUFFERED"] = "1"
    with subprocess.Popen(
        [sys.executable, "-m", "copytrade_async", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # unbuffered: the reader takes three lines and not a byte more
        pipesize=PIPE_SIZE,
        env={**environment, **(env or {})},
    ) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline().decode() for _ in range(3)]
        process.stdout.close()
        _, err = process.communicate(timeout=60)
    return lines, err.decode(), process.returncode


def check_quiet_exit(lines: list[str], err: str, code: int) -> None:
    assert all(line.endswith("\n") for line in lines), lines  # the reader got its lines
    assert err == ""  # no message, no traceback, no "Exception ignored"
    assert code == EXIT_BROKEN_PIPE == 141


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_a_table_into_a_closed_pipe(unbuffered: bool) -> None:
    args = ("--sandbox", "traders", "list", "--limit", "100")
    lines, err, code = head_3(args, unbuffered=unbuffered)
    assert lines[0].startswith("Traders")
    check_quiet_exit(lines, err, code)


def test_json_into_a_closed_pipe() -> None:
    lines, err, code = head_3(("--sandbox", "traders", "list", "--limit", "100", "--json"))
    assert lines[:2] == ["[\n", "  {\n"]
    check_quiet_exit(lines, err, code)


@pytest.fixture
def served_history() -> Iterator[tuple[str, dict[str, str]]]:
    """A follow with some 60 closed trades on a served sandbox, and the environment to reach
    it."""
    exchange = SandboxExchange(
        SandboxConfig(seed=11, traders=40, rate_limit=None, timestamp_tolerance_ms=None)
    )
    follow_id = busiest_follow(exchange, half_hours=96)  # two simulated days
    assert exchange.follow_info(follow_id).closed_trades > 40
    server = SandboxServer(exchange).start_thread()
    creds = exchange.credentials
    try:
        yield (
            follow_id,
            {
                "COPYTRADE_BASE_URL": server.url,
                "COPYTRADE_API_KEY": creds.api_key,
                "COPYTRADE_API_SECRET": creds.api_secret,
                "COPYTRADE_PASSPHRASE": creds.passphrase,
            },
        )
    finally:
        server.join()


@pytest.mark.parametrize(("fmt", "unbuffered"), [("csv", False), ("jsonl", False), ("csv", True)])
def test_a_history_export_into_a_closed_pipe(
    served_history: tuple[str, dict[str, str]], fmt: str, unbuffered: bool
) -> None:
    follow_id, env = served_history
    args = ("history", "export", follow_id, "--format", fmt)
    lines, err, code = head_3(args, unbuffered=unbuffered, env=env)
    assert lines[0].startswith("order_id," if fmt == "csv" else '{"order_id": ')
    check_quiet_exit(lines, err, code)
