"""``copytrade sandbox serve``: a real server in a subprocess, used with what it prints."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

from copytrade_async import AsyncCopyTradeClient, Page, Trader


def first_traders(exports: dict[str, str]) -> Page[Trader]:
    """One signed request, with the credentials and the URL the server printed."""

    async def call() -> Page[Trader]:
        async with AsyncCopyTradeClient(
            api_key=exports["COPYTRADE_API_KEY"],
            api_secret=exports["COPYTRADE_API_SECRET"],
            passphrase=exports["COPYTRADE_PASSPHRASE"],
            base_url=exports["COPYTRADE_BASE_URL"],
            max_retries=0,
        ) as client:
            return await client.traders.page(page_size=3, sort_by="profit")

    return asyncio.run(call())


def test_serve_prints_what_a_client_needs_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "copytrade_async", "sandbox", "serve", "--port", "0"]
    with subprocess.Popen(
        [*command, "--seed", "4", "--rate-limit", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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
        exports = dict(re.findall(r"^  export (COPYTRADE_\w+)=(\S+)$", banner, re.MULTILINE))
        assert exports["COPYTRADE_BASE_URL"] == url[1]
        try:
            page = first_traders(exports)
        finally:
            server.send_signal(signal.SIGINT)
            out, err = server.communicate(timeout=15)
    assert len(page.items) == 3 and page.total_num == 200
    assert server.returncode == 130, err
    assert out == ""
    assert err == "sandbox stopped\ninterrupted\n"
