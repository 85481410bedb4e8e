"""Memory: stream N history records through ``client.history.list(...)``; RSS must stay flat.

The server (``_server.py``, its own process) makes each 100-record page when it is asked for,
with ``totalPage = N / 100``. Each N runs in a fresh process: its RSS once the first record
has arrived is the baseline, and the growth is the highest RSS seen during the walk (sampled
every 1,000 records) minus that baseline. The walk keeps only a count.
Target: growth < 30 MB at N = 1,000,000, and about the same at every N (median of 3 at the
largest N).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from _common import CREDENTIALS, arguments, headline, median, save, serve, verdict

from copytrade_async import AsyncCopyTradeClient

PAGE_SIZE = 100
TARGET_MB = 30.0
MB = 1024 * 1024


async def stream(url: str, records: int, transport: str) -> dict[str, Any]:
    process = psutil.Process()
    baseline = peak = 0
    count = 0
    last = ""
    started = time.perf_counter()
    async with AsyncCopyTradeClient(
        base_url=url,
        rate_limits=None,
        transport=transport,  # type: ignore[arg-type]
        **CREDENTIALS,
    ) as client:
        async for order in client.history.list("1", page_size=PAGE_SIZE):
            count += 1
            last = order.order_id
            if count == 1:
                baseline = peak = process.memory_info().rss
            elif count % 1000 == 0:
                peak = max(peak, process.memory_info().rss)
    peak = max(peak, process.memory_info().rss)
    assert count == records and last == str(records - 1), (count, last)
    return {
        "records": count,
        "seconds": round(time.perf_counter() - started, 2),
        "baseline_mb": round(baseline / MB, 1),
        "peak_mb": round(peak / MB, 1),
        "growth_mb": round((peak - baseline) / MB, 1),
    }


def child(records: int, transport: str) -> None:
    with serve("--total-pages", str(records // PAGE_SIZE)) as url:
        print(json.dumps(asyncio.run(stream(url, records, transport))))


def measure(records: int, transport: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", str(records), "--transport", transport],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def run(sizes: list[int], rounds: int, transport: str, quick: bool) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for records in sizes:
        runs = [measure(records, transport) for _ in range(rounds if records == sizes[-1] else 1)]
        growth = median([r["growth_mb"] for r in runs])
        seconds = median([r["seconds"] for r in runs])
        rows[str(records)] = {"growth_mb": growth, "seconds": seconds, "runs": len(runs)}
        print(
            f"  N = {records:>9,}: RSS growth {growth:5.1f} MB "
            f"(baseline {runs[0]['baseline_mb']:.0f} MB), {records / seconds:,.0f} records/s"
        )
    largest = rows[str(sizes[-1])]["growth_mb"]
    spread = max(row["growth_mb"] for row in rows.values()) - min(
        row["growth_mb"] for row in rows.values()
    )
    met = None if quick else largest < TARGET_MB
    print(f"  growth spread across N: {spread:.1f} MB")
    print(f"  target: growth < {TARGET_MB:.0f} MB and flat as N grows: {verdict(met)}")
    return {"rows": rows, "spread_mb": round(spread, 1), "target_mb": TARGET_MB, "met": met}


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    parser = arguments(__doc__, transport=True)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.transport)
        return None
    sizes, rounds = ([2_000, 10_000], 1) if args.quick else ([100_000, 300_000, 1_000_000], 3)
    headline(f"5. Memory: streaming history records ({args.transport})")
    results = run(sizes, rounds, args.transport, args.quick)
    return save(results, args.json)


if __name__ == "__main__":
    main()
