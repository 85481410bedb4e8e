"""Choosing the transport for the client's ``transport=`` and ``http_client=`` arguments.

It sits above both transports, so neither imports the other; aiohttp is imported only when
it is chosen.
"""

from __future__ import annotations

import sys
from typing import Any

import httpx

from ._transport import TRANSPORTS, Transport, refuse_unless_asyncio
from ._transport_httpx import HttpxTransport

__all__ = ["create_transport"]

_NOT_HTTPX2 = (
    ": httpx2 is not supported (docs/performance.md says why); leave http_client out, or share "
    "a pooled_http_client() between clients"
)


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
    httpx. A given client is used as it is and never closed by us. aiohttp under an event
    loop other than asyncio (trio) is a ``ValueError`` that names the fix.
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
            kind = type(http_client)
            raise TypeError(
                "http_client must be an httpx.AsyncClient (or an aiohttp.ClientSession with "
                f"transport='aiohttp'), got {kind.__module__.partition('.')[0]}.{kind.__name__}"
                + (_NOT_HTTPX2 if kind.__module__.startswith("httpx2") else "")
            )
        return HttpxTransport(http_client, owned=False)
    # aiohttp runs on asyncio only: refused here under trio, or at the first request when the
    # client is made outside any event loop (see AiohttpTransport).
    refuse_unless_asyncio("aiohttp")
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
