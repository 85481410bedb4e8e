"""The enumerated values of the records: ``StrEnum``s that stay open to values the spec does
not list.

A field the spec enumerates (``side``, ``margin_mode``, ``risk_level``, ``status``) is typed
with its enum, so ``order.status.value`` and ``order.status is OrderStatus.OPEN`` type-check.
A value the exchange adds later must not crash a bot, so the converter reads it as an *unknown
member*: an instance of the same class, and so a ``str`` equal to what the server sent, whose
``.value`` is that string, whose ``.name`` is ``"UNKNOWN"`` and whose :attr:`OpenStrEnum.is_known`
is False. It is not one of the class's members (``list(OrderStatus)`` is unchanged) and is
never cached, so a server inventing values cannot grow a table.

Calling the class keeps the enum's strictness for your own code: ``OrderStatus("bogus")``
still raises ``ValueError``. Only the converter makes unknown members, through
:meth:`OpenStrEnum.from_wire`.

A ``match`` over a field should keep a ``case _:`` branch: mypy counts the declared members as
exhaustive, and an unknown member matches none of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

__all__ = [
    "FollowStatus",
    "MarginMode",
    "OpenStrEnum",
    "OrderSide",
    "OrderStatus",
    "PositionSide",
    "RiskLevel",
    "TraderStatus",
]

UNKNOWN_NAME = "UNKNOWN"


class OpenStrEnum(StrEnum):
    """A ``StrEnum`` whose converter keeps values it does not list (see the module docs)."""

    @classmethod
    def from_wire(cls, value: str) -> Self:
        """The member for ``value``, or an unknown member carrying it."""
        member = cls._value2member_map_.get(value)
        if member is not None:
            return member  # type: ignore[return-value]
        unknown = str.__new__(cls, value)
        unknown._value_ = value
        unknown._name_ = UNKNOWN_NAME
        return unknown

    @property
    def is_known(self) -> bool:
        """Whether this is a member the class declares (False for a value the spec lacks)."""
        return type(self)._value2member_map_.get(self._value_) is self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickle (and copy) through ``from_wire``: calling the class refuses an unknown value.
        return type(self).from_wire, (self._value_,)


class PositionSide(OpenStrEnum):
    """The direction of a position."""

    LONG = "long"
    SHORT = "short"


class OrderSide(OpenStrEnum):
    """The side of a copied order."""

    BUY = "buy"
    SELL = "sell"


class MarginMode(OpenStrEnum):
    """How a position's margin is held: on its own (isolated) or shared (cross)."""

    ISOLATED = "isolated"
    CROSS = "cross"


class RiskLevel(OpenStrEnum):
    """The exchange's risk rating of a trader."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TraderStatus(OpenStrEnum):
    """Whether a trader can be followed."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class FollowStatus(OpenStrEnum):
    """Whether a follow is copying its trader."""

    ACTIVE = "active"
    STOPPED = "stopped"


class OrderStatus(OpenStrEnum):
    """Whether a copied order is still open or closed."""

    OPEN = "open"
    CLOSED = "closed"
