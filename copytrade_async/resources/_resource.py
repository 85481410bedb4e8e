"""What every resource shares: the bound request callable it sends through, and the tail that
turns a page's envelope into a :class:`~copytrade_async.Page`.

A resource is given the client's request function, not the client (as openai's resources bind
``client.get``), so this wing never imports the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

from .._http import Endpoint, Envelope
from .._records import Page, structure_page

__all__ = ["Request", "Resource"]

T = TypeVar("T")


class Request(Protocol):
    """Send one call through the client's pipeline and return the decoded envelope."""

    async def __call__(
        self,
        endpoint: Endpoint,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> Envelope: ...


class Resource:
    """The base of every resource: sends through the request function it was bound to."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    async def _get(self, endpoint: Endpoint, params: Mapping[str, str]) -> Envelope:
        return await self._request(endpoint, params=params)

    async def _post(self, endpoint: Endpoint, body: Mapping[str, str]) -> Envelope:
        return await self._request(endpoint, body=body)

    async def _get_page(
        self,
        endpoint: Endpoint,
        params: Mapping[str, str],
        item_cls: type[T],
        page_no: int,
        page_size: int,
    ) -> Page[T]:
        """GET one page (``pageNo`` and ``pageSize`` are added to ``params``) as a Page."""
        query = {**params, "pageNo": str(page_no), "pageSize": str(page_size)}
        envelope = await self._get(endpoint, query)
        return structure_page(
            endpoint.name,
            envelope.data,
            item_cls,
            requested_page=page_no,
            requested_size=page_size,
            request_time_ms=envelope.request_time_ms,
        )
