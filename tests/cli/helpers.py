"""Helpers for the command-line tests."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from copytrade_async import AsyncCopyTradeClient
from copytrade_async._cli._app import cli
from copytrade_async._cli._context import CliState
from copytrade_async.sandbox import SandboxExchange

T = TypeVar("T")

CREDENTIAL_VARS = ("COPYTRADE_API_KEY", "COPYTRADE_API_SECRET", "COPYTRADE_PASSPHRASE")


def run_cli(*args: str, exchange: SandboxExchange | None = None) -> Result:
    """Run ``copytrade`` in process. With ``exchange``, the invocation uses that sandbox
    (through the hidden ``CliState.exchange``), so state carries over between invocations."""
    obj = None if exchange is None else CliState(exchange=exchange)
    return CliRunner().invoke(cli, list(args), obj=obj, catch_exceptions=False)


def with_client(
    exchange: SandboxExchange, body: Callable[[AsyncCopyTradeClient], Awaitable[T]]
) -> T:
    """Run ``body`` with a library client on ``exchange``: how tests get expected values."""

    async def main() -> T:
        async with AsyncCopyTradeClient.sandbox(exchange=exchange, rate_limits=None) as client:
            return await body(client)

    return asyncio.run(main())


def active_trader_with_positions(exchange: SandboxExchange) -> str:
    async def find(client: AsyncCopyTradeClient) -> str:
        for trader_id in exchange.trader_ids(active=True):
            if (await client.traders.get(trader_id)).positions:
                return trader_id
        raise AssertionError("no active trader holds a position")

    return with_client(exchange, find)


def one_line(result: Result) -> str:
    """The single stderr line of a failed command: no traceback, nothing on stdout."""
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


def json_of(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def start_follow(exchange: SandboxExchange, trader_id: str, *options: str) -> str:
    """Start a follow through the command line; its id."""
    args = ("follow", "start", trader_id, "--amount", "2000", "--leverage", "10", *options)
    follow_id = json_of(run_cli("--json", *args, exchange=exchange))["follow_id"]
    assert isinstance(follow_id, str)
    return follow_id


def busiest_follow(exchange: SandboxExchange, half_hours: int) -> str:
    """Follow eight active traders at 2x, let ``half_hours`` of market pass; the follow with
    the most closed trades."""
    follow_ids = [
        start_follow(exchange, trader_id, "--leverage", "2")
        for trader_id in exchange.trader_ids(active=True)[:8]
    ]
    for _ in range(half_hours):
        exchange.advance(1800)
    return max(follow_ids, key=lambda f: exchange.follow_info(f).closed_trades)


def python(*args: str) -> subprocess.CompletedProcess[str]:
    """Run this Python with ``args`` (``-m copytrade_async ...``) and capture its output."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=30, check=False
    )
