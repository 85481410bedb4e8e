"""Prefetch as a rolling window: at most ``prefetch`` pages in flight, a slow page does not hold
up the next ones, read-ahead grows from one window, and items still come in order."""

from __future__ import annotations

import anyio
import pytest

from copytrade_async import AsyncPaginator, Page


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
