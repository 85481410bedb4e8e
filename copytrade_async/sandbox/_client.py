"""A client wired to an in-process sandbox exchange: no socket, no credentials to manage."""

from __future__ import annotations

from typing import Any, Literal

import httpx

from .. import AsyncCopyTradeClient
from ._app import create_app
from ._config import SandboxConfig, SandboxCredentials
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
    account: Literal["live", "demo"] | SandboxCredentials = "live",
    **kwargs: Any,
) -> SandboxClient:
    """A client wired to a fresh in-process sandbox exchange (no socket, no credentials).

    The exchange is at ``client.exchange``: advance its clock with
    ``client.exchange.advance(seconds)``. ``account`` picks whose keys the client signs with:
    ``"live"`` (the default account), ``"demo"`` (the demo account, with ``demo=True``: every
    request carries ``paptrading: 1``), or the :class:`SandboxCredentials` of an account made
    with :meth:`SandboxExchange.add_account`. ``demo`` follows the account unless passed (pass
    the wrong one to see the exchange refuse it). Credentials, base URL and ``demo`` never come
    from the ``COPYTRADE_*`` variables. Other ``kwargs`` go to the client's constructor.
    """
    if exchange is None:
        exchange = SandboxExchange(config or SandboxConfig(seed=seed))
    if account == "live":
        creds = exchange.credentials
    elif account == "demo":
        creds = exchange.demo_credentials
    elif isinstance(account, SandboxCredentials):
        creds = account
    else:
        raise ValueError(
            f'account must be "live", "demo" or SandboxCredentials, got {account!r:.40}'
        )
    kwargs.setdefault("demo", creds.demo)
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
