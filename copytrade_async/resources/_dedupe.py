"""Dropping items a walk already yielded, in bounded memory, and noticing pages that bring
nothing new.

Two ways to know an item was yielded, one per list:

* :class:`TimeOrderedDedupe` (history). The history is sorted by time (close time; an open
  order's create time), newest first as the exchange documents it, and a walk pins
  ``endTime``, so the walk only ever moves one way in time. It learns that way from the first
  two different times it sees (so a server sending oldest first is walked whole too), and keeps
  the *watermark*, the time of the last order yielded, with the ids of the orders yielded at
  exactly that time. An order at the watermark is new unless its id is there; an order beyond
  it (further along the walk) is new; an order before it is one the walk has passed already, so
  it was yielded before (a page boundary that shifted, or a server repeating old pages) and is
  dropped. Memory: the orders that share one millisecond. An order a server sends against its
  own order is dropped as well, and counted (see :attr:`Dedupe.dropped`).
* :class:`RecentDedupe` (traders). The list has no time order, so it remembers the ids it
  yielded, the newest :data:`MAX_REMEMBERED` of them.

Each also counts the *stalled* pages in a row: pages with items, none of them new. The
paginator ends a walk after :data:`STALLED_PAGES` of them (a server that repeats itself would
otherwise keep it going for ``totalPage`` requests).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

__all__ = [
    "MAX_REMEMBERED",
    "STALLED_PAGES",
    "Dedupe",
    "RecentDedupe",
    "TimeOrderedDedupe",
]

T = TypeVar("T")
#: A walk ends once this many pages in a row brought items but nothing new.
STALLED_PAGES = 3
#: The most ids a :class:`RecentDedupe` remembers.
MAX_REMEMBERED = 100_000
_NO_TIME = timedelta(0)


class Dedupe(Protocol[T]):
    """Filters one walk's pages down to the items not yielded before."""

    #: Items dropped so far.
    dropped: int
    #: Pages in a row that brought items but nothing new.
    stalled: int

    def fresh(self, items: Sequence[T]) -> list[T]:
        """The items of one page that were not yielded before, in order (they count as yielded
        from now on)."""
        ...


class _Counting:
    def __init__(self) -> None:
        self.dropped = 0
        self.stalled = 0

    def _count(self, items: int, fresh: int) -> None:
        self.dropped += items - fresh
        self.stalled = self.stalled + 1 if items and not fresh else 0


class TimeOrderedDedupe(_Counting, Generic[T]):
    """For a list that runs newest first by ``when(item)`` (see the module docs)."""

    def __init__(self, key: Callable[[T], Hashable], when: Callable[[T], datetime]) -> None:
        super().__init__()
        self._key = key
        self._when = when
        self._watermark: datetime | None = None
        self._at_watermark: set[Hashable] = set()
        #: +1 once the walk is known to go forward in time, -1 backward (newest first).
        self._direction = 0

    def fresh(self, items: Sequence[T]) -> list[T]:
        kept = []
        for item in items:
            when, key = self._when(item), self._key(item)
            watermark = self._watermark
            if watermark is not None and when != watermark and not self._direction:
                self._direction = 1 if when > watermark else -1
            if watermark is None or (when - watermark) * self._direction > _NO_TIME:
                self._watermark, self._at_watermark = when, {key}
            elif when != watermark or key in self._at_watermark:
                continue  # the walk is past this time: it was yielded already
            else:
                self._at_watermark.add(key)
            kept.append(item)
        self._count(len(items), len(kept))
        return kept


class RecentDedupe(_Counting, Generic[T]):
    """Remembers the ids of the last :data:`MAX_REMEMBERED` items it let through."""

    def __init__(self, key: Callable[[T], Hashable], remember: int = MAX_REMEMBERED) -> None:
        super().__init__()
        self._key = key
        self._seen: set[Hashable] = set()
        self._order: deque[Hashable] = deque()
        self._remember = remember

    def fresh(self, items: Sequence[T]) -> list[T]:
        kept = []
        for item in items:
            key = self._key(item)
            if key in self._seen:
                continue
            self._seen.add(key)
            self._order.append(key)
            if len(self._order) > self._remember:
                self._seen.discard(self._order.popleft())
            kept.append(item)
        self._count(len(items), len(kept))
        return kept
