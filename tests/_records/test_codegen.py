"""The generated structuring functions of flat records decide exactly as cattrs' own do, fill
slots only where a record's ``__init__`` would do nothing else, and still name a bad field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from cattrs.gen import make_dict_structure_fn, override
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import (
    Follow,
    FollowSettings,
    FollowStopped,
    HistoryOrder,
    Position,
    Trader,
    TraderDetail,
    TraderPosition,
    TraderStatistics,
)
from copytrade_async._records._codegen import slot_setters
from copytrade_async._records._converter import (
    converter,
    structure,
    to_camel,
)

from ..payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER

RECORDS: list[tuple[type[Any], dict[str, Any]]] = [
    (HistoryOrder, ORDER),
    (Position, POSITION),
    (Trader, TRADER),
    (Follow, FOLLOW),
    (FollowSettings, SETTINGS),
    (FollowStopped, STOPPED),
    (TraderStatistics, {}),
    (TraderPosition, {}),
]


def cattrs_hook(cls: type[Any]) -> Any:
    """What cattrs itself generates for ``cls`` on our converter (the reference)."""
    renames = {a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)}
    return make_dict_structure_fn(cls, converter, **renames)


def test_flat_records_get_the_generated_hook_and_nested_ones_cattrs() -> None:
    for cls, _ in RECORDS:
        assert "copytrade_async structure" in converter.get_structure_hook(cls).__code__.co_filename
    detail_hook = converter.get_structure_hook(TraderDetail)
    assert "cattrs" in detail_hook.__code__.co_filename


def test_plain_records_are_filled_slot_by_slot_and_stay_frozen() -> None:
    for cls, example in RECORDS:
        assert slot_setters(cls) is not None, cls
        payload = dict(example) if example else {to_camel(a.name): "1" for a in attrs.fields(cls)}
        fast = converter.get_structure_hook(cls)(payload, cls)
        reference = cattrs_hook(cls)(payload, cls)
        assert type(fast) is cls
        assert (fast, hash(fast), repr(fast)) == (reference, hash(reference), repr(reference))
        assert attrs.asdict(fast, recurse=False) == attrs.asdict(reference, recurse=False)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            fast.__setattr__(attrs.fields(cls)[0].name, "changed")


def _positive(_instance: object, _attribute: object, value: int) -> None:
    if value <= 0:
        raise ValueError("must be positive")


@attrs.frozen
class WithValidator:
    count: int = attrs.field(validator=_positive)


@attrs.frozen
class WithPostInit:
    count: int

    def __attrs_post_init__(self) -> None:
        if self.count > 100:
            raise ValueError("too many")


@attrs.frozen(cache_hash=True)
class WithCachedHash:
    count: int


@attrs.define(slots=False, frozen=True)
class WithoutSlots:
    count: int


@attrs.frozen
class WithConverter:
    count: int = attrs.field(converter=abs)


@attrs.frozen(init=False)
class WithOwnInit:
    count: int

    def __init__(self, count: int) -> None:
        if count > 100:
            raise ValueError("too many")
        self.__attrs_init__(count)


@attrs.frozen
class _Base:
    count: int


class WithSubclassInit(_Base):
    __slots__ = ()

    def __init__(self, count: int) -> None:
        if count > 100:
            raise ValueError("too many")
        super().__init__(count)


@pytest.mark.parametrize(
    "cls",
    [
        WithValidator,
        WithPostInit,
        WithCachedHash,
        WithoutSlots,
        WithConverter,
        WithOwnInit,
        WithSubclassInit,
    ],
)
def test_records_that_need_their_init_keep_it(cls: type[Any]) -> None:
    assert slot_setters(cls) is None
    record = converter.structure({"count": 3}, cls)
    assert record == cls(3)
    assert hash(record) == hash(cls(3))


def test_a_validator_still_runs_through_the_converter() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        converter.structure({"count": -1}, WithValidator)
    for cls in (WithPostInit, WithOwnInit, WithSubclassInit):
        with pytest.raises(ValueError, match="too many"):
            converter.structure({"count": 101}, cls)
    assert converter.structure({"count": -4}, WithConverter).count == 4


odd_values = st.sampled_from(
    [
        None,
        "",
        " 12.50 ",
        "1_000",
        "NaN",
        "-Infinity",
        "abc",
        "buy",
        "sell",
        "long",
        "isolated",
        "active",
        "unknown-value",
        0,
        1,
        -1,
        True,
        1621441751927,
        "1621441751927",
        Decimal("2.5"),
        Decimal("NaN"),
        1.5,
        [],
        {},
        # JSON numbers as the envelope reads them: fractions, whole ones, huge ones
        Decimal("1000.7"),
        Decimal("1000.0"),
        "1000.7",
        Decimal("1E+30"),
        Decimal("-1E+17"),
        "1e999999999",
        Decimal("1E-999999"),
        10**400,
        -(10**17),
        2**53,
        2**53 - 1,
        253_402_300_800_000,  # one millisecond past the year 9999
        "²",
        float("inf"),
        float("nan"),
        123456789,
    ]
)


@settings(max_examples=400)
@given(st.sampled_from(RECORDS), st.data())
def test_generated_hooks_decide_like_cattrs(
    record: tuple[type[Any], dict[str, Any]], data: Any
) -> None:
    cls, example = record
    keys = [to_camel(a.name) for a in attrs.fields(cls)]
    base = dict(example) if example else {key: "1" for key in keys}
    changed = data.draw(st.dictionaries(st.sampled_from(keys), odd_values, max_size=3))
    dropped = data.draw(st.sets(st.sampled_from(keys), max_size=2))
    payload = {k: v for k, v in {**base, **changed}.items() if k not in dropped}
    payload["extra"] = "ignored"

    def run(hook: Any) -> tuple[str, Any]:
        try:
            return "ok", hook(payload, cls)
        except Exception:
            return "error", None

    assert run(converter.get_structure_hook(cls)) == run(cattrs_hook(cls))


def test_a_bad_field_is_still_named() -> None:
    from copytrade_async import ResponseValidationError

    with pytest.raises(ResponseValidationError) as info:
        structure("history.list", {**ORDER, "profit": "NaN"}, HistoryOrder)
    assert info.value.field == "profit"
    with pytest.raises(ResponseValidationError) as info:
        structure("history.list", {k: v for k, v in ORDER.items() if k != "symbol"}, HistoryOrder)
    assert info.value.field == "symbol"
