"""copytrade_async: an asyncio client for a copy-trading futures REST API.

Start with :class:`AsyncCopyTradeClient`, or :func:`copytrade_async.sandbox.sandbox_client` for
a client on an in-process simulated exchange. The public subpackages are
:mod:`copytrade_async.ratelimit` (limits and limiter backends), :mod:`copytrade_async.resources`
(the resources and their paginator), :mod:`copytrade_async.sandbox` (the simulated exchange) and
:mod:`copytrade_async.toolkit` (sizing, scoring, diversifying, monitoring).
``RedisRateLimiter`` and ``fleet_share`` (extra ``[redis]``) and ``SandboxClient`` load on first
use.

Records leave the library through their own ``to_dict()`` / ``to_dict(mode="json")`` /
``to_json()``. The cattrs converter that builds them is not public: it is shared by every
client in the process, so a hook registered on it would change how all of them read money.

``to_decimal``, ``check_whole``, ``check_id`` and ``check_positive`` are the checks the client
runs on its own arguments, for code built on it (the toolkit uses them): each raises
``ValueError`` naming the argument.
"""

from typing import TYPE_CHECKING

from ._client import AsyncCopyTradeClient
from ._config import DEFAULT_BASE_URL, ClientOptions, RequestEvent, RequestHook
from ._exceptions import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ClientClosedError,
    CopyLimitExceededError,
    CopyTradeError,
    FollowNotFoundError,
    InsufficientBalanceError,
    InvalidFollowSettingsError,
    InvalidParameterError,
    InvalidTraderError,
    PaginationError,
    RateLimitError,
    RateLimitWaitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
)
from ._http import AsyncioTransport, PooledAsyncClient, PooledTransport, pooled_http_client
from ._records import (
    Follow,
    FollowSettings,
    FollowStatus,
    FollowStopped,
    HistoryOrder,
    MarginMode,
    OrderSide,
    OrderStatus,
    Page,
    Position,
    PositionSide,
    Record,
    RiskLevel,
    Trader,
    TraderDetail,
    TraderPosition,
    TraderStatistics,
    TraderStatus,
)
from ._validation import (
    MAX_LEVERAGE,
    MAX_PAGE_SIZE,
    check_id,
    check_positive,
    check_whole,
    to_decimal,
)
from .ratelimit import (
    COPYTRADING_GROUP,
    InMemoryRateLimiter,
    NullRateLimiter,
    RateLimit,
    RateLimiter,
    RateLimits,
)
from .resources import (
    MARGIN_MODES,
    SORT_BY,
    SORT_TYPE,
    Amount,
    AsyncPaginator,
    Leverage,
    MarginModeName,
    SortBy,
    SortType,
    Timestamp,
)

if TYPE_CHECKING:  # at run time, imported on first use
    from .ratelimit import RedisRateLimiter as RedisRateLimiter  # needs the [redis] extra
    from .ratelimit import fleet_share as fleet_share
    from .sandbox import SandboxClient as SandboxClient

__version__ = "0.1.0"

__all__ = [
    "COPYTRADING_GROUP",
    "DEFAULT_BASE_URL",
    "MARGIN_MODES",
    "MAX_LEVERAGE",
    "MAX_PAGE_SIZE",
    "SORT_BY",
    "SORT_TYPE",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyFollowingError",
    "Amount",
    "AsyncCopyTradeClient",
    "AsyncPaginator",
    "AsyncioTransport",
    "AuthenticationError",
    "ClientClosedError",
    "ClientOptions",
    "CopyLimitExceededError",
    "CopyTradeError",
    "Follow",
    "FollowNotFoundError",
    "FollowSettings",
    "FollowStatus",
    "FollowStopped",
    "HistoryOrder",
    "InMemoryRateLimiter",
    "InsufficientBalanceError",
    "InvalidFollowSettingsError",
    "InvalidParameterError",
    "InvalidTraderError",
    "Leverage",
    "MarginMode",
    "MarginModeName",
    "NullRateLimiter",
    "OrderSide",
    "OrderStatus",
    "Page",
    "PaginationError",
    "PooledAsyncClient",
    "PooledTransport",
    "Position",
    "PositionSide",
    "RateLimit",
    "RateLimitError",
    "RateLimitWaitError",
    "RateLimiter",
    "RateLimits",
    "Record",
    "RedisRateLimiter",
    "RequestEvent",
    "RequestHook",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RiskLevel",
    "SandboxClient",
    "ServerError",
    "SortBy",
    "SortType",
    "Timestamp",
    "Trader",
    "TraderDetail",
    "TraderPosition",
    "TraderStatistics",
    "TraderStatus",
    "__version__",
    "check_id",
    "check_positive",
    "check_whole",
    "fleet_share",
    "pooled_http_client",
    "to_decimal",
]


def __getattr__(name: str) -> object:
    if name in ("RedisRateLimiter", "fleet_share"):
        from . import ratelimit

        return getattr(ratelimit, name)
    if name == "SandboxClient":  # the sandbox package imports this one: no import at load
        from .sandbox import SandboxClient

        return SandboxClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
