"""``copytrade sandbox serve``: a real server in a subprocess, used with what it prints."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

import pytest

from copytrade_async import (
    AsyncCopyTradeClient,
    AuthenticationError,
    CopyLimitExceededError,
    InvalidTraderError,
)

from .helpers import one_line, run_cli

ENV_NAMES = (
    "COPYTRADE_BASE_URL",
    "COPYTRADE_API_KEY",
    "COPYTRADE_API_SECRET",
    "COPYTRADE_PASSPHRASE",
    "COPYTRADE_DEMO",
)


def export_blocks(banner: str) -> dict[str, dict[str, str]]:
    """The ``export`` lines under each ``... account:`` heading, by its first word."""
    blocks: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in banner.splitlines():
        heading = re.fullmatch(r"(\w+) .*account:", line)
        if heading:
            current = blocks.setdefault(heading[1], {})
        elif current is not None and (export := re.fullmatch(r"  export (\w+)=(\S+)", line)):
            current[export[1]] = export[2]
        else:
            current = None
    return blocks


async def use_exports(exports: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What a shell that pasted ``exports`` gets: a client built from the environment alone.
    Follows traders until the copy limit; the ids followed."""
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    followed: list[str] = []
    async with AsyncCopyTradeClient(max_retries=0, rate_limits=None) as client:
        page = await client.traders.page(page_size=100)
        assert page.total_num == 30
        for trader in page.items:
            try:
                await client.follows.start(trader_id=trader.trader_id, copy_amount=10, leverage=1)
            except InvalidTraderError:
                continue  # an inactive trader
            except CopyLimitExceededError:
                break
            followed.append(trader.trader_id)
    # The other environment's switch is refused.
    monkeypatch.setenv("COPYTRADE_DEMO", "0" if exports["COPYTRADE_DEMO"] == "1" else "1")
    async with AsyncCopyTradeClient(max_retries=0, rate_limits=None) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.traders.page()
        assert info.value.code == "40099"
    return followed


def test_serve_prints_both_accounts_and_stops_on_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    command = [sys.executable, "-m", "copytrade_async", "sandbox", "serve", "--port", "0"]
    options = ["--seed", "4", "--rate-limit", "50", "--traders", "30", "--max-follows", "2"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None and server.stderr is not None
        printed: list[str] = []
        while not printed or printed[-1] != "Ctrl-C to stop.":
            line = server.stdout.readline()
            assert line, f"the server ended early: {server.stderr.read()}"
            printed.append(line.rstrip("\n"))
        banner = "\n".join(printed)
        url = re.search(r" at (http://127\.0\.0\.1:\d+)$", printed[0])
        assert url is not None, banner
        assert "30 traders" in printed[0] and "2 follows per account" in printed[0], banner
        blocks = export_blocks(banner)
        try:
            followed = {
                name: asyncio.run(use_exports(blocks[name], monkeypatch))
                for name in ("live", "demo")
            }
        finally:
            server.send_signal(signal.SIGINT)
            out, err = server.communicate(timeout=15)
    assert set(blocks) == {"live", "demo"}, banner
    for exports in blocks.values():
        assert set(exports) == set(ENV_NAMES), banner
        assert exports["COPYTRADE_BASE_URL"] == url[1]
    assert (blocks["live"]["COPYTRADE_DEMO"], blocks["demo"]["COPYTRADE_DEMO"]) == ("0", "1")
    assert blocks["live"]["COPYTRADE_API_KEY"] != blocks["demo"]["COPYTRADE_API_KEY"]
    # Each account follows up to --max-follows on its own.
    assert len(followed["live"]) == len(followed["demo"]) == 2
    assert server.returncode == 130, err
    assert out == ""
    assert err == "sandbox stopped\ninterrupted\n"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--traders", "0"),
        ("--traders", "100001"),
        ("--traders", "many"),
        ("--max-follows", "0"),
        ("--max-follows", "10001"),
        ("--rate-limit", "-1"),
        ("--rate-limit", "nan"),
        ("--rate-limit", "inf"),
    ],
)
def test_serve_options_are_validated(option: str, value: str) -> None:
    result = run_cli("sandbox", "serve", option, value)
    assert result.exit_code == 2
    assert one_line(result).startswith(f"error: invalid value for '{option}': ")
