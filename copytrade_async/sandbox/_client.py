"""A client wired to an in-process sandbox exchange: no socket, no credentials to manage."""

from __future__ import annotations

from typing import Any

import httpx

from .. import AsyncCopyTradeClient
from ._app import create_app
from ._config import SandboxConfig
from ._exchange import SandboxExchange

__all__ = ["SandboxClient", "sandbox_client"]

#: The base URL of an in-process sandbox (requests never leave the process).
IN_PROCESS_URL = "http://sandbox.local"


class SandboxClient(AsyncCopyTradeClient):
    """A client on an in-process sandbox; ``exchange`` is the simulation behind it."""

    exchange: SandboxExchange
    _owned_http: httpx.AsyncClient

    async def aclose(self) -> None:
        await super().aclose()
        await self._owned_http.aclose()


def sandbox_client(
    seed: int = 0,
    *,
    config: SandboxConfig | None = None,
    exchange: SandboxExchange | None = None,
    **kwargs: Any,
) -> SandboxClient:
    """A client wired to a fresh in-process sandbox exchange (no socket, no credentials).

    The exchange is at ``client.exchange``: advance its clock with
    ``client.exchange.advance(seconds)``. ``kwargs`` go to the client's constructor.
    """
    if exchange is None:
        exchange = SandboxExchange(config or SandboxConfig(seed=seed))
    creds = exchange.credentials
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(exchange)))
    client = SandboxClient(
        api_key=creds.api_key,
        api_secret=creds.api_secret,
        passphrase=creds.passphrase,
        base_url=IN_PROCESS_URL,
        http_client=http,
        **kwargs,
    )
    client.exchange = exchange
    client._owned_http = http
    return client
