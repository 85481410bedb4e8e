"""The seam between the request pipeline and an HTTP library.

The pipeline needs one thing from HTTP: send a request it has built and signed, and hand back
the status, the headers and the body. :class:`Transport` is that seam, with two
implementations:

* :class:`HttpxTransport` (the default) sends through an ``httpx.AsyncClient``: one we build,
  or the caller's own (``http_client=``), which keeps its mounts, proxies, event hooks and
  mock transports (respx, ``httpx.MockTransport``, ``httpx.ASGITransport``).
* ``AiohttpTransport`` (in :mod:`._transport_aiohttp`, imported only when chosen) sends
  through an ``aiohttp.ClientSession``: the faster choice under load.

Both follow no redirects and fail the same way: :class:`APITimeoutError` for a timeout and
:class:`APIConnectionError` for any other transport failure, with ``request_sent=False`` only
when the request provably never left this machine (the connection could not be opened, or no
pooled connection became free in time).
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Mapping
from typing import Any, Literal, Protocol

import httpx

from .._exceptions import APIConnectionError, APITimeoutError

__all__ = [
    "TRANSPORTS",
    "HttpxTransport",
    "RawResponse",
    "Transport",
    "TransportName",
    "create_transport",
]

TransportName = Literal["httpx", "aiohttp"]
TRANSPORTS: tuple[TransportName, ...] = ("httpx", "aiohttp")

#: What a transport hands back: status, headers (looked up case-insensitively), body.
RawResponse = tuple[int, Mapping[str, str], bytes]

#: httpx failures that prove the request never left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Transport(Protocol):
    """What the pipeline needs from an HTTP library."""

    #: "httpx" or "aiohttp".
    name: TransportName

    async def send(
        self,
        endpoint: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: httpx.Timeout,
    ) -> RawResponse:
        """Send one request, without following redirects, within ``timeouts``.
        ``endpoint`` names the call in the errors raised."""
        ...

    async def aclose(self) -> None:
        """Close the underlying client if this transport made it; idempotent."""
        ...


class HttpxTransport:
    """Requests through an ``httpx.AsyncClient``.

    A client given to us is used through ``client.request(...)``, so everything it was set up
    with applies (auth, event hooks, mounts, proxies, cookies, mock transports). The client we
    make ourselves has nothing of that to apply, so requests go straight to its connection
    pool (``AsyncHTTPTransport.handle_async_request``, httpx's public transport API), with the
    client's default headers: the same request on the wire, without the client's per-request
    work (header and cookie merging, the auth and redirect loops, cookie extraction), about a
    sixth of httpx's CPU per request. When the environment configures a proxy, our client is
    used like a given one, so that httpx routes through the proxy.
    """

    name: TransportName = "httpx"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        owned: bool,
        pool: httpx.AsyncHTTPTransport | None = None,
    ) -> None:
        self.client = client
        self._owned = owned
        self._pool = pool
        self._default_headers = dict(client.headers)

    @classmethod
    def create(cls, *, timeout: httpx.Timeout, max_connections: int | None) -> HttpxTransport:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        if urllib.request.getproxies():
            client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, limits=limits)
            return cls(client, owned=True)
        pool = httpx.AsyncHTTPTransport(limits=limits)  # what AsyncClient would make
        client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=pool)
        return cls(client, owned=True, pool=pool)

    async def send(
        self,
        endpoint: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: httpx.Timeout,
    ) -> RawResponse:
        try:
            if self._pool is None:
                response = await self.client.request(
                    method,
                    url,
                    content=body,
                    headers=headers,
                    timeout=timeouts,
                    follow_redirects=False,
                )
                return response.status_code, response.headers, response.content
            request = httpx.Request(
                method,
                url,
                headers={**self._default_headers, **headers},
                content=body,
                extensions={"timeout": timeouts.as_dict()},
            )
            response = await self._pool.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
            return response.status_code, response.headers, content
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                endpoint,
                f"timed out ({type(exc).__name__})",
                request_sent=not isinstance(exc, _NOT_SENT),
            ) from exc
        except httpx.TransportError as exc:
            raise APIConnectionError(
                endpoint,
                f"connection failed ({type(exc).__name__}: {exc})",
                request_sent=not isinstance(exc, _NOT_SENT),
            ) from exc

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()


def _is_aiohttp_session(http_client: object) -> bool:
    aiohttp = sys.modules.get("aiohttp")  # a session exists only if aiohttp was imported
    return aiohttp is not None and isinstance(http_client, aiohttp.ClientSession)


def create_transport(
    transport: str | None,
    http_client: Any,
    *,
    timeout: httpx.Timeout,
    max_connections: int | None,
) -> Transport:
    """The transport for the client's ``transport=`` and ``http_client=`` arguments.

    Without ``transport``, an ``aiohttp.ClientSession`` selects aiohttp and anything else
    httpx. A given client is used as it is and never closed by us.
    """
    if transport is not None and transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {TRANSPORTS} or None, got {transport!r}")
    session = http_client is not None and _is_aiohttp_session(http_client)
    if transport is None:
        transport = "aiohttp" if session else "httpx"
    if transport == "httpx":
        if http_client is None:
            return HttpxTransport.create(timeout=timeout, max_connections=max_connections)
        if not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                "http_client must be an httpx.AsyncClient (or an aiohttp.ClientSession with "
                f"transport='aiohttp'), got {type(http_client).__name__}"
            )
        return HttpxTransport(http_client, owned=False)
    if http_client is not None and not session:
        raise TypeError(
            "with transport='aiohttp', http_client must be an aiohttp.ClientSession, "
            f"got {type(http_client).__name__}"
        )
    try:
        from ._transport_aiohttp import AiohttpTransport
    except ImportError as exc:
        raise ImportError(
            "transport='aiohttp' needs aiohttp: pip install 'copytrade-async[aiohttp]'"
        ) from exc
    return AiohttpTransport(http_client, max_connections=max_connections)
