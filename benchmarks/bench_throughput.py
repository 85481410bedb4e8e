"""Throughput and CPU: fetch and decode a 20-record history page, at 1, 32 and 256 in flight.

The server is ``_server.py`` in a process of its own (a prebuilt envelope, keep-alive), so the
figures are the client's: requests per second, and the client process's CPU time per request.
Contenders, each with a fresh client per round:

* ``aiohttp+orjson``: a bare ``aiohttp.ClientSession`` GET and ``orjson.loads`` (the yardstick);
* ``httpx+json``: a bare ``httpx.AsyncClient`` GET and ``json.loads``; ``httpx2+json`` the
  same with httpx's successor ``httpx2``, when it is installed (the ``test`` extra has it);
* ``ours/httpx`` (the default) and ``ours/aiohttp``: ``client.history.page(...)`` through each
  transport: the query encoded and signed, the envelope checked, 20 ``HistoryOrder`` records
  built (money as ``Decimal``, times as ``datetime``). The rate limiter is off
  (``rate_limits=None``): it is measured on its own in the ``+limiter`` row, with a limit far
  above the rate reached;
* ``ours/httpx, 8 share pooled``: 8 of our clients sharing one ``pooled_http_client()`` (64
  connections), the calls spread over them in turn: the web-backend case. ``ours/httpx, 8
  share own`` is the same with one's own ``httpx.AsyncClient(transport=AsyncioTransport())``
  (used through ``client.send()``), ``ours/httpx, 8 share plain`` with a plain
  ``httpx.AsyncClient`` (httpcore's one pool), for comparison;
* ``ours/httpx, httpcore pools`` (diagnosis): one client on a ``pooled_http_client`` given a
  transport option (``retries=0``) that sends every request through httpcore's pools (32
  ``PooledTransport`` pools, the default before ``AsyncioTransport``): the difference to
  ``ours/httpx`` is what our own HTTP/1.1 connections are worth;
* ``ours/aiohttp, no records`` (diagnosis): the same call stopped at the checked envelope, so
  the difference to ``ours/aiohttp`` is what building the 20 typed records costs;
* ``ours/aiohttp, AsyncRetrying`` (diagnosis): the same call with its attempts run by
  tenacity's ``AsyncRetrying`` itself (a copy of the template per call) instead of the
  pipeline's loop over tenacity's ``RetryCallState`` (``_retry.run_attempts``): the
  difference is what AsyncRetrying's dispatch costs every call.

Every round runs every contender in turn for a fixed time (2 s; 0.3 s with ``--quick``); a
figure is the median of 3 rounds, and a ratio is the median of the per-round ratios to
``aiohttp+orjson``.
Targets: ``ours/aiohttp`` >= 0.6x the yardstick at 1 in flight and >= 0.5x at 32; the default
(``ours/httpx``, alone and ``8 share pooled``) at 32 and 256 in flight at least its own figure
at 1, and at 32 at least 0.25x the yardstick.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, Literal

import aiohttp
import httpx
import orjson
from _common import (
    CREDENTIALS,
    PINNING,
    PREFIX,
    arguments,
    headline,
    median,
    save,
    serve,
    verdict,
)
from tenacity import AsyncRetrying

from copytrade_async import (
    AsyncCopyTradeClient,
    AsyncioTransport,
    HistoryOrder,
    RateLimit,
    RateLimits,
    pooled_http_client,
)
from copytrade_async._http import _pipeline
from copytrade_async._http._endpoints import HISTORY
from copytrade_async._http._retry import RetryPolicy

Fetch = Callable[[], Awaitable[Any]]
Factory = Callable[[AsyncExitStack, str], Awaitable[Fetch]]
LEVELS = (1, 32, 256)
TARGETS = {1: 0.6, 32: 0.5}
#: The default against the yardstick at 32 in flight, and against its own figure at 1.
HTTPX_TARGET = 0.25
DEFAULTS = ("ours/httpx", "ours/httpx, 8 share pooled")
YARDSTICK = "aiohttp+orjson"


async def bare_aiohttp(stack: AsyncExitStack, url: str) -> Fetch:
    session = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
    )
    target = f"{url}{PREFIX}/history?followId=1&pageNo=1&pageSize=20"

    async def fetch() -> Any:
        async with session.get(target) as response:
            return orjson.loads(await response.read())

    return fetch


def bare_httpx(library: Any) -> Factory:
    """A bare GET and ``json.loads`` through ``library.AsyncClient``: httpx, or httpx's
    successor httpx2 where installed (``pip install httpx2``; whether our clients should take
    an ``httpx2.AsyncClient`` too is decided on its figure, docs/performance.md)."""

    async def factory(stack: AsyncExitStack, url: str) -> Fetch:
        client = await stack.enter_async_context(
            library.AsyncClient(limits=library.Limits(max_connections=64))
        )
        target = f"{url}{PREFIX}/history?followId=1&pageNo=1&pageSize=20"

        async def fetch() -> Any:
            response = await client.get(target)
            return json.loads(response.content)

        return fetch

    return factory


async def through_async_retrying(
    template: AsyncRetrying, policy: RetryPolicy, attempt: Callable[[], Awaitable[Any]]
) -> Any:
    """Diagnosis only: a call's attempts run by ``AsyncRetrying`` itself, with the same
    strategies, in place of ``_retry.run_attempts``."""

    async def run() -> Any:
        return await attempt()

    return await template.copy(retry=policy.retry, stop=policy.stop, wait=policy.wait)(run)


def ours(
    transport: Literal["httpx", "aiohttp"],
    limiter: bool = False,
    records: bool = True,
    async_retrying: bool = False,
) -> Factory:
    async def factory(stack: AsyncExitStack, url: str) -> Fetch:
        if async_retrying:  # put back when this contender's turn ends
            stack.callback(setattr, _pipeline, "run_attempts", _pipeline.run_attempts)
            _pipeline.run_attempts = through_async_retrying
        limits = None
        if limiter:
            huge = RateLimit.per_second(1e9, burst=1000)
            limits = RateLimits(groups={"copytrading": huge}, global_limit=huge)
        client = await stack.enter_async_context(
            AsyncCopyTradeClient(
                base_url=url,
                rate_limits=limits,
                transport=transport,
                **CREDENTIALS,
            )
        )

        async def fetch() -> Any:
            page = await client.history.page("1", page_no=1, page_size=20)
            assert len(page.items) == 20 and type(page.items[0]) is HistoryOrder
            return page

        async def fetch_envelope() -> Any:
            # Diagnosis only: the same signed call, stopping at the checked envelope (a private
            # method), so the cost of building the records shows as the difference.
            params = {"followId": "1", "pageNo": "1", "pageSize": "20"}
            envelope = await client._request(HISTORY, lambda got: got, params=params)
            assert len(envelope.data["list"]) == 20
            return envelope

        return fetch if records else fetch_envelope

    return factory


def shared(kind: Literal["pooled", "plain", "own"], clients: int = 8) -> Factory:
    """``clients`` of ours sharing one httpx client: a ``pooled_http_client()``, a plain
    ``httpx.AsyncClient``, or one's own ``httpx.AsyncClient`` on an ``AsyncioTransport``."""

    async def factory(stack: AsyncExitStack, url: str) -> Fetch:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        if kind == "pooled":
            http: httpx.AsyncClient = pooled_http_client(limits=limits)
        elif kind == "own":
            http = httpx.AsyncClient(transport=AsyncioTransport(limits=limits))
        else:
            http = httpx.AsyncClient(limits=limits)
        await stack.enter_async_context(http)
        many = [
            await stack.enter_async_context(
                AsyncCopyTradeClient(
                    base_url=url, rate_limits=None, http_client=http, **CREDENTIALS
                )
            )
            for _ in range(clients)
        ]
        turn = 0

        async def fetch() -> Any:
            nonlocal turn
            turn += 1
            page = await many[turn % clients].history.page("1", page_no=1, page_size=20)
            assert len(page.items) == 20 and type(page.items[0]) is HistoryOrder
            return page

        return fetch

    return factory


def through_httpcore_pools() -> Factory:
    """One client of ours whose requests go through httpcore's pools (diagnosis)."""

    async def factory(stack: AsyncExitStack, url: str) -> Fetch:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        http = pooled_http_client(limits=limits, transport_options={"retries": 0})
        await stack.enter_async_context(http)
        client = await stack.enter_async_context(
            AsyncCopyTradeClient(base_url=url, rate_limits=None, http_client=http, **CREDENTIALS)
        )

        async def fetch() -> Any:
            page = await client.history.page("1", page_no=1, page_size=20)
            assert len(page.items) == 20 and type(page.items[0]) is HistoryOrder
            return page

        return fetch

    return factory


CONTENDERS: dict[str, Factory] = {
    YARDSTICK: bare_aiohttp,
    "httpx+json": bare_httpx(httpx),
    **(
        {"httpx2+json": bare_httpx(importlib.import_module("httpx2"))}
        if importlib.util.find_spec("httpx2")
        else {}
    ),
    "ours/httpx": ours("httpx"),
    "ours/httpx, 8 share pooled": shared("pooled"),
    "ours/httpx, 8 share own": shared("own"),
    "ours/httpx, 8 share plain": shared("plain"),
    "ours/httpx, httpcore pools": through_httpcore_pools(),
    "ours/aiohttp": ours("aiohttp"),
    "ours/aiohttp+limiter": ours("aiohttp", limiter=True),
    "ours/aiohttp, no records": ours("aiohttp", records=False),
    "ours/aiohttp, AsyncRetrying": ours("aiohttp", async_retrying=True),
}


async def measure(
    factory: Factory, url: str, seconds: float, in_flight: int
) -> tuple[float, float]:
    """(requests per second, client CPU microseconds per request) for one turn of ``seconds``."""
    async with AsyncExitStack() as stack:
        fetch = await factory(stack, url)
        deadline = 0.0
        done = 0

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await fetch()
                done += 1

        deadline = time.perf_counter() + min(0.2, seconds)  # open the connections, warm up
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        done = 0
        started, cpu = time.perf_counter(), time.process_time()
        deadline = started + seconds
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return done / wall, cpu / done * 1e6


async def run(url: str, rounds: int, seconds: float, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for in_flight in LEVELS:
        rates: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        cpus: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        ratios: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        for _ in range(rounds):
            this_round = {}
            for name, factory in CONTENDERS.items():
                rate, cpu = await measure(factory, url, seconds, in_flight)
                rates[name].append(rate)
                cpus[name].append(cpu)
                this_round[name] = rate
            for name in CONTENDERS:
                ratios[name].append(this_round[name] / this_round[YARDSTICK])
        print(
            f"\n  {in_flight} in flight ({seconds:g} s per client per round, median of {rounds}):"
        )
        print(f"  {'client':28} {'req/s':>8} {'CPU µs/req':>11} {'vs ' + YARDSTICK:>18}")
        row: dict[str, Any] = {}
        for name in CONTENDERS:
            rate, cpu, ratio = median(rates[name]), median(cpus[name]), median(ratios[name])
            row[name] = {"rps": round(rate), "cpu_us": round(cpu), "ratio": round(ratio, 2)}
            print(f"  {name:28} {rate:8.0f} {cpu:11.0f} {ratio:17.2f}x")
        entry: dict[str, Any] = {"rows": row, "target": TARGETS.get(in_flight), "met": None}
        if in_flight in TARGETS:
            target = TARGETS[in_flight]
            entry["met"] = None if quick else row["ours/aiohttp"]["ratio"] >= target
            print(f"  target: ours/aiohttp >= {target}x {YARDSTICK}: {verdict(entry['met'])}")
        if in_flight > 1:
            checks = []
            for name in DEFAULTS:
                own = row[name]["rps"] / results["1"]["rows"][name]["rps"]
                row[name]["vs_own_1"] = round(own, 2)
                checks.append(own >= 1)
                if in_flight == 32:
                    checks.append(row[name]["ratio"] >= HTTPX_TARGET)
                print(f"  {name}: {own:.2f}x its own figure at 1 in flight")
            entry["httpx_met"] = None if quick else all(checks)
            wanted = ">= its figure at 1" + (
                f" and >= {HTTPX_TARGET}x {YARDSTICK}" if in_flight == 32 else ""
            )
            print(f"  target: the default (alone, shared) {wanted}: {verdict(entry['httpx_met'])}")
        results[str(in_flight)] = entry
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__)
    args = parser.parse_args(argv)
    headline("1. Throughput and CPU per request (20-record page, loopback)")
    try:
        import sniffio  # noqa: F401
    except ImportError:
        print("  warning: sniffio is not installed; httpx (httpcore) runs about a third slower")
    rounds, seconds = (1, 0.2) if args.quick else (3, 1.5)
    with serve() as url:
        print(f"  {PINNING['last']}")
        results = asyncio.run(run(url, rounds, seconds, args.quick))
    return save(results, args.json)


if __name__ == "__main__":
    main()
