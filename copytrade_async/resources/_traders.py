"""``client.traders``: the trader list and trader details."""

from __future__ import annotations

from .._http import TRADER_DETAIL, TRADERS
from .._records import Page, Trader, TraderDetail
from .._validation import check_choice, check_id, check_page
from ._dedupe import RecentDedupe
from ._pagination import AsyncPaginator
from ._params import SORT_BY, SORT_TYPE, SortBy, SortType
from ._resource import Resource, one

__all__ = ["Traders"]


def _sort_params(sort_by: SortBy | None, sort_type: SortType | None) -> dict[str, str]:
    params: dict[str, str] = {}
    if sort_by is not None:
        params["sortBy"] = check_choice("sort_by", sort_by, SORT_BY)
    if sort_type is not None:
        params["sortType"] = check_choice("sort_type", sort_type, SORT_TYPE)
    return params


class Traders(Resource):
    """``client.traders``: the trader list (one page or every page) and a trader's details."""

    __slots__ = ()

    def list(
        self,
        *,
        sort_by: SortBy | None = None,
        sort_type: SortType | None = None,
        page_size: int = 100,
        limit: int | None = None,
        prefetch: int = 0,
    ) -> AsyncPaginator[Trader]:
        """Every trader, across all pages: ``async for trader in client.traders.list()``."""
        params = _sort_params(sort_by, sort_type)
        check_page(1, page_size)

        async def fetch(page_no: int) -> Page[Trader]:
            return await self._page(params, page_no, page_size)

        return AsyncPaginator(
            fetch, limit=limit, dedupe=_dedupe, prefetch=prefetch, name=TRADERS.name
        )

    async def page(
        self,
        *,
        page_no: int = 1,
        page_size: int = 20,
        sort_by: SortBy | None = None,
        sort_type: SortType | None = None,
    ) -> Page[Trader]:
        """One page of the trader list."""
        params = _sort_params(sort_by, sort_type)
        check_page(page_no, page_size)
        return await self._page(params, page_no, page_size)

    async def _page(self, params: dict[str, str], page_no: int, page_size: int) -> Page[Trader]:
        return await self._get_page(TRADERS, params, Trader, page_no, page_size)

    async def get(self, trader_id: str) -> TraderDetail:
        """A trader's details, statistics and open positions."""
        trader_id = check_id("trader_id", trader_id)
        return await self._get(
            TRADER_DETAIL, {"traderId": trader_id}, one(TRADER_DETAIL, TraderDetail)
        )


def _dedupe() -> RecentDedupe[Trader]:
    # A trader whose profit changes mid-walk can move to a later page: it comes once.
    return RecentDedupe(key=lambda trader: trader.trader_id)
