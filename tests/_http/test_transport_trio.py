"""Under trio: the README's tour runs on the transports that support trio (httpx: ours, and a
shared ``pooled_http_client``), and the aiohttp transport, which needs asyncio, is refused with a
``ValueError`` that names the fix: when the client is made inside trio, or at its first request
when it was made outside any event loop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock

from ..conftest import API_KEY, API_SECRET, PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
FIX = r"transport='aiohttp' runs only under asyncio, and this is trio: use the default"


def readme_block(section: str) -> str:
    """The first ``python`` block of the README's ``section`` (a ``## `` heading)."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(f"\n## {section}\n") :]
    match = re.search(r"^```python\n(.*?)^```$", after, re.M | re.S)
    assert match is not None, f"no python block under {section!r}"
    return match.group(1)


def tour() -> str:
    """The README's tour of the API."""
    return readme_block("A tour of the API")


@pytest.fixture(scope="module")
def served_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(seed=11, traders=30, rate_limit=200)
    with SandboxServer(SandboxExchange(config, clock=WallClock())) as server:
        yield server


#: How the tour's client is made in each run: as written, and sharing a pooled client.
SHARED = (
    "from copytrade_async import pooled_http_client\n"
    "_shared = pooled_http_client()\n"
    "_Client = AsyncCopyTradeClient\n"
    "def AsyncCopyTradeClient(**kwargs): return _Client(http_client=_shared, **kwargs)\n"
)


@pytest.mark.parametrize("variant", ["quickstart", "as written", "shared pooled client"])
def test_the_readme_tour_runs_under_trio(
    variant: str, served_sandbox: SandboxServer, tmp_path: Path
) -> None:
    """The tour against a served sandbox (as written, and with a shared pooled client); the
    quickstart, on the in-process sandbox, as written."""
    code = readme_block("Quickstart") if variant == "quickstart" else tour()
    assert code.rstrip().endswith("asyncio.run(main())")
    body = code.rstrip().removesuffix("asyncio.run(main())")
    if variant == "shared pooled client":
        body = body.replace("\n\nasync def main()", f"\n\n{SHARED}\n\nasync def main()", 1)
        assert SHARED in body
    # Under trio no asyncio loop runs: anything that needed one would fail.
    program = body + "import trio\ntrio.run(main)\n"
    credentials = served_sandbox.exchange.credentials
    env = {
        **os.environ,
        "COPYTRADE_API_KEY": credentials.api_key,
        "COPYTRADE_API_SECRET": credentials.api_secret,
        "COPYTRADE_PASSPHRASE": credentials.passphrase,
        "COPYTRADE_BASE_URL": served_sandbox.url,
    }
    env.pop("COPYTRADE_DEMO", None)
    script = tmp_path / "tour_trio.py"
    script.write_text(program)
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    # It printed what it was written to print: traders, the detail, positions, ...
    assert result.stdout.count("\n") >= (3 if variant == "quickstart" else 5)


def make_aiohttp() -> AsyncCopyTradeClient:
    return AsyncCopyTradeClient(
        api_key=API_KEY,
        api_secret=API_SECRET,
        passphrase=PASSPHRASE,
        base_url="http://127.0.0.1:9",
        transport="aiohttp",
    )


def test_aiohttp_under_trio_is_refused_when_the_client_is_made() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match=FIX):
            make_aiohttp()

    trio.run(main)


def test_aiohttp_made_outside_a_loop_is_refused_at_its_first_request_under_trio() -> None:
    client = make_aiohttp()  # no event loop yet: which one will run it is not known

    async def main() -> None:
        with pytest.raises(ValueError, match=FIX):
            await client.follows.positions("1")

    trio.run(main)
