"""The client's own CPU per call: ``client.history.page(...)`` on a canned transport.

No server and no HTTP library: the transport hands back the same 20-record page at once, so
the figure is what the client itself does per call (encode and sign the query, the rate
limiter's bookkeeping when one is set, the retry machinery, checking the envelope, building
the 20 records), measured in process CPU time, which other processes on the machine barely
move. Rows:

* ``ours``: the call as it runs;
* ``ours, no records`` (diagnosis): the same call stopped at the checked envelope;
* ``ours, AsyncRetrying`` (diagnosis): the same call with its attempts run by tenacity's
  ``AsyncRetrying`` itself, a copy of the template per call, instead of the pipeline's loop
  over tenacity's ``RetryCallState`` (``_retry.run_attempts``): the difference is what
  AsyncRetrying's per-step dispatch would cost every call.

A figure is the median over rounds of the CPU time per call (``--quick``: one short round).
No target: the figures say where the time goes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from _common import CREDENTIALS, arguments, headline, median, save
from _server import fixed_page
from bench_throughput import through_async_retrying

from copytrade_async import AsyncCopyTradeClient, HistoryOrder
from copytrade_async._http import _pipeline
from copytrade_async._http._endpoints import HISTORY

BODY = fixed_page()
HEADERS: Mapping[str, str] = {"content-type": "application/json"}
PARAMS = {"followId": "1", "pageNo": "1", "pageSize": "20"}


class Canned:
    """A transport that answers every request with the same page, at once."""

    name = "httpx"

    async def send(
        self,
        endpoint: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: httpx.Timeout,
        *,
        deadline: float | None,
        max_bytes: int,
    ) -> tuple[int, Mapping[str, str], bytes]:
        return 200, HEADERS, BODY

    async def aclose(self) -> None:
        return None


Call = Callable[[AsyncCopyTradeClient], Awaitable[Any]]


async def page(client: AsyncCopyTradeClient) -> Any:
    result = await client.history.page("1", page_no=1, page_size=20)
    assert len(result.items) == 20 and type(result.items[0]) is HistoryOrder
    return result


async def envelope(client: AsyncCopyTradeClient) -> Any:
    return await client._request(HISTORY, lambda got: got, params=PARAMS)


ROWS: dict[str, tuple[Call, bool]] = {
    "ours": (page, False),
    "ours, no records": (envelope, False),
    "ours, AsyncRetrying": (page, True),
}


async def cpu_per_call(call: Call, async_retrying: bool, calls: int) -> float:
    """CPU microseconds per call over ``calls`` calls, after a warm-up."""
    original = _pipeline.run_attempts
    if async_retrying:
        _pipeline.run_attempts = through_async_retrying
    try:
        async with AsyncCopyTradeClient(
            base_url="http://bench.invalid", rate_limits=None, **CREDENTIALS
        ) as client:
            client._pipeline.transport = Canned()
            for _ in range(200):
                await call(client)
            started = time.process_time()
            for _ in range(calls):
                await call(client)
            return (time.process_time() - started) / calls * 1e6
    finally:
        _pipeline.run_attempts = original


async def run(rounds: int, calls: int) -> dict[str, Any]:
    figures: dict[str, list[float]] = {name: [] for name in ROWS}
    for _ in range(rounds):
        for name, (call, async_retrying) in ROWS.items():
            figures[name].append(await cpu_per_call(call, async_retrying, calls))
    print(f"\n  {calls:,} calls per row and round, median of {rounds} rounds:")
    print(f"  {'client':24} {'CPU µs/call':>12}")
    result = {name: round(median(values), 1) for name, values in figures.items()}
    for name, value in result.items():
        print(f"  {name:24} {value:12.1f}")
    extra = result["ours, AsyncRetrying"] - result["ours"]
    print(f"  AsyncRetrying would add {extra:+.1f} µs per call")
    return {"us_per_call": result, "async_retrying_extra_us": round(extra, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__)
    args = parser.parse_args(argv)
    headline("Client overhead per call (20-record page, canned transport, no network)")
    rounds, calls = (1, 1000) if args.quick else (5, 5000)
    return save(asyncio.run(run(rounds, calls)), args.json)


if __name__ == "__main__":
    main()
