"""Pagination: walk 200 history pages with 20 ms of server latency, one page at a time and
with ``prefetch=8``.

The server (``_server.py``, its own process) answers every page 20 ms late; a walk with
``prefetch=8`` asks for up to 8 pages at once once ``totalPage`` is known, and must still hand
out the same items in the same order. The client's rate limiter is off (``rate_limits=None``):
at the default 10 requests/s it, not the latency, would set the pace of both walks.
Target: >= 6x faster with prefetch 8, identical items. Median of 3 rounds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from _common import CREDENTIALS, arguments, headline, median, save, serve, verdict

from copytrade_async import AsyncCopyTradeClient, HistoryOrder

TARGET = 6.0
Transport = Literal["httpx", "aiohttp"]
PAGE_SIZE = 20


async def walk(url: str, prefetch: int, transport: Transport) -> tuple[float, list[HistoryOrder]]:
    async with AsyncCopyTradeClient(
        base_url=url, rate_limits=None, transport=transport, **CREDENTIALS
    ) as client:
        started = time.perf_counter()
        items = [
            item async for item in client.history.list("1", page_size=PAGE_SIZE, prefetch=prefetch)
        ]
        return time.perf_counter() - started, items


async def run(
    url: str, pages: int, rounds: int, quick: bool, transport: Transport
) -> dict[str, Any]:
    sequential: list[float] = []
    prefetched: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        seq_time, seq_items = await walk(url, 0, transport)
        pre_time, pre_items = await walk(url, 8, transport)
        assert len(seq_items) == pages * PAGE_SIZE, len(seq_items)
        assert pre_items == seq_items, "prefetch changed the items or their order"
        sequential.append(seq_time)
        prefetched.append(pre_time)
        ratios.append(seq_time / pre_time)
    ratio = median(ratios)
    met = None if quick else ratio >= TARGET
    print(f"  sequential   {median(sequential):6.2f} s   ({pages} pages)")
    print(f"  prefetch=8   {median(prefetched):6.2f} s   identical items: yes")
    print(f"  speed-up     {ratio:6.2f}x  target >= {TARGET}x: {verdict(met)}")
    return {
        "pages": pages,
        "sequential_s": round(median(sequential), 3),
        "prefetch8_s": round(median(prefetched), 3),
        "ratio": round(ratio, 2),
        "target": TARGET,
        "met": met,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__, transport=True)
    args = parser.parse_args(argv)
    pages, rounds = (20, 1) if args.quick else (200, 3)
    headline(
        f"3. Pagination: {pages} pages, 20 ms latency, prefetch 0 vs 8, {args.transport} "
        f"(median of {rounds})"
    )
    with serve("--total-pages", str(pages), "--latency-ms", "20") as url:
        results = asyncio.run(run(url, pages, rounds, args.quick, args.transport))
    return save(results, args.json)


if __name__ == "__main__":
    main()
