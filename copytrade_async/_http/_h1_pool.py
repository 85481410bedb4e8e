"""The connections of :class:`~._transport_asyncio.AsyncioTransport`: which to use for a
request, how many, how long they are kept.

* At most ``max_connections`` requests in flight (:meth:`H1Pool.admit`; the others wait in one
  FIFO queue, an ``asyncio.Semaphore``, within the ``pool`` timeout, then
  ``httpx.PoolTimeout``), and as many connections open: with the limit reached and none idle
  to the request's origin, the longest idle connection to another origin is closed.
* Idle connections per origin, the most recently used first (so a light load keeps reusing one
  warm connection); at most ``max_keepalive_connections`` of them, none idle longer than
  ``keepalive_expiry``. One the server closed, or that has anything to read while idle, is
  never used again (:meth:`~._h1_connection.H1Connection.stale`, as httpcore checks).
* Connections belong to the event loop that made them: on another loop the pool starts afresh.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx

from ._h1_connection import H1Connection
from ._transport_pooled import ssl_context

__all__ = ["H1Pool", "Origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin:
    """Where a connection goes: scheme, host and port, and the ``Host`` header for them."""

    __slots__ = ("host", "host_header", "key", "port", "tls")

    def __init__(self, url: httpx.URL) -> None:
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"not an http or https URL: {url.scheme!r}")
        if not url.raw_host:
            raise httpx.UnsupportedProtocol("the URL has no host")
        self.tls = url.scheme == "https"
        self.host = url.raw_host.decode("ascii")  # an international name in its IDNA form
        self.port = url.port or _DEFAULT_PORTS[url.scheme]
        self.key = (url.scheme, self.host, self.port)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if url.port is None else f"{host}:{url.port}"


class H1Pool:
    """Keep-alive connections to any number of origins, within ``limits``; ``tls_options``
    (``verify``, ``cert``, ``trust_env``) make the TLS context, once, when first needed."""

    def __init__(self, limits: httpx.Limits, tls_options: dict[str, Any]) -> None:
        self._tls_options = tls_options
        self._ssl: ssl.SSLContext | None = None
        self._max_open = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._origins: dict[str, Origin] = {}  # by the URL's start, up to its path
        self._idle: dict[tuple[str, str, int], list[H1Connection]] = {}
        self._idle_count = 0
        self._conns: set[H1Connection] = set()  # open or opening: idle, or carrying a request
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Semaphore | None = None
        self._active = 0
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Requests admitted and not yet done."""
        return self._active

    @property
    def idle_connections(self) -> int:
        return self._idle_count

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    def close(self) -> None:
        """Close every connection, idle or carrying a request (which then fails)."""
        self._closed = True
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        self._idle.clear()
        self._idle_count = 0

    def split(self, url: str) -> tuple[Origin, str]:
        """(origin, target) of an absolute URL, the origin looked up once per URL start."""
        start = url.find("/", url.find("//") + 2)
        if start < 0:
            start = len(url)
        origin = self._origins.get(url[:start])
        if origin is None:
            origin = Origin(httpx.URL(url[:start]))
            if len(self._origins) < 1024:
                self._origins[url[:start]] = origin
        return origin, url[start:] or "/"

    async def admit(self, pool_timeout: float | None) -> asyncio.Semaphore | None:
        """A place among the requests in flight (at most ``max_connections``), waiting for one
        at most ``pool_timeout`` seconds in FIFO order."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        gate = self._gate
        if gate is not None:
            if gate.locked():
                try:
                    async with asyncio.timeout(pool_timeout):
                        await gate.acquire()
                except TimeoutError:
                    raise httpx.PoolTimeout(
                        f"no connection became free within {pool_timeout} s"
                    ) from None
            else:
                await gate.acquire()  # free: no wait, no suspension
        self._active += 1
        return gate

    def leave(self, gate: asyncio.Semaphore | None) -> None:
        """Give up a place taken by :meth:`admit`."""
        self._active -= 1
        if gate is not None:
            gate.release()

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start afresh on a new event loop: connections belong to the loop that made them."""
        self._loop = loop
        self._idle.clear()
        self._idle_count = 0
        self._conns = set()
        self._active = 0
        limit = self._max_open
        self._gate = None if limit is None else asyncio.Semaphore(limit)

    async def connection(self, origin: Origin, connect_timeout: float | None) -> H1Connection:
        """An idle connection to ``origin``, or a new one."""
        stack = self._idle.get(origin.key)
        if stack:
            assert self._loop is not None
            now = self._loop.time()
            expiry = self._expiry
            while stack:
                conn = stack.pop()
                self._idle_count -= 1
                fresh = expiry is None or now - conn.idle_since < expiry
                if fresh and conn.reusable and not conn.stale():
                    return conn
                self.discard(conn)
        return await self._connect(origin, connect_timeout)

    async def _connect(self, origin: Origin, connect_timeout: float | None) -> H1Connection:
        if self._closed:
            raise RuntimeError("the transport is closed")
        if self._max_open is not None and len(self._conns) >= self._max_open:
            self._evict_one()
        loop = asyncio.get_running_loop()
        conn = H1Connection(origin.key)
        tls = self._tls() if origin.tls else None
        self._conns.add(conn)
        try:
            async with asyncio.timeout(connect_timeout):
                await loop.create_connection(
                    lambda: conn,
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls is not None else None,
                )
        except TimeoutError:
            self.discard(conn)
            raise httpx.ConnectTimeout(
                f"could not connect to {origin.host_header} within {connect_timeout} s"
            ) from None
        except OSError as exc:
            self.discard(conn)
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            self.discard(conn)
            raise
        return conn

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl_context(dict(self._tls_options))
        return self._ssl

    def _evict_one(self) -> None:
        """Close the longest idle connection to any origin, to make room for a new one."""
        oldest: list[H1Connection] | None = None
        for stack in self._idle.values():
            if stack and (oldest is None or stack[0].idle_since < oldest[0].idle_since):
                oldest = stack
        if oldest is not None:
            self._idle_count -= 1
            self.discard(oldest.pop(0))

    def release(self, conn: H1Connection) -> None:
        """Keep a connection whose response was read to the end, if it may go on."""
        if (
            self._closed
            or not conn.reusable
            or (self._max_idle is not None and self._idle_count >= self._max_idle)
        ):
            self.discard(conn)
            return
        assert self._loop is not None
        conn.idle_since = self._loop.time()
        self._idle.setdefault(conn.key, []).append(conn)
        self._idle_count += 1

    def discard(self, conn: H1Connection) -> None:
        conn.close()
        self._conns.discard(conn)
