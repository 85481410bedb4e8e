"""Requests through an ``httpx.AsyncClient``: the default transport."""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator

import anyio
import httpx
from sniffio import current_async_library

from .._exceptions import ClientClosedError
from ._shared_client import PooledAsyncClient
from ._transport import (
    RawResponse,
    TransportName,
    connection_error,
    declared_length,
    encoding_error,
    read_capped,
    timeout_error,
)
from ._transport_asyncio import AsyncioTransport
from ._transport_pooled import DEFAULT_POOLS

__all__ = ["HttpxTransport"]

#: httpx failures that prove the request never left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _SendProbe(httpx.AsyncByteStream):
    """The request body, which tells whether the request went out: httpcore writes the
    request line and headers, then iterates the body (even an empty one) to send it."""

    __slots__ = ("_body", "started")

    def __init__(self, body: bytes | None) -> None:
        self._body = body
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        if self._body:
            yield self._body


def _as_is(client: httpx.AsyncClient) -> bool:
    """Whether ``client.send()`` would send our request unchanged but for the client's default
    headers: open, and no auth, event hooks, cookies or default query parameters (checked per
    request: they can be set at any time). Its URL is absolute, so ``base_url`` plays no part."""
    hooks = client.event_hooks
    return not (
        client.is_closed
        or client.auth is not None
        or hooks["request"]
        or hooks["response"]
        or client.cookies
        or client.params
    )


class HttpxTransport:
    """Requests through an ``httpx.AsyncClient``.

    A client given to us is used through ``client.send(...)``, so everything it was set up
    with applies (auth, event hooks, mounts, proxies, cookies, mock transports). The client we
    make ourselves has nothing of that to apply, so requests go straight to its transport, an
    :class:`~._transport_asyncio.AsyncioTransport`: under asyncio through
    :meth:`~._transport_asyncio.AsyncioTransport.fetch` (our own connections, no httpx request
    or response objects), elsewhere (trio), or while httpx is mocked, through
    ``handle_async_request``, httpx's public transport API, which hands them to httpcore's
    pools. Either way it is the same request on the wire, with the client's default headers,
    without the client's per-request work (header and cookie merging, the auth and redirect
    loops, cookie extraction). When the environment configures a proxy, our client is used
    like a given one (with httpx's single pool), so that httpx routes through the proxy. A
    shared client made by :func:`~._shared_client.pooled_http_client` takes the same short cut
    (with its current default headers) while nothing else would apply: no auth, event hooks,
    cookies or default query parameters; with any of those, ``client.send()``.

    The whole attempt runs under one deadline (``asyncio.timeout`` under asyncio,
    ``anyio.fail_after`` under trio); the request body is a :class:`_SendProbe`, so a deadline
    that passes before httpcore started sending says ``request_sent=False``.
    """

    name: TransportName = "httpx"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        owned: bool,
        pool: AsyncioTransport | None = None,
    ) -> None:
        self.client = client
        self._owned = owned
        self._pool = pool
        self._default_headers = dict(client.headers)
        # A shared client from pooled_http_client(): its transport is reachable without httpx's
        # private attributes, and it has no mounts (see _as_is).
        self._shared = client.pooled_transport if isinstance(client, PooledAsyncClient) else None

    @classmethod
    def create(
        cls, *, timeout: httpx.Timeout, max_connections: int | None, pools: int = DEFAULT_POOLS
    ) -> HttpxTransport:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        if urllib.request.getproxies():
            client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, limits=limits)
            return cls(client, owned=True)
        # Our own connections (see ._transport_asyncio); httpcore's pools for what they don't do.
        pool = AsyncioTransport(pools=pools, limits=limits)
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
        *,
        deadline: float | None,
        max_bytes: int,
    ) -> RawResponse:
        client, pool = self.client, self._pool
        if client.is_closed and not self._owned:  # closed by its owner, under our client
            raise ClientClosedError(endpoint, what="its http_client")
        if pool is not None:
            merged = {**self._default_headers, **headers}
        elif self._shared is not None and _as_is(client):
            pool = self._shared
            merged = {**client.headers, **headers}
        probe = _SendProbe(body)
        try:
            if pool is not None and pool.direct:  # asyncio: our connections, no httpx objects
                async with asyncio.timeout(deadline):
                    return await pool.fetch(
                        method,
                        url,
                        merged,
                        body,
                        timeouts,
                        endpoint=endpoint,
                        max_bytes=max_bytes,
                        probe=probe,
                    )
            if pool is None:
                request = client.build_request(
                    method, url, content=body, headers=headers, timeout=timeouts
                )
            else:
                request = httpx.Request(
                    method,
                    url,
                    headers=merged,
                    content=body,
                    extensions={"timeout": timeouts.as_dict()},
                )
            request.stream = probe
            if current_async_library() == "asyncio":  # the same deadline, at a third the cost
                async with asyncio.timeout(deadline):
                    return await self._exchange(request, endpoint, max_bytes, pool)
            with anyio.fail_after(deadline):
                return await self._exchange(request, endpoint, max_bytes, pool)
        except TimeoutError as exc:  # the deadline of the whole attempt
            raise timeout_error(endpoint, exc, request_sent=probe.started) from exc
        except httpx.TimeoutException as exc:
            sent = not isinstance(exc, _NOT_SENT)
            raise timeout_error(endpoint, exc, request_sent=sent) from exc
        except httpx.TransportError as exc:
            sent = not isinstance(exc, _NOT_SENT)
            raise connection_error(endpoint, exc, request_sent=sent) from exc
        except httpx.DecodingError as exc:  # decoded before the response came back to us
            raise encoding_error(endpoint, exc, http_status=None) from exc

    async def _exchange(
        self,
        request: httpx.Request,
        endpoint: str,
        max_bytes: int,
        pool: httpx.AsyncBaseTransport | None,
    ) -> RawResponse:
        """Send ``request`` (straight to ``pool`` when given) and read the decoded body, no
        further than ``max_bytes``."""
        if pool is None:
            response = await self.client.send(request, stream=True, follow_redirects=False)
        else:
            response = await pool.handle_async_request(request)
        headers = response.headers
        status = response.status_code
        try:
            length = declared_length(headers.get("content-length"), endpoint, max_bytes, status)
            if length is not None and "content-encoding" not in headers:
                content = await response.aread()  # h11 reads no more than Content-Length
            else:
                content = await read_capped(response.aiter_bytes(), endpoint, max_bytes, status)
        except httpx.DecodingError as exc:  # a corrupt gzip or deflate body
            raise encoding_error(endpoint, exc, http_status=status) from exc
        finally:
            await response.aclose()
        return status, headers, content

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()
