"""The client's resources (``client.traders``, ``client.follows``, ``client.history``) and the
paginator their lists return.

Each resource is bound to the client's request function, never to the client itself; it checks
the caller's arguments and sends one call per page or action, handing the pipeline the function
that builds its records, which runs inside each attempt.
"""

from ._dedupe import MAX_REMEMBERED, STALLED_PAGES
from ._follows import Follows
from ._history import History
from ._pagination import AsyncPaginator, next_page_no
from ._params import (
    MARGIN_MODES,
    SORT_BY,
    SORT_TYPE,
    Amount,
    Leverage,
    MarginModeName,
    SortBy,
    SortType,
    Timestamp,
)
from ._resource import Request, Resource, many, one, page_of
from ._traders import Traders

__all__ = [
    "MARGIN_MODES",
    "MAX_REMEMBERED",
    "SORT_BY",
    "SORT_TYPE",
    "STALLED_PAGES",
    "Amount",
    "AsyncPaginator",
    "Follows",
    "History",
    "Leverage",
    "MarginModeName",
    "Request",
    "Resource",
    "SortBy",
    "SortType",
    "Timestamp",
    "Traders",
    "many",
    "next_page_no",
    "one",
    "page_of",
]
