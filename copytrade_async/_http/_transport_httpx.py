"""Requests through an ``httpx.AsyncClient``: the default transport."""

from __future__ import annotations

import urllib.request

import httpx

from ._transport import (
    RawResponse,
    TransportName,
    connection_error,
    encoding_error,
    timeout_error,
)

__all__ = ["HttpxTransport"]

#: httpx failures that prove the request never left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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
            sent = not isinstance(exc, _NOT_SENT)
            raise timeout_error(endpoint, exc, request_sent=sent) from exc
        except httpx.TransportError as exc:
            sent = not isinstance(exc, _NOT_SENT)
            raise connection_error(endpoint, exc, request_sent=sent) from exc
        except httpx.DecodingError as exc:  # not a TransportError: a corrupt gzip or deflate body
            raise encoding_error(endpoint, exc, http_status=None) from exc

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()
