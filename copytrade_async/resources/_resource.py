"""What every resource shares: a handle on its client's request path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .._http._endpoints import Endpoint
from .._http._envelope import Envelope

if TYPE_CHECKING:
    from .._client import AsyncCopyTradeClient

__all__ = ["Resource"]


class Resource:
    __slots__ = ("_client",)

    def __init__(self, client: AsyncCopyTradeClient) -> None:
        self._client = client

    async def _get(self, endpoint: Endpoint, params: Mapping[str, str]) -> Envelope:
        return await self._client._request(endpoint, params=params)

    async def _post(self, endpoint: Endpoint, body: Mapping[str, str]) -> Envelope:
        return await self._client._request(endpoint, body=body)
