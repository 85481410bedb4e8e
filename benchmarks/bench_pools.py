"""Pools: one httpx pool, several (``PooledTransport``), and httpx2, at 1, 32 and 256 in flight.

The choice behind ``DEFAULT_POOLS`` (the pools that carry what ``AsyncioTransport`` hands on).
Every contender is an ``httpx.AsyncClient`` (or an ``httpx2.AsyncClient``) with 64 connections
in all (our client's default ``max_in_flight``), doing a bare GET of the 20-record page and
``json.loads``, so the figures isolate the pool:

* ``httpx, 1 pool``: ``httpx.AsyncClient(limits=...)``, httpx's one ``AsyncHTTPTransport``;
* ``pooled xN``: ``httpx.AsyncClient(transport=PooledTransport(pools=N, limits=...))``;
* ``httpx2, 1 pool``: the same as the first with httpx2, when it is installed (the ``test``
  extra has it);
* ``AsyncioTransport``: ``httpx.AsyncClient(transport=AsyncioTransport(limits=...))``, the
  default's own connections under httpx's whole client (our clients skip the client's work).

The ratios are to ``httpx, 1 pool`` at 1 in flight in the same round. No target: it prints
figures (``--quick`` checks only that every contender answers).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
from _common import PINNING, PREFIX, arguments, headline, median, save, serve
from bench_throughput import Factory, Fetch, measure

from copytrade_async import AsyncioTransport, PooledTransport

CONNECTIONS = 64
LEVELS = (1, 32, 256)
BASELINE = "httpx, 1 pool"


def client_with(make: Callable[[], Any]) -> Factory:
    async def factory(stack: AsyncExitStack, url: str) -> Fetch:
        client = await stack.enter_async_context(make())
        target = f"{url}{PREFIX}/history?followId=1&pageNo=1&pageSize=20"

        async def fetch() -> Any:
            response = await client.get(target)
            data = json.loads(response.content)
            assert len(data["data"]["list"]) == 20
            return data

        return fetch

    return factory


def contenders() -> dict[str, Factory]:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    found: dict[str, Factory] = {BASELINE: client_with(lambda: httpx.AsyncClient(limits=limits))}
    for pools in (4, 8, 16, 32, 64):
        found[f"pooled x{pools}"] = client_with(
            lambda pools=pools: httpx.AsyncClient(  # type: ignore[misc]
                transport=PooledTransport(pools=pools, limits=limits)
            )
        )
    try:
        import httpx2
    except ImportError:
        print("  (httpx2 is not installed: pip install httpx2 to compare it)")
    else:
        limits2 = httpx2.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        found[f"httpx2 {httpx2.__version__}, 1 pool"] = client_with(
            lambda: httpx2.AsyncClient(limits=limits2)
        )
    found["AsyncioTransport"] = client_with(
        lambda: httpx.AsyncClient(transport=AsyncioTransport(limits=limits))
    )
    return found


async def run(url: str, rounds: int, seconds: float) -> dict[str, Any]:
    entries = contenders()
    rates: dict[tuple[str, int], list[float]] = {}
    cpus: dict[tuple[str, int], list[float]] = {}
    ratios: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        this_round: dict[tuple[str, int], float] = {}
        for in_flight in LEVELS:
            for name, factory in entries.items():
                rate, cpu = await measure(factory, url, seconds, in_flight)
                this_round[name, in_flight] = rate
                rates.setdefault((name, in_flight), []).append(rate)
                cpus.setdefault((name, in_flight), []).append(cpu)
        for key, rate in this_round.items():
            ratios.setdefault(key, []).append(rate / this_round[BASELINE, 1])
    print(
        f"  req/s (ratio to {BASELINE} at 1 in flight) and client CPU µs per request, "
        f"median of {rounds} rounds of {seconds:g} s"
    )
    print(f"  {'client':24}" + "".join(f"{f'{n} in flight':>28}" for n in LEVELS))
    results: dict[str, Any] = {}
    for name in entries:
        cells = []
        for n in LEVELS:
            rate, ratio = median(rates[name, n]), median(ratios[name, n])
            cpu = median(cpus[name, n])
            results.setdefault(name, {})[str(n)] = {
                "rps": round(rate),
                "ratio": round(ratio, 2),
                "cpu_us": round(cpu),
            }
            cells.append(f"{rate:7,.0f} ({ratio:4.2f}x) {cpu:6,.0f} µs")
        print(f"  {name:24}" + "".join(f"{cell:>28}" for cell in cells))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(__doc__).parse_args(argv)
    headline("Pools: one httpx pool vs several, and httpx2 (64 connections, bare GET + json)")
    rounds, seconds = (1, 0.2) if args.quick else (3, 1.0)
    with serve() as url:
        print(f"  {PINNING['last']}")
        results = asyncio.run(run(url, rounds, seconds))
    return save(results, args.json)


if __name__ == "__main__":
    main()
