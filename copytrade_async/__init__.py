"""copytrade_async: an asyncio client for a copy-trading futures REST API.

Start with :class:`AsyncCopyTradeClient`, or :meth:`AsyncCopyTradeClient.sandbox` for a client
on an in-process simulated exchange. The subpackages are :mod:`copytrade_async.sandbox` (the
simulated exchange) and :mod:`copytrade_async.toolkit` (sizing, scoring, diversifying,
monitoring). ``RedisRateLimiter`` and ``fleet_share`` (extra ``[redis]``) load on first use.
"""

from typing import TYPE_CHECKING

from ._client import AsyncCopyTradeClient, SandboxClient
from ._config import ClientOptions, RequestEvent, RequestHook
from ._exceptions import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CopyLimitExceededError,
    CopyTradeError,
    InsufficientBalanceError,
    InvalidFollowSettingsError,
    InvalidTraderError,
    RateLimitError,
    ResponseDecodeError,
    ResponseValidationError,
    ServerError,
)
from ._records._converter import converter
from ._records._models import (
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
    RiskLevel,
    Trader,
    TraderDetail,
    TraderPosition,
    TraderStatistics,
    TraderStatus,
)
from .ratelimit._limits import RateLimit, RateLimiter, RateLimits
from .ratelimit._memory import InMemoryRateLimiter, NullRateLimiter
from .resources._pagination import AsyncPaginator

if TYPE_CHECKING:  # at run time, imported on first use: they need the [redis] extra
    from .ratelimit._redis import RedisRateLimiter as RedisRateLimiter
    from .ratelimit._redis import fleet_share as fleet_share

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyFollowingError",
    "AsyncCopyTradeClient",
    "AsyncPaginator",
    "AuthenticationError",
    "ClientOptions",
    "CopyLimitExceededError",
    "CopyTradeError",
    "Follow",
    "FollowSettings",
    "FollowStatus",
    "FollowStopped",
    "HistoryOrder",
    "InMemoryRateLimiter",
    "InsufficientBalanceError",
    "InvalidFollowSettingsError",
    "InvalidTraderError",
    "MarginMode",
    "NullRateLimiter",
    "OrderSide",
    "OrderStatus",
    "Page",
    "Position",
    "PositionSide",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RateLimits",
    "RequestEvent",
    "RequestHook",
    "ResponseDecodeError",
    "ResponseValidationError",
    "RiskLevel",
    "SandboxClient",
    "ServerError",
    "Trader",
    "TraderDetail",
    "TraderPosition",
    "TraderStatistics",
    "TraderStatus",
    "__version__",
    "converter",
]


def __getattr__(name: str) -> object:
    if name in ("RedisRateLimiter", "fleet_share"):
        from .ratelimit import _redis

        return getattr(_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
