"""The records the API returns, and the converter that builds them from the envelope's data.

:mod:`._models` defines the records and :mod:`._enums` their enumerations,
:mod:`._wire_values` how one wire value is read, :mod:`._codegen` the generated structuring
functions of flat records, :mod:`._converter` the module-level converter and the
``structure*`` functions that raise our own errors, and :mod:`._json` how records leave
(``to_dict()``, ``to_json()``).
"""

from ._converter import structure, structure_list, structure_page
from ._json import Record
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
    "Record",
    "RiskLevel",
    "Trader",
    "TraderDetail",
    "TraderPosition",
    "TraderStatistics",
    "TraderStatus",
    "structure",
    "structure_list",
    "structure_page",
]
