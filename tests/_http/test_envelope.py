"""Reading the envelope's JSON: the msgspec reader decides exactly as the standard library does,
and every number stays exact."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async._http import _envelope as envelope_module
from copytrade_async._http._envelope import parse_json


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
