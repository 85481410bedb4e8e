"""Requests through an ``aiohttp.ClientSession`` (the ``aiohttp`` extra; asyncio only).

Imported only when a client is created with ``transport="aiohttp"`` or given a session, so
``import copytrade_async`` never loads aiohttp. What it does to match the httpx transport:

* no redirects (``allow_redirects=False``), and the URL is sent exactly as it was signed
  (``yarl.URL(..., encoded=True)``: aiohttp would otherwise re-quote the query);
* the ``httpx.Timeout`` of the call becomes an ``aiohttp.ClientTimeout``: ``connect`` and
  ``pool`` together bound getting a connection (aiohttp's ``connect``, ended 1 % (at least
  10 ms) before the attempt's deadline), ``connect`` alone the TCP connect (``sock_connect``),
  ``read`` each read (``sock_read``), and the attempt's deadline the whole attempt (``total``,
  which aiohttp applies to reading the body too, and which is not rounded up to a whole
  second); aiohttp has no write timeout. Each distinct timeout is converted once;
* the body is read in chunks (``iter_any``) and no further than the cap; a
  ``Content-Length`` above the cap fails before the body is read;
* failures: a connect or pool timeout (also the whole-attempt deadline passing while
  aiohttp gets a connection) is an :class:`APITimeoutError` and a refused or unresolvable
  connection an :class:`APIConnectionError`, both with ``request_sent=False``; any other
  timeout or client error may have reached the server (``request_sent=True``); a body aiohttp
  cannot decompress is a :class:`ResponseDecodeError`.

A session we make has a connection limit of ``max_in_flight`` (none when that is None), keeps
no cookies and ignores proxy settings in the environment; pass your own session for anything
else. It is made on the first request, because aiohttp needs a running event loop for it.

aiohttp runs on asyncio only. Under trio the client is refused with a ``ValueError`` that names
the fix: when it is made, if that happens inside the trio loop; otherwise (made outside any
event loop) at its first request.
"""

from __future__ import annotations

import asyncio
import math

import aiohttp
import httpx
from yarl import URL

from .._exceptions import ClientClosedError
from ._transport import (
    RawResponse,
    TransportName,
    connection_error,
    declared_length,
    encoding_error,
    read_capped,
    refuse_unless_asyncio,
    timeout_error,
)

__all__ = ["AiohttpTransport", "client_timeout"]


def client_timeout(timeout: httpx.Timeout, deadline: float | None) -> aiohttp.ClientTimeout:
    """The aiohttp equivalent of an httpx timeout and an attempt's deadline (see the module
    docs)."""
    connect, pool = timeout.connect, timeout.pool
    getting = None if connect is None or pool is None else connect + pool
    if deadline is not None:
        # Getting a connection must end a little before the deadline: aiohttp then reports a
        # deadline that passes in that phase as a connect timeout (not sent). Past ``total``,
        # it cannot tell the phases apart.
        early = deadline - min(max(deadline * 0.01, 0.01), deadline / 2)
        getting = early if getting is None else min(getting, early)
    return aiohttp.ClientTimeout(
        total=deadline,
        connect=getting,
        sock_connect=connect,
        sock_read=timeout.read,
        ceil_threshold=math.inf,  # keep deadlines exact, as the httpx transport does
    )


class AiohttpTransport:
    name: TransportName = "aiohttp"

    def __init__(
        self, session: aiohttp.ClientSession | None = None, *, max_connections: int | None
    ) -> None:
        self._session = session
        self._owned = session is None
        self._max_connections = max_connections
        self._closed = False
        # Keyed by the timeout's values and the deadline, so clients made by ``with_options``
        # share entries.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def client(self) -> aiohttp.ClientSession | None:
        """The session; None until the first request when we make it."""
        return self._session

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        # A client made outside any event loop learns which one it runs under only now.
        refuse_unless_asyncio(self.name)
        connector = aiohttp.TCPConnector(limit=self._max_connections or 0)
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar()
        )
        return self._session

    def _timeout(self, timeout: httpx.Timeout, deadline: float | None) -> aiohttp.ClientTimeout:
        key = (timeout.connect, timeout.read, timeout.write, timeout.pool, deadline)
        converted = self._timeouts.get(key)
        if converted is None:
            converted = self._timeouts[key] = client_timeout(timeout, deadline)
        return converted

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
    ) -> RawResponse:
        session = self._session if self._session is not None else self._open()
        if session.closed and not self._owned:  # closed by its owner, under our client
            raise ClientClosedError(endpoint, what="its http_client")
        status: int | None = None
        try:
            async with session.request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=self._timeout(timeouts, deadline),
            ) as response:
                received = response.headers
                status = response.status
                length = declared_length(
                    received.get("Content-Length"), endpoint, max_bytes, status
                )
                if length is not None and "Content-Encoding" not in received:
                    content = await response.read()  # aiohttp reads no more than that
                else:
                    content = await read_capped(
                        response.content.iter_any(), endpoint, max_bytes, status
                    )
        except aiohttp.ConnectionTimeoutError as exc:
            raise timeout_error(endpoint, exc, request_sent=False) from exc
        except TimeoutError as exc:  # aiohttp's read timeouts are TimeoutErrors too
            raise timeout_error(endpoint, exc, request_sent=True) from exc
        except aiohttp.ClientConnectorError as exc:
            raise connection_error(endpoint, exc, request_sent=False) from exc
        except aiohttp.ClientPayloadError as exc:
            if isinstance(exc.__cause__, aiohttp.http_exceptions.ContentEncodingError):
                raise encoding_error(endpoint, exc.__cause__, http_status=status) from exc
            raise connection_error(endpoint, exc, request_sent=True) from exc
        except aiohttp.ClientError as exc:
            raise connection_error(endpoint, exc, request_sent=True) from exc
        return status, received, content

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owned and self._session is not None:
            await self._session.close()
            # Let the connector's transports finish closing before the loop may end.
            await asyncio.sleep(0)
