"""Walking ``pageNo`` / ``totalPage`` so callers never see it.

The rule is one pure function, :func:`next_page_no`: after page ``n`` comes ``n + 1`` unless the
page was empty or ``n`` has reached the ``totalPage`` that page reported. The page number we
asked for is the truth: ``currentPage`` is missing or wrong on some servers. Reading
``totalPage`` afresh from every page means a total that shrinks or grows mid-walk is followed,
and no page past the last one is ever requested.

:class:`AsyncPaginator` yields items with ``async for`` and walks pages with ``.pages()``. It
stops after ``limit`` items, drops an item it yielded already and ends a walk whose pages stop
bringing anything new (both in bounded memory, see :mod:`._dedupe`), and can prefetch: once
``totalPage`` is known it keeps up to ``prefetch`` following pages in flight, and still hands
them out in order. Each fill is a rolling window (a finished fetch
starts the next page) that reads ahead ``prefetch`` pages at first and twice as many on each
later fill, up to ``8 * prefetch``: a walk that stops early (``limit``) wastes few requests,
and a long walk is not held up by the slowest page of every batch.

``await paginator`` fetches just the first page (as openai's paginators do).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

import anyio
import attrs

from .._exceptions import PaginationError
from .._records import Page
from ._dedupe import STALLED_PAGES, Dedupe

__all__ = ["STALLED_PAGES", "AsyncPaginator", "next_page_no"]

T = TypeVar("T")
#: How many windows of ``prefetch`` pages one rolling fill reads ahead, at most.
_MAX_READ_AHEAD = 8
FetchPage = Callable[[int], Awaitable[Page[T]]]


def next_page_no(requested: int, page: Page[Any]) -> int | None:
    """The page to ask for after ``page`` (which answered a request for ``requested``), or None."""
    if not page.items or requested >= page.total_page:
        return None
    return requested + 1


class _PageWalker(Generic[T]):
    """Hands out pages in order, fetching ahead in bounded rolling windows when asked to, each
    without the items already handed out when it has a ``dedupe``, which also ends a walk whose
    pages stopped bringing anything new."""

    def __init__(
        self, fetch: FetchPage[T], prefetch: int, name: str, dedupe: Dedupe[T] | None
    ) -> None:
        self._fetch = fetch
        self._prefetch = prefetch
        self._name = name
        self._dedupe = dedupe
        self._next_no: int | None = 1
        self._known_total: int | None = None
        # Windows of ``prefetch`` pages the next fill may read: doubles after every fill, so a
        # walk that stops early has fetched at most about as many extra pages as it used.
        self._read_ahead = 1
        # Fetched but not yet handed out: (page number, page or the error fetching it raised).
        self._ready: deque[tuple[int, Page[T] | Exception]] = deque()

    def __aiter__(self) -> _PageWalker[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if not self._ready:
            if self._next_no is None:
                raise StopAsyncIteration
            await self._fill(self._next_no)
        number, result = self._ready.popleft()
        if isinstance(result, Exception):
            self._ready.clear()
            self._next_no = None
            raise result
        self._known_total = result.total_page
        following = next_page_no(number, result)
        if following is None:
            self._ready.clear()  # prefetched pages past a shrunken total or an empty page
        self._next_no = following
        if self._ready and self._ready[0][0] != following:
            self._ready.clear()
        return result if self._dedupe is None else self._fresh(result)

    def _fresh(self, page: Page[T]) -> Page[T]:
        assert self._dedupe is not None
        fresh = self._dedupe.fresh(page.items)
        if self._dedupe.stalled >= STALLED_PAGES:
            self._ready.clear()
            self._next_no = None
            raise PaginationError(
                self._name,
                f"{STALLED_PAGES} pages in a row (up to page {page.current_page} of "
                f"{page.total_page}) brought nothing new; the walk was ended",
            )
        return page if len(fresh) == len(page.items) else attrs.evolve(page, items=tuple(fresh))

    async def _fill(self, first: int) -> None:
        if self._prefetch <= 1 or self._known_total is None:
            self._ready.append((first, await self._fetch(first)))
            return
        # A rolling window: ``prefetch`` fetches in flight, each finished one making room for
        # the next page, up to ``_read_ahead`` windows' worth of pages in this fill. A fixed
        # batch would wait for its slowest page (and for the event loop to work through all
        # the answers) before starting any of the next ones.
        limit = max(self._known_total, first)
        last = first + self._prefetch * self._read_ahead - 1
        self._read_ahead = min(self._read_ahead * 2, _MAX_READ_AHEAD)
        results: dict[int, Page[T] | Exception] = {}
        following = first
        stopped = False

        def start_next(group: anyio.abc.TaskGroup) -> None:
            nonlocal following
            if not stopped and following <= min(limit, last):
                group.start_soon(one, following, group)
                following += 1

        async def one(number: int, group: anyio.abc.TaskGroup) -> None:
            nonlocal limit, stopped
            try:
                page = results[number] = await self._fetch(number)
            except Exception as exc:  # handed out in order, when its turn comes
                results[number] = exc
                stopped = True
                return
            if next_page_no(number, page) is None:
                stopped = True  # the walk ends here unless an earlier page says otherwise
            limit = page.total_page  # never ask past the total the server last reported
            start_next(group)

        async with anyio.create_task_group() as group:
            for _ in range(self._prefetch):
                start_next(group)
        self._ready.extend((n, results[n]) for n in range(first, following))


class AsyncPaginator(Generic[T]):
    """Every item of a paginated list: ``async for item in paginator``.

    ``limit`` caps the number of items (and so the pages fetched); ``dedupe`` makes, for each
    walk, the filter that drops an item already yielded (see :mod:`._dedupe`), and a walk whose
    pages stop bringing anything new ends with :class:`~copytrade_async.PaginationError`;
    ``prefetch`` > 1 fetches that many pages at a time once the total is known. ``name`` names
    the list in errors. Each iteration starts a fresh walk from page 1; ``await paginator``
    fetches only the first page.
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        limit: int | None = None,
        dedupe: Callable[[], Dedupe[T]] | None = None,
        prefetch: int = 0,
        name: str = "list",
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValueError(f"limit must be a whole number or None, got {limit!r}")
        if limit is not None and limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"prefetch must be a whole number >= 0, got {prefetch!r}")
        self._fetch = fetch
        self._limit = limit
        self._dedupe = dedupe
        self._prefetch = prefetch
        self._name = name

    def pages(self) -> AsyncIterator[Page[T]]:
        """Walk the pages themselves, each without the items an earlier page already brought
        (``limit`` does not apply)."""
        dedupe = None if self._dedupe is None else self._dedupe()
        return _PageWalker(self._fetch, self._prefetch, self._name, dedupe)

    def __aiter__(self) -> AsyncIterator[T]:
        return _ItemWalker(self.pages(), self._limit)

    def __await__(self) -> Generator[Any, None, Page[T]]:
        """``await client.traders.list()``: the first page."""
        return self._fetch(1).__await__()

    async def collect(self) -> list[T]:
        """All items in a list (mind the memory on long histories)."""
        return [item async for item in self]


class _ItemWalker(Generic[T]):
    def __init__(self, pages: AsyncIterator[Page[T]], limit: int | None) -> None:
        self._pages = pages
        self._remaining = limit
        self._items: deque[T] = deque()

    def __aiter__(self) -> _ItemWalker[T]:
        return self

    async def __anext__(self) -> T:
        if self._remaining is not None:
            if self._remaining <= 0:
                raise StopAsyncIteration
            self._remaining -= 1
        while not self._items:
            page = await self._pages.__anext__()
            self._items.extend(page.items)
        return self._items.popleft()
