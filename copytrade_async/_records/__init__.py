"""The records the API returns, and the converter that builds them from the envelope's data.

:mod:`._models` defines the records, :mod:`._wire_values` how one wire value is read,
:mod:`._codegen` the generated structuring functions of flat records, and :mod:`._converter`
the module-level converter and the ``structure*`` functions that raise our own errors.
"""

from ._converter import converter, structure, structure_list, structure_page
from ._models import (
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

__all__ = [
    "Follow",
    "FollowSettings",
    "FollowStatus",
    "FollowStopped",
    "HistoryOrder",
    "MarginMode",
    "OrderSide",
    "OrderStatus",
    "Page",
    "Position",
    "PositionSide",
    "RiskLevel",
    "Trader",
    "TraderDetail",
    "TraderPosition",
    "TraderStatistics",
    "TraderStatus",
    "converter",
    "structure",
    "structure_list",
    "structure_page",
]
