"""What every resource shares: the bound request callable it sends through, and the functions
that build an endpoint's records from its envelope.

A resource is given the client's request function, not the client (as openai's resources bind
``client.get``), so this wing never imports the client. It hands the pipeline the function
that builds its records (:func:`one`, :func:`many`, :func:`page_of`), and the pipeline calls
it inside the attempt: a body that does not fit the records is a failed attempt, judged by the
retry policy, redacted and reported to ``on_request`` like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

from .._http import Build, Endpoint, Envelope
from .._records import Page, structure, structure_list, structure_page

__all__ = ["Request", "Resource", "many", "one", "page_of"]

T = TypeVar("T")


class Request(Protocol):
    """Send one call through the client's pipeline and return what ``build`` makes of the
    decoded envelope."""

    async def __call__(
        self,
        endpoint: Endpoint,
        build: Build[T],
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> T: ...


def one(endpoint: Endpoint, cls: type[T]) -> Build[T]:
    """Build one ``cls`` record from the envelope's data."""
    name = endpoint.name

    def build(envelope: Envelope) -> T:
        return structure(name, envelope.data, cls)

    return build


def many(endpoint: Endpoint, cls: type[T]) -> Build[list[T]]:
    """Build a list of ``cls`` records from the envelope's data (a missing list is empty)."""
    name = endpoint.name

    def build(envelope: Envelope) -> list[T]:
        return list(structure_list(name, envelope.data, cls))

    return build


def page_of(endpoint: Endpoint, cls: type[T], page_no: int, page_size: int) -> Build[Page[T]]:
    """Build the :class:`~copytrade_async.Page` of ``cls`` records that answers a request for
    page ``page_no`` of ``page_size``."""
    name = endpoint.name

    def build(envelope: Envelope) -> Page[T]:
        return structure_page(
            name,
            envelope.data,
            cls,
            requested_page=page_no,
            requested_size=page_size,
            request_time_ms=envelope.request_time_ms,
        )

    return build


class Resource:
    """The base of every resource: sends through the request function it was bound to."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    async def _get(self, endpoint: Endpoint, params: Mapping[str, str], build: Build[T]) -> T:
        return await self._request(endpoint, build, params=params)

    async def _post(self, endpoint: Endpoint, body: Mapping[str, str], build: Build[T]) -> T:
        return await self._request(endpoint, build, body=body)

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
        return await self._get(endpoint, query, page_of(endpoint, item_cls, page_no, page_size))
