"""Run every benchmark and print one summary table: ``python benchmarks/run_all.py``.

Each benchmark runs in a process of its own (and starts its own server process), prints its
details, and hands its figures back as JSON. ``--quick`` uses small N and checks only that
everything runs and returns the right data (for CI: no timing is asserted). ``--only`` picks
benchmarks by name; ``--strict`` exits with status 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "throughput",
    "overhead",
    "pools",
    "accounts",
    "decoding",
    "pagination",
    "fanout",
    "memory",
    "import",
    "store",
    "report",
)


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "**not met**")


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, verdict) for each figure."""
    rows: list[tuple[str, str, str, str]] = []
    if "throughput" in results:
        for in_flight, entry in results["throughput"].items():
            row = entry["rows"]
            ours, base = row["ours/aiohttp"], row["aiohttp+orjson"]
            if entry["target"] is not None:
                rows.append(
                    (
                        f"throughput, {in_flight} in flight, aiohttp transport",
                        f"ours/aiohttp {ours['rps']:,} req/s ({ours['cpu_us']} µs CPU/req) = "
                        f"{ours['ratio']:.2f}x aiohttp+orjson ({base['rps']:,} req/s)",
                        f">= {entry['target']}x",
                        verdict(entry["met"]),
                    )
                )
            default, pooled = row["ours/httpx"], row["ours/httpx, 8 share pooled"]
            own = (
                f"; {default.get('vs_own_1', 1):.2f}x and {pooled.get('vs_own_1', 1):.2f}x "
                "their own figure at 1"
                if in_flight != "1"
                else ""
            )
            rows.append(
                (
                    f"throughput, {in_flight} in flight, default (httpx)",
                    f"alone {default['rps']:,} req/s ({default['cpu_us']} µs CPU/req) = "
                    f"{default['ratio']:.2f}x aiohttp+orjson, 8 sharing a pooled client "
                    f"{pooled['ratio']:.2f}x{own}; bare httpx {row['httpx+json']['ratio']:.2f}x",
                    ">= own figure at 1" + (", >= 0.25x" if in_flight == "32" else "")
                    if in_flight != "1"
                    else "-",
                    verdict(entry.get("httpx_met")),
                )
            )
    if "pools" in results:
        entry = results["pools"]
        cells = ", ".join(
            f"{name} {entry[name]['256']['cpu_us']} µs"
            for name in entry
            if name.startswith(("httpx", "pooled x32"))
        )
        rows.append(("pools, CPU/request at 256 in flight", cells, "(no target)", "-"))
    if "accounts" in results:
        entry = results["accounts"]
        for transport in ("httpx", "aiohttp"):
            r = entry[transport]
            rows.append(
                (
                    f"{r['accounts']} accounts sharing a pool, {transport}",
                    f"{r['rps']:,} of {r['asked_rps']:,} req/s, {r['cpu_us']} µs CPU/req, "
                    f"busiest second {r['worst_1s']} (budget {r['budget_1s']}), slot to send "
                    f"p99 {r['delay_ms']['p99']} ms, {r['kb_per_client']} KB per idle client",
                    "keeps up (aiohttp), < 50 KB",
                    verdict(entry["met"]),
                )
            )
    if "overhead" in results:
        per = results["overhead"]["us_per_call"]
        rows.append(
            (
                "client CPU per call, no network",
                f"{per['ours']:.1f} µs (envelope only {per['ours, no records']:.1f} µs); "
                f"through AsyncRetrying {per['ours, AsyncRetrying']:.1f} µs",
                "(no target)",
                "-",
            )
        )
    if "decoding" in results:
        entry = results["decoding"]
        per = entry["us_per_record"]
        rows.append(
            (
                "decoding, µs per record",
                f"ours {per['ours']:.2f}, msgspec {per['msgspec']:.2f} "
                f"= {entry['ratio']:.2f}x; json (untyped) {per['json']:.2f}",
                f"<= {entry['target']}x msgspec",
                verdict(entry["met"]),
            )
        )
    if "pagination" in results:
        entry = results["pagination"]
        rows.append(
            (
                f"pagination, {entry['pages']} pages at 20 ms",
                f"{entry['sequential_s']} s -> {entry['prefetch8_s']} s = {entry['ratio']:.2f}x, "
                "identical items",
                f">= {entry['target']}x",
                verdict(entry["met"]),
            )
        )
    if "fanout" in results:
        entry = results["fanout"]
        rows.append(
            (
                f"fan-out, {entry['follows']} calls at 200/s",
                f"{entry['wall_s']} s ({entry['over_minimum']:+.1%} over {entry['minimum_s']} s), "
                f"{entry['rejected_429']} x 429; with burst 2: {entry['burst_2']['wall_s']} s "
                f"({entry['burst_2']['over_minimum']:+.1%})",
                "<= +5%, no 429",
                verdict(entry["met"]),
            )
        )
    if "memory" in results:
        entry = results["memory"]
        growth = ", ".join(f"{int(n):,}: {row['growth_mb']} MB" for n, row in entry["rows"].items())
        rows.append(
            ("memory, RSS growth while streaming", growth, "< 30 MB, flat", verdict(entry["met"]))
        )
    if "import" in results:
        entry = results["import"]
        rows.append(
            (
                "import time",
                f"copytrade_async {entry['ours_ms']} ms, httpx {entry['httpx_ms']} ms "
                f"= {entry['ratio']:.2f}x",
                "(no target)",
                "-",
            )
        )
    if "store" in results:
        entry = results["store"]
        lite, pg = entry["sqlite"], entry["postgres"]
        rows.append(
            (
                f"history store, {entry['orders']:,} orders",
                f"write path SQLite {lite['write_rps']:,} rows/s, Postgres {pg['write_rps']:,}; "
                f"sync end to end {lite['sync_rps']:,} / {pg['sync_rps']:,}",
                f">= {entry['target']:,} rows/s (SQLite)",
                verdict(entry["met"]),
            )
        )
    if "report" in results:
        entry = results["report"]
        compute, html = entry["compute"], entry["html"]
        rows.append(
            (
                f"report, {compute['trades']:,} trades over {compute['follows']} follows",
                f"figures in {compute['seconds']} s; HTML of {html['trades']:,} trades"
                f" {html['mb']} MB (charts {html['charts_kb']} KB), drawn in {html['seconds']} s",
                "< 2 s, < 3 MB",
                verdict(entry["met"]),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small N, no timing checks (CI)")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    chosen = BENCHMARKS if not args.only else tuple(args.only.split(","))
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: dict[str, Any] = {}
    failed: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for name in chosen:
            out = Path(scratch) / f"{name}.json"
            command = [sys.executable, str(HERE / f"bench_{name}.py"), "--json", str(out)]
            if args.quick:
                command.append("--quick")
            if subprocess.run(command, timeout=1800).returncode != 0 or not out.exists():
                failed.append(name)
                continue
            results[name] = json.loads(out.read_text())
    rows = summary_rows(results)
    mode = "quick run: timings not checked" if args.quick else "median of 3"
    print(f"\n== Summary ({mode}; {time.perf_counter() - started:.0f} s) ==\n")
    print("| benchmark | measured | target | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    missed = [row[0] for row in rows if row[3] == "**not met**"]
    if missed and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
