"""``client.history``: a follow's closed trades, page by page or as one stream."""

from __future__ import annotations

from datetime import datetime

from .._http import HISTORY
from .._records import HistoryOrder, Page
from .._validation import check_id, check_page, check_time_ms, check_time_range
from ._dedupe import TimeOrderedDedupe
from ._pagination import AsyncPaginator
from ._params import Timestamp
from ._resource import Resource

__all__ = ["History"]


class History(Resource):
    """``client.history``: a follow's copied trades, one page or every page."""

    __slots__ = ()

    def list(
        self,
        follow_id: str,
        *,
        start_time: Timestamp | None = None,
        end_time: Timestamp | None = None,
        page_size: int = 100,
        limit: int | None = None,
        prefetch: int = 0,
    ) -> AsyncPaginator[HistoryOrder]:
        """Every closed trade of a follow, newest first, across all pages.

        Times are aware ``datetime``s or ms since the epoch. Without ``end_time`` the walk pins
        it to the server's ``requestTime`` of the first page, so trades that close while the
        walk runs cannot shift the pages; an ``orderId`` already yielded is dropped as well.
        """
        follow_id = check_id("follow_id", follow_id)
        start_ms, end_ms = check_time_range(start_time, end_time)
        check_page(1, page_size)
        pinned: list[int | None] = [end_ms]

        async def fetch(page_no: int) -> Page[HistoryOrder]:
            page = await self._page(follow_id, start_ms, pinned[0], page_no, page_size)
            if pinned[0] is None and page.request_time is not None:
                pinned[0] = check_time_ms("end_time", page.request_time)
            return page

        return AsyncPaginator(
            fetch, limit=limit, dedupe=_dedupe, prefetch=prefetch, name=HISTORY.name
        )

    async def page(
        self,
        follow_id: str,
        *,
        page_no: int = 1,
        page_size: int = 20,
        start_time: Timestamp | None = None,
        end_time: Timestamp | None = None,
    ) -> Page[HistoryOrder]:
        """One page of a follow's closed trades."""
        follow_id = check_id("follow_id", follow_id)
        start_ms, end_ms = check_time_range(start_time, end_time)
        check_page(page_no, page_size)
        return await self._page(follow_id, start_ms, end_ms, page_no, page_size)

    async def _page(
        self,
        follow_id: str,
        start_ms: int | None,
        end_ms: int | None,
        page_no: int,
        page_size: int,
    ) -> Page[HistoryOrder]:
        params = {"followId": follow_id}
        if start_ms is not None:
            params["startTime"] = str(start_ms)
        if end_ms is not None:
            params["endTime"] = str(end_ms)
        return await self._get_page(HISTORY, params, HistoryOrder, page_no, page_size)


def _when(order: HistoryOrder) -> datetime:
    """Where an order stands in the history's newest-first order: its close time, or its create
    time while it is open."""
    return order.close_time if order.close_time is not None else order.create_time


def _dedupe() -> TimeOrderedDedupe[HistoryOrder]:
    return TimeOrderedDedupe(key=lambda order: order.order_id, when=_when)
