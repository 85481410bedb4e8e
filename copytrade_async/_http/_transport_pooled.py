"""An httpx transport that spreads requests over several small connection pools.

httpcore's connection pool re-examines every connection it holds for every request it assigns
(``AsyncConnectionPool._assign_requests_to_connections`` asks each one ``has_expired()``,
``is_idle()``, ``is_available()``), and does so for every queued request, so the cost of one
request grows with the connections in use and the requests waiting (encode/httpx#3215): one
``httpx.AsyncClient`` does fewer requests per second at 32 in flight than at 1.

:class:`PooledTransport` is an ``httpx.AsyncBaseTransport`` (httpx's public transport seam)
made of ``pools`` ordinary ``httpx.AsyncHTTPTransport``\\ s. Each request goes to the pool with
the fewest requests in flight (the first of them on a tie, so one request at a time keeps
reusing one warm connection), and counts as in flight until its response is closed. Each pool
then walks only its own few connections. The limits are the whole transport's:
``max_connections`` and ``max_keepalive_connections`` are split across the pools (the shares
add up to the totals), so it never opens more connections than an ``AsyncHTTPTransport`` with
the same ``httpx.Limits`` would. With fewer connections allowed than pools, there are as many
pools as connections.

With a connection limit, at most ``max_connections`` requests are handed to the pools at once;
the others wait their turn in one FIFO queue of our own (an ``anyio.Semaphore``: a wait costs
the same however many wait), not in httpcore's queue, which is walked again for every
connection that frees up. That wait is bounded by the request's ``pool`` timeout, as httpcore's
would be, and ends the same way: ``httpx.PoolTimeout``. Then the least busy pool always has a
free connection.

It carries what :class:`~._transport_asyncio.AsyncioTransport` (the default's) hands on:
requests under an event loop other than asyncio (trio), or with options beyond limits and TLS
(a proxy, HTTP/2, ...). Use it directly in your own client with
``httpx.AsyncClient(transport=PooledTransport(...))``.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
from sniffio import current_async_library

__all__ = ["DEFAULT_POOLS", "PooledTransport", "ssl_context"]

#: Pools per transport: about the fewest at which a request costs the client no more CPU at 32
#: and 256 in flight than at 1 (fewer pools cost more as calls are added, more pools no less);
#: ``benchmarks/bench_pools.py`` prints the comparison.
DEFAULT_POOLS = 32


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CAs, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` as found
    the first time), made once per process: making one reads the CA bundle (about 60 ms of
    CPU), which each ``httpx.AsyncHTTPTransport`` would otherwise do for itself."""
    return httpx.create_ssl_context()


def ssl_context(options: dict[str, Any]) -> ssl.SSLContext:
    """The one context all pools share, from (and taken out of) ``verify``, ``cert`` and
    ``trust_env`` in ``options``."""
    verify = options.pop("verify", True)
    cert = options.pop("cert", None)
    trust_env = options.pop("trust_env", True)
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True and cert is None and trust_env is True:
        return _default_ssl_context()
    return httpx.create_ssl_context(verify=verify, cert=cert, trust_env=trust_env)


def _shares(total: int | None, parts: int) -> list[int | None]:
    """``total`` split into ``parts`` whole shares that add up to it (None: no limit)."""
    if total is None:
        return [None] * parts
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class _CountedStream(httpx.AsyncByteStream):
    """A response body that gives its pool's slot back when it is closed (once)."""

    __slots__ = ("_busy", "_gate", "_index", "_open", "_stream")

    def __init__(
        self,
        stream: httpx.AsyncByteStream,
        busy: list[int],
        index: int,
        gate: anyio.Semaphore | None,
    ) -> None:
        self._stream = stream
        self._busy = busy
        self._index = index
        self._gate = gate
        self._open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._busy[self._index] -= 1
            if self._gate is not None:
                self._gate.release()
        await self._stream.aclose()


class PooledTransport(httpx.AsyncBaseTransport):
    """``pools`` ``httpx.AsyncHTTPTransport``\\ s behind one transport; each request goes to
    the least busy (see the module docs).

    ``limits`` are the whole transport's (httpx's default: 100 connections, 20 kept alive);
    every other keyword (``http2``, ``proxy``, ``retries``, ``socket_options``, ...) is passed
    to each ``httpx.AsyncHTTPTransport`` as it is, except ``verify``, ``cert`` and
    ``trust_env``, which make one SSL context that all pools share (with none of them given,
    one default context for the whole process).
    """

    def __init__(
        self,
        *,
        pools: int = DEFAULT_POOLS,
        limits: httpx.Limits | None = None,
        **transport_options: Any,
    ) -> None:
        if isinstance(pools, bool) or not isinstance(pools, int) or pools < 1:
            raise ValueError(f"pools must be a whole number >= 1, got {pools!r}")
        if limits is None:  # httpx's default
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        total = limits.max_connections
        if total is not None:
            pools = max(1, min(pools, total))
        connections = _shares(total, pools)
        keepalive = _shares(limits.max_keepalive_connections, pools)
        options = dict(transport_options)
        context = ssl_context(options)
        self._pools = [
            httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=connections[i],
                    max_keepalive_connections=keepalive[i],
                    keepalive_expiry=limits.keepalive_expiry,
                ),
                verify=context,
                **options,
            )
            for i in range(pools)
        ]
        self._busy = [0] * pools
        self._gate = None if total is None else anyio.Semaphore(total, fast_acquire=True)
        self._closed = False

    @property
    def pools(self) -> tuple[httpx.AsyncHTTPTransport, ...]:
        """The pools, in order."""
        return tuple(self._pools)

    @property
    def in_flight(self) -> tuple[int, ...]:
        """Requests in flight per pool: sent, and their responses not yet closed."""
        return tuple(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the PooledTransport is closed")
        gate = self._gate
        if gate is not None:
            await self._admit(gate, request)
        busy = self._busy
        index = busy.index(min(busy))
        busy[index] += 1
        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            busy[index] -= 1
            if gate is not None:
                gate.release()
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(stream, busy, index, gate)
        return response

    @staticmethod
    async def _admit(gate: anyio.Semaphore, request: httpx.Request) -> None:
        """Wait for a connection's turn, within the request's ``pool`` timeout."""
        try:
            gate.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        timeouts = request.extensions.get("timeout")
        pool = timeouts.get("pool") if isinstance(timeouts, dict) else None
        try:
            if current_async_library() == "asyncio":  # the same bound, at a third the cost
                async with asyncio.timeout(pool):
                    await gate.acquire()
            else:
                with anyio.fail_after(pool):
                    await gate.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout(
                f"no connection became free within {pool} s", request=request
            ) from exc

    async def aclose(self) -> None:
        """Close every pool (and every connection in it); idempotent."""
        self._closed = True
        for pool in self._pools:
            await pool.aclose()
