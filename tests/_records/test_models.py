"""The records: frozen and slotted (the JSON base adds no ``__dict__``), optional fields that
default to None, and the open-order fields last."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from copytrade_async import HistoryOrder, OrderSide, OrderStatus, Trader
from copytrade_async._records import _models

#: Every record the module defines (and Page).
RECORDS = [cls for name in _models.__all__ if attrs.has(cls := getattr(_models, name))]


def test_every_record_is_listed() -> None:
    assert len(RECORDS) == 10 and HistoryOrder in RECORDS and _models.Page in RECORDS


@pytest.mark.parametrize("cls", RECORDS)
def test_records_are_frozen_slotted_and_leave_as_json(cls: type[object]) -> None:
    assert attrs.has(cls)
    assert "__dict__" not in dir(cls)
    assert callable(getattr(cls, "to_dict", None)) and callable(getattr(cls, "to_json", None))


def test_an_open_order_is_built_without_exit_price_or_close_time() -> None:
    order = HistoryOrder(
        order_id="1",
        symbol="BTCUSDT",
        side=OrderSide.BUY,
        size=Decimal("0.1"),
        entry_price=Decimal("30000"),
        profit=Decimal("-1.5"),
        leverage=Decimal(10),
        status=OrderStatus.OPEN,
        create_time=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert order.exit_price is None and order.close_time is None
    assert [f.name for f in attrs.fields(HistoryOrder)][-2:] == ["exit_price", "close_time"]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        order.profit = Decimal(0)  # type: ignore[misc]


def test_description_is_optional() -> None:
    assert attrs.fields(Trader).description.default is None
