"""The ``httpx.AsyncClient`` to share between many clients: :func:`pooled_http_client`."""

from __future__ import annotations

from typing import Any

import httpx

from ._transport_asyncio import AsyncioTransport
from ._transport_pooled import DEFAULT_POOLS

__all__ = ["PooledAsyncClient", "pooled_http_client"]


class PooledAsyncClient(httpx.AsyncClient):
    """The ``httpx.AsyncClient`` that :func:`pooled_http_client` makes: an ordinary one, whose
    :class:`~._transport_asyncio.AsyncioTransport` is :attr:`pooled_transport`. Our clients
    sharing it send straight to that transport while the client has nothing of its own to add
    to a request (no auth, event hooks, cookies or default query parameters), as they do
    through the client they make themselves."""

    def __init__(self, *, pooled_transport: AsyncioTransport, **client_options: Any) -> None:
        super().__init__(transport=pooled_transport, **client_options)
        self.pooled_transport = pooled_transport


def pooled_http_client(
    *,
    pools: int = DEFAULT_POOLS,
    limits: httpx.Limits | None = None,
    transport_options: dict[str, Any] | None = None,
    **client_options: Any,
) -> PooledAsyncClient:
    """An ``httpx.AsyncClient`` whose requests go through an
    :class:`~._transport_asyncio.AsyncioTransport` (the transport our own clients use): the
    one to share between many ``AsyncCopyTradeClient``\\ s (``http_client=``) or with your web
    app.

    ``client_options`` go to ``httpx.AsyncClient`` (``timeout``, ``headers``, ``event_hooks``,
    ...), ``transport_options`` to the transport (``verify``, ``cert``, ``trust_env``; any other,
    such as ``proxy`` or ``http2``, sends every request through ``pools`` httpcore pools, a
    :class:`~._transport_pooled.PooledTransport`). As with any client given to
    ``AsyncCopyTradeClient``, you close it.
    """
    if "transport" in client_options or "mounts" in client_options:
        raise ValueError(
            "pooled_http_client makes its own transport: build httpx.AsyncClient("
            "transport=AsyncioTransport(...)) yourself to add mounts"
        )
    transport = AsyncioTransport(pools=pools, limits=limits, **(transport_options or {}))
    return PooledAsyncClient(pooled_transport=transport, **client_options)
