"""Under trio: the README's tour runs on the transports that support trio (httpx: ours, and a
shared ``pooled_http_client``), and the aiohttp transport, which needs asyncio, is refused with a
``ValueError`` that names the fix: when the client is made inside trio, or at its first request
when it was made outside any event loop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock

from ..conftest import API_KEY, API_SECRET, PASSPHRASE
from ..programs import reader_env, run_program

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
    script = tmp_path / "tour_trio.py"
    script.write_text(program)
    out = run_program(script, env=reader_env(served_sandbox), cwd=tmp_path)
    # It printed what it was written to print: traders, the detail, positions, ...
    assert out.count("\n") >= (3 if variant == "quickstart" else 5)


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
