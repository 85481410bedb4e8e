"""A follow's history as the exchange pages it: closed trades newest first, and, when the
sandbox is told to (``SandboxConfig.open_orders_in_history``), its open copies among them.

Closed trades are kept in ``(closeTime, orderId)`` order (:class:`~._accounts.Follow`); an open
copy takes its place by ``(createTime, orderId)``, the time it would be listed by, and is
built afresh on every request (its ``profit`` is the unrealised PnL at the current mark). A
follow has a handful of open copies at most, so a page is found without merging the lists.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from decimal import Decimal

from ._accounts import Follow
from ._wire import Fragment

__all__ = ["history_page"]


def history_page(
    follow: Follow,
    marks: Mapping[str, Decimal] | None,
    start_time: int | None,
    end_time: int | None,
    page_size: int,
    page_no: int,
    kept_from: int | None = None,
) -> tuple[int, list[Fragment]]:
    """(total, items of page ``page_no``) of the orders with a time in [start, end], newest
    first. ``marks`` (the mark prices) lists the open copies too; None leaves them out.
    ``kept_from`` is the retention's horizon: closed trades before it are forgotten."""
    keys = follow.history_keys
    closed_from = start_time if kept_from is None else max(kept_from, start_time or 0)
    low = 0 if closed_from is None else bisect.bisect_left(keys, (closed_from, ""))
    high = len(keys) if end_time is None else bisect.bisect_left(keys, (end_time + 1, ""))
    opened = {} if marks is None else _open_orders(follow, marks, low, high, start_time, end_time)
    total = max(0, high - low) + len(opened)
    first = (page_no - 1) * page_size
    last = min(first + page_size, total)
    ahead = sum(1 for place in opened if place < first)  # open orders before this page
    items = []
    for place in range(first, last):
        if place in opened:
            items.append(opened[place])
            ahead += 1
        else:
            items.append(follow.history[high - 1 - (place - ahead)])
    return total, items


def _open_orders(
    follow: Follow,
    marks: Mapping[str, Decimal],
    low: int,
    high: int,
    start_time: int | None,
    end_time: int | None,
) -> dict[int, Fragment]:
    """The open copies created in [start, end], by their place in the newest-first answer:
    after every closed trade listed (``history[low:high]``) with a greater key, and the open
    copies newer than it."""
    copies = sorted(
        (
            copy
            for copy in follow.positions.values()
            if (start_time is None or copy.create_ms >= start_time)
            and (end_time is None or copy.create_ms <= end_time)
        ),
        key=lambda copy: (copy.create_ms, copy.order_id),
        reverse=True,
    )
    keys = follow.history_keys
    opened = {}
    for newer_open, copy in enumerate(copies):
        older = max(low, bisect.bisect_right(keys, (copy.create_ms, copy.order_id)))
        newer_closed = max(0, high - older)  # none when the window is all forgotten
        record = copy.order_json(None, copy.pnl(marks[copy.symbol]), None)
        opened[newer_open + newer_closed] = Fragment(record)
    return opened
