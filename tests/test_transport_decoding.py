"""The fast path behind both transports decides exactly as the plain rules do: the msgspec
JSON reader, the generated record hooks, the prepared signer and the query encoder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

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
from copytrade_async._http import _envelope as envelope_module
from copytrade_async._http._envelope import parse_json
from copytrade_async._http._signing import Signer, encode_query
from copytrade_async._records._codegen import slot_setters
from copytrade_async._records._converter import (
    converter,
    ms_to_datetime,
    structure,
    to_camel,
)

from .payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER
from .signing import auth_headers

# ----- JSON ---------------------------------------------------------------------------------


def reference(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def outcome(read: Any, content: bytes) -> tuple[str, Any]:
    try:
        return "ok", read(content)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return "error", type(exc) is RecursionError


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)  # written as JSON number literals
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(json_values, st.sampled_from(["", " ", "\n\t"]))
def test_parse_json_reads_like_the_standard_library(value: Any, space: str) -> None:
    content = (space + json.dumps(value) + space).encode()
    assert outcome(parse_json, content) == outcome(reference, content)


@settings(max_examples=300)
@given(st.decimals(allow_nan=False, allow_infinity=False), st.integers(-(10**40), 10**40))
def test_numbers_are_exact(number: Decimal, integer: int) -> None:
    content = f'{{"a":[{number}, {integer}],"b":{number}}}'.encode()
    parsed = parse_json(content)
    assert parsed == reference(content)
    for value in (*parsed["a"], parsed["b"]):
        assert type(value) is not float


@pytest.mark.parametrize(
    "content",
    [
        b'{"a":1.50}',
        b'{"a":-0.0,"b":1e400,"c":1E-400,"d":12345678901234567890123}',
        b'{"a":NaN,"b":-Infinity}',
        b'{"a":"\\ud800"}',
        b'\xef\xbb\xbf{"a":1}',
        '{"a":1.5}'.encode("utf-16"),
        b'{"a":"\xff"}',
        b'{"a":1,"a":2}',
        b'{"a":01}',
        b"{}x",
        b"",
        b"<html>502</html>",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_odd_bodies_read_like_the_standard_library(content: bytes) -> None:
    got, want = outcome(parse_json, content), outcome(reference, content)
    if got[0] == "ok" and want[0] == "ok":
        assert repr(got[1]) == repr(want[1])  # NaN != NaN, so compare the text
    else:
        assert got == want


def test_without_msgspec_the_standard_library_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envelope_module, "_fast_decode", None)
    monkeypatch.setattr(envelope_module, "_fast_decode_known", True)
    assert parse_json(b'{"a":1.10}') == {"a": Decimal("1.10")}
    with pytest.raises(json.JSONDecodeError):
        parse_json(b"nope")


# ----- records ------------------------------------------------------------------------------

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


@settings(max_examples=300)
@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_timestamps_are_exact(ms: int) -> None:
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert ms_to_datetime(ms) == expected
    assert ms_to_datetime(str(ms)) == expected


# ----- signing ------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=8), max_size=4),
    st.text(max_size=20),
    st.integers(0, 2**45),
    st.sampled_from(["GET", "POST"]),
    st.booleans(),
)
def test_signer_matches_an_independent_signer(
    params: dict[str, str], body: str, timestamp: int, method: str, demo: bool
) -> None:
    query = encode_query(params)
    signer = Signer("key", "secret", "pass")
    assert signer.headers(timestamp, method, "/p", query, body, "zh-CN", demo) == (
        auth_headers(
            api_key="key",
            api_secret="secret",
            passphrase="pass",
            timestamp_ms=timestamp,
            method=method,
            path="/p",
            query=query,
            body=body,
            locale="zh-CN",
            demo=demo,
        )
    )


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=5))
def test_query_encoding_is_unchanged(params: dict[str, str]) -> None:
    expected = "&".join(
        f"{quote(key, safe='-._~')}={quote(params[key], safe='-._~')}" for key in sorted(params)
    )
    assert encode_query(params) == expected
