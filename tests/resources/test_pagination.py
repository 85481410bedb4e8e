"""Pagination properties (hypothesis), the history walk's guards (respx), and prefetch as a
rolling window: at most ``prefetch`` pages in flight, a slow page does not hold up the next
ones, read-ahead grows from one window, and items still come in order."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copytrade_async import (
    AsyncCopyTradeClient,
    AsyncPaginator,
    CopyTradeError,
    Page,
    PaginationError,
)
from copytrade_async.resources import STALLED_PAGES, next_page_no

from ..conftest import PREFIX, ok
from ..payloads import ORDER, TRADER


class FakeServer:
    """Serves a list in pages, with totalPage reports that may change as the walk goes."""

    def __init__(self, items: list[int], size: int, totals: list[int]) -> None:
        self.items = items
        self.size = size
        self.totals = totals  # the totalPage reported on the k-th request (last value repeats)
        self.requests: list[int] = []
        self.reported: list[int] = []

    async def fetch(self, page_no: int) -> Page[int]:
        reported_total = self.totals[min(len(self.requests), len(self.totals) - 1)]
        self.requests.append(page_no)
        self.reported.append(reported_total)
        start = (page_no - 1) * self.size
        chunk = tuple(self.items[start : start + self.size]) if page_no <= reported_total else ()
        return Page(
            items=chunk,
            total_page=reported_total,
            total_num=len(self.items),
            current_page=page_no,
            page_size=self.size,
        )


shapes = st.tuples(
    st.integers(min_value=0, max_value=120),  # number of items
    st.integers(min_value=1, max_value=25),  # page size
    st.lists(st.integers(min_value=-3, max_value=3), min_size=1, max_size=6),  # total changes
    st.sampled_from([0, 1, 3, 8]),  # prefetch
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(shapes)
async def test_every_item_once_in_order_and_never_past_the_last_page(shape: Any) -> None:
    n, size, deltas, prefetch = shape
    true_total = -(-n // size)
    totals = [max(0, true_total + d) for d in deltas]
    server = FakeServer(list(range(n)), size, totals)
    got = [item async for item in AsyncPaginator(server.fetch, prefetch=prefetch)]
    # In order, no repeats, and exactly the items the pages served up to where the walk stopped.
    assert got == sorted(set(got))
    assert got == list(range(len(got)))
    # Never a page beyond the totalPage known when it was requested.
    for i, page_no in enumerate(server.requests):
        known = (
            max(server.reported[:i], default=1)
            if prefetch > 1
            else (server.reported[i - 1] if i else 1)
        )
        assert page_no <= max(known, 1)
    # When totals do not change, every item comes back and no request is wasted.
    if len(set(totals)) == 1 and totals[0] == true_total:
        assert got == list(range(n))
        assert sorted(server.requests) == list(range(1, max(true_total, 1) + 1))


@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=0, max_value=70),
)
async def test_limit_caps_items_and_requests(n: int, size: int, limit: int) -> None:
    server = FakeServer(list(range(n)), size, [-(-n // size)])
    got = [item async for item in AsyncPaginator(server.fetch, limit=limit)]
    assert got == list(range(min(n, limit)))
    assert len(server.requests) <= max(1, -(-min(n, limit) // size) + (1 if limit >= n else 0))


@pytest.mark.parametrize(
    ("requested", "items", "total", "expected"),
    [
        (1, (1,), 0, None),
        (1, (), 5, None),
        (1, (1,), 1, None),
        (1, (1,), 2, 2),
        (3, (1,), 2, None),
        (2, (1,), 9, 3),
    ],
)
def test_next_page_rule(
    requested: int, items: tuple[int, ...], total: int, expected: int | None
) -> None:
    page = Page(items=items, total_page=total, total_num=0, current_page=requested, page_size=1)
    assert next_page_no(requested, page) == expected


async def test_pages_are_walkable(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    pages = [
        ok({"totalPage": 2, "totalNum": 2, "currentPage": 1, "pageSize": 1, "list": [TRADER]}),
        ok(
            {
                "totalPage": 2,
                "totalNum": 2,
                "currentPage": 2,
                "pageSize": 1,
                "list": [{**TRADER, "traderId": "2"}],
            }
        ),
    ]
    route = mock_api.get(f"{PREFIX}/traders").mock(side_effect=pages)
    walked = [page async for page in client.traders.list(page_size=1).pages()]
    assert [p.current_page for p in walked] == [1, 2]
    assert [p.items[0].trader_id for p in walked] == ["123456789", "2"]
    assert [c.request.url.params["pageSize"] for c in route.calls] == ["1", "1"]


async def test_list_defaults_to_page_size_100(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/traders").mock(return_value=ok({"totalPage": 0, "list": []}))
    assert [t async for t in client.traders.list(sort_by="followers")] == []
    assert route.calls.last.request.url.params["pageSize"] == "100"
    assert route.call_count == 1


async def test_history_pins_end_time_and_drops_repeats(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    first = [{**ORDER, "orderId": "a"}, {**ORDER, "orderId": "b"}]
    # A trade closed mid-walk shifted page 2 by one: "b" comes again and must be dropped.
    second = [{**ORDER, "orderId": "b"}, {**ORDER, "orderId": "c"}]
    responses = [
        httpx.Response(
            200,
            json={
                "code": "00000",
                "msg": "",
                "requestTime": 1700000000123,
                "data": {"totalPage": 2, "totalNum": 4, "pageSize": 2, "list": first},
            },
        ),
        ok({"totalPage": 2, "totalNum": 4, "pageSize": 2, "list": second}),
    ]
    route = mock_api.get(f"{PREFIX}/history").mock(side_effect=responses)
    orders = [o.order_id async for o in client.history.list("f1", page_size=2)]
    assert orders == ["a", "b", "c"]
    assert "endTime" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["endTime"] == "1700000000123"


async def test_history_pages_drop_repeats_too(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    first = [{**ORDER, "orderId": "a"}, {**ORDER, "orderId": "b"}]
    second = [{**ORDER, "orderId": "b"}, {**ORDER, "orderId": "c"}]
    mock_api.get(f"{PREFIX}/history").mock(
        side_effect=[
            ok({"totalPage": 2, "totalNum": 4, "pageSize": 2, "list": first}),
            ok({"totalPage": 2, "totalNum": 4, "pageSize": 2, "list": second}),
        ]
    )
    pages = [page async for page in client.history.list("f1", page_size=2).pages()]
    assert [[o.order_id for o in page.items] for page in pages] == [["a", "b"], ["c"]]
    assert [page.total_page for page in pages] == [2, 2]  # the server's counts are kept


async def test_awaiting_a_list_gives_its_first_page(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/traders").mock(
        return_value=ok({"totalPage": 3, "totalNum": 5, "pageSize": 2, "list": [TRADER]})
    )
    page = await client.traders.list(page_size=2)
    assert isinstance(page, Page)
    assert (page.current_page, page.total_page, len(page.items)) == (1, 3, 1)
    assert route.call_count == 1
    assert route.calls.last.request.url.params["pageNo"] == "1"


async def test_history_keeps_a_given_end_time(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/history").mock(
        return_value=ok({"totalPage": 1, "list": [ORDER]})
    )
    assert len([o async for o in client.history.list("f1", end_time=5)]) == 1
    assert route.calls.last.request.url.params["endTime"] == "5"


async def test_error_mid_walk_propagates_after_earlier_items(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    from copytrade_async import ServerError

    mock_api.get(f"{PREFIX}/traders").mock(
        side_effect=[
            ok({"totalPage": 3, "list": [TRADER]}),
            httpx.Response(500, text="oops"),
        ]
    )
    seen = []
    with pytest.raises(ServerError):
        async for trader in client.traders.list(page_size=1):
            seen.append(trader)
    assert len(seen) == 1


@pytest.mark.parametrize("current", [None, 1, 99, "x"])
async def test_missing_or_wrong_current_page_does_not_derail(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter, current: object
) -> None:
    def page(n: int) -> httpx.Response:
        data: dict[str, Any] = {
            "totalPage": 3,
            "totalNum": 3,
            "pageSize": 1,
            "list": [{**TRADER, "traderId": str(n)}],
        }
        if current is not None:
            data["currentPage"] = current
        return ok(data)

    route = mock_api.get(f"{PREFIX}/traders").mock(side_effect=[page(1), page(2), page(3)])
    ids = [t.trader_id async for t in client.traders.list(page_size=1)]
    assert ids == ["1", "2", "3"]
    assert route.call_count == 3


# -- prefetch as a rolling window ---------------------------------------------------------------


class SlowServer:
    """``pages`` pages of ``size`` items; page ``slow`` takes ``slow_delay`` seconds."""

    def __init__(self, pages: int, size: int = 2, slow: int = 0, slow_delay: float = 0.0) -> None:
        self.pages = pages
        self.size = size
        self.slow = slow
        self.slow_delay = slow_delay
        self.in_flight = 0
        self.peak = 0
        self.started: list[int] = []
        self.finished: list[int] = []
        self.fail_on: int | None = None

    async def fetch(self, page_no: int) -> Page[int]:
        self.started.append(page_no)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await anyio.sleep(self.slow_delay if page_no == self.slow else 0.001)
            if page_no == self.fail_on:
                raise RuntimeError(f"page {page_no} failed")
        finally:
            self.in_flight -= 1
            self.finished.append(page_no)
        first = (page_no - 1) * self.size
        items = tuple(range(first, first + self.size)) if page_no <= self.pages else ()
        return Page(
            items=items,
            total_page=self.pages,
            total_num=self.pages * self.size,
            current_page=page_no,
            page_size=self.size,
        )


async def test_window_is_bounded_and_rolls_past_a_slow_page() -> None:
    server = SlowServer(pages=40, slow=15, slow_delay=0.05)
    items = [item async for item in AsyncPaginator(server.fetch, prefetch=4)]
    assert items == list(range(80))
    assert server.peak == 4
    # While page 15 was slow (third fill: pages 14 to 29), the window kept going past it.
    assert server.finished.index(15) > server.finished.index(21)
    assert sorted(server.started) == list(range(1, 41))


async def test_read_ahead_starts_at_one_window() -> None:
    server = SlowServer(pages=100)
    got = [item async for item in AsyncPaginator(server.fetch, prefetch=4, limit=3)]
    assert got == [0, 1, 2]
    # Page 1 alone, then one window of 4: nothing further was asked for.
    assert sorted(server.started) == [1, 2, 3, 4, 5]


async def test_an_error_comes_out_in_order() -> None:
    server = SlowServer(pages=30)
    server.fail_on = 7
    seen: list[int] = []
    with pytest.raises(RuntimeError, match="page 7"):
        async for item in AsyncPaginator(server.fetch, prefetch=4):
            seen.append(item)
    assert seen == list(range(12))  # pages 1 to 6


# -- a server that lies: repeats beyond the last pages, pages that bring nothing new -----------


def order(
    order_id: str, close_ms: int | None, create_ms: int = 1_600_000_000_000
) -> dict[str, Any]:
    closed = close_ms is not None
    return {
        **ORDER,
        "orderId": order_id,
        "status": "closed" if closed else "open",
        "createTime": create_ms,
        "closeTime": close_ms,
        "exitPrice": ORDER["exitPrice"] if closed else "",
    }


def pages_of(*lists: list[dict[str, Any]], total_page: int | None = None) -> list[httpx.Response]:
    count = total_page if total_page is not None else len(lists)
    return [ok({"totalPage": count, "list": items}) for items in lists]


async def test_an_order_yielded_pages_ago_is_not_yielded_again(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    # Newest first, one order a page; page 5 repeats order 1 (four pages back).
    t = 1_700_000_000_000
    lists = [[order(str(n), t - n * 1000)] for n in range(1, 5)] + [[order("1", t - 1000)]]
    mock_api.get(f"{PREFIX}/history").mock(side_effect=pages_of(*lists))
    walked = [o.order_id async for o in client.history.list("f1", page_size=1)]
    assert walked == ["1", "2", "3", "4"]


async def test_orders_closed_in_the_same_millisecond_across_pages_are_all_kept(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    t = 1_700_000_000_000
    first = [order("a", t), order("b", t)]
    second = [order("b", t), order("c", t), order("d", t - 1)]  # "b" again: a shifted boundary
    mock_api.get(f"{PREFIX}/history").mock(side_effect=pages_of(first, second))
    walked = [o.order_id async for o in client.history.list("f1", page_size=3)]
    assert walked == ["a", "b", "c", "d"]


async def test_open_orders_are_placed_by_their_create_time(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    t = 1_700_000_000_000
    first = [order("open-1", None, create_ms=t), order("c-1", t - 10)]
    second = [order("open-1", None, create_ms=t), order("c-2", t - 20)]  # the open one again
    mock_api.get(f"{PREFIX}/history").mock(side_effect=pages_of(first, second))
    walked = [o.order_id async for o in client.history.list("f1", page_size=2)]
    assert walked == ["open-1", "c-1", "c-2"]


async def test_a_walk_whose_pages_bring_nothing_new_ends_with_a_typed_error(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    t = 1_700_000_000_000
    same = [order("a", t), order("b", t - 1)]
    route = mock_api.get(f"{PREFIX}/history").mock(
        return_value=ok({"totalPage": 10**9, "list": same})
    )
    walked: list[str] = []
    with pytest.raises(PaginationError, match=r"history\.list") as info:
        async for o in client.history.list("f1", page_size=2):
            walked.append(o.order_id)
    assert walked == ["a", "b"]
    assert route.call_count == 1 + STALLED_PAGES
    assert isinstance(info.value, CopyTradeError)


async def test_a_trader_list_that_repeats_itself_ends_too(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/traders").mock(
        return_value=ok({"totalPage": 10**9, "list": [TRADER]})
    )
    with pytest.raises(PaginationError, match=r"traders\.list"):
        await client.traders.list(page_size=1).collect()
    assert route.call_count == 1 + STALLED_PAGES


async def test_a_trader_that_moves_between_pages_comes_once(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    a, b, c = ({**TRADER, "traderId": i} for i in ("a", "b", "c"))
    mock_api.get(f"{PREFIX}/traders").mock(side_effect=pages_of([a, b], [b, c]))
    assert [t.trader_id async for t in client.traders.list(page_size=2)] == ["a", "b", "c"]


async def test_a_history_sent_oldest_first_is_walked_whole(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    # The documented order is newest first; a server that sends the other way round loses
    # nothing either: the walk learns its direction from the first two times it sees.
    t = 1_700_000_000_000
    first = [order("1", t), order("2", t + 1), order("3", t + 2)]
    second = [order("3", t + 2), order("4", t + 3), order("1", t)]  # a repeat from each end
    mock_api.get(f"{PREFIX}/history").mock(side_effect=pages_of(first, second))
    walked = [o.order_id async for o in client.history.list("f1", page_size=3)]
    assert walked == ["1", "2", "3", "4"]
