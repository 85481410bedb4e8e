"""Enums that stay open: an unknown value from the server is an unknown member of its enum,
a str equal to the value sent, never one of the declared members, and never cached."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from copytrade_async import (
    FollowStatus,
    MarginMode,
    OrderSide,
    OrderStatus,
    PositionSide,
    RiskLevel,
    TraderStatus,
)
from copytrade_async._records._enums import UNKNOWN_NAME, OpenStrEnum

ENUMS = [FollowStatus, MarginMode, OrderSide, OrderStatus, PositionSide, RiskLevel, TraderStatus]


@pytest.mark.parametrize("enum", ENUMS)
def test_known_values_are_the_members(enum: type[OpenStrEnum]) -> None:
    assert UNKNOWN_NAME not in enum.__members__
    for member in enum:
        assert enum.from_wire(member.value) is member
        assert member.is_known


def test_an_unknown_value_is_an_unknown_member() -> None:
    partial = OrderStatus.from_wire("partially_filled")
    assert type(partial) is OrderStatus and isinstance(partial, str)
    assert partial == "partially_filled" and partial.value == "partially_filled"
    assert str(partial) == f"{partial}" == "partially_filled"
    assert partial.name == UNKNOWN_NAME and not partial.is_known
    assert partial not in (OrderStatus.OPEN, OrderStatus.CLOSED)
    assert list(OrderStatus) == [OrderStatus.OPEN, OrderStatus.CLOSED]
    assert {"partially_filled": 1}[partial] == 1  # hashes as its value
    assert json.dumps({"status": partial}) == '{"status": "partially_filled"}'
    # A value spelled like a member's name is no member either.
    assert not OrderStatus.from_wire("OPEN").is_known


def test_unknown_members_are_not_cached() -> None:
    before = dict(OrderStatus._value2member_map_)
    for n in range(100):
        OrderStatus.from_wire(f"new-{n}")
    assert OrderStatus._value2member_map_ == before


def test_calling_the_class_stays_strict() -> None:
    with pytest.raises(ValueError, match="bogus"):
        OrderStatus("bogus")
    assert MarginMode("cross") is MarginMode.CROSS


def test_unknown_members_survive_pickle_and_copy() -> None:
    partial = OrderStatus.from_wire("partially_filled")
    for restored in (
        pickle.loads(pickle.dumps(partial)),
        copy.copy(partial),
        copy.deepcopy(partial),
    ):
        assert type(restored) is OrderStatus and restored == partial and not restored.is_known
    assert pickle.loads(pickle.dumps(OrderStatus.OPEN)) is OrderStatus.OPEN


def test_match_needs_a_default_branch() -> None:
    def describe(status: OrderStatus) -> str:
        match status:
            case OrderStatus.OPEN:
                return "open"
            case OrderStatus.CLOSED:
                return "closed"
            case _:
                return f"unknown: {status.value}"

    assert describe(OrderStatus.from_wire("closed")) == "closed"
    assert describe(OrderStatus.from_wire("liquidated")) == "unknown: liquidated"
