"""Reading the envelope's JSON: the msgspec reader decides exactly as the standard library does,
and every number stays exact."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import APIError, CopyTradeError
from copytrade_async._http import _envelope as envelope_module
from copytrade_async._http._envelope import (
    decode_envelope,
    parse_json,
    parse_retry_after,
    parse_server_date,
)


def reference(content: bytes) -> Any:
    """The standard library, told to read every non-integer (NaN and Infinity too) as a Decimal."""
    return json.loads(content, parse_float=Decimal, parse_constant=Decimal)


def outcome(read: Any, content: bytes) -> tuple[str, Any]:
    """What a reader makes of a body. parse_json turns the standard library's RecursionError
    (a body nested too deeply) into the ValueError it promises for any body that is not JSON."""
    try:
        return "ok", read(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return "error", None


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


# ----- a hostile server: only our own errors ----------------------------------------------------

OURS = (CopyTradeError,)
DEEP = b"[" * 100_000
YEAR_3000_MS = 32_503_680_000_000


def decode(status: int, content: bytes, headers: dict[str, str] | None = None) -> Any:
    """decode_envelope's outcome: the envelope, or the error (only ours may come out)."""
    try:
        return decode_envelope("traders.get", status, headers or {}, content)
    except OURS as exc:
        return exc


@pytest.mark.parametrize("status", [200, 400, 429, 500, 503])
@pytest.mark.parametrize(
    "content",
    [
        DEEP,
        b'{"code":"00000","data":' + DEEP,
        b'{"code":"00000","msg":"' + b"\xff\xfe" * 10 + b'","data":1}',
        b" " * 3_000_000,
        b"\xef\xbb\xbf" + b"\xff" * 100,
        '{"code":"40015","msg":"x","requestTime":1}'.encode("utf-16"),
        b'{"code":"00000","data":1' + b"1" * 5000 + b"}",
        b"<html><body>\x00\x01 gateway</body></html>",
    ],
)
def test_odd_bodies_raise_only_our_errors(status: int, content: bytes) -> None:
    result = decode(status, content)
    if isinstance(result, CopyTradeError):
        assert "traders.get" in str(result)
    else:
        assert status == 200


@pytest.mark.parametrize(
    "literal",
    [
        "1" + "0" * 400,  # 10**400
        "-100000000000000000",  # -1e17 as an integer
        "-1e17",
        '"²"',
        '"١٢٣٤٥٦٧٨٩٠١٢٣"',  # Arabic-Indic digits: int() reads them, a server must not send them
        "1e30",
        "Infinity",
        "-Infinity",
        "NaN",
        "true",
        "false",
        "null",
        '{"ms": 1621441751927}',
        "[1621441751927]",
        '""',
        '"1621441751927x"',
        "0",
        "-1",
        str(YEAR_3000_MS),
        "1" * 4000,
    ],
)
@pytest.mark.parametrize(("status", "code"), [(200, "00000"), (400, "80001")])
def test_a_request_time_that_cannot_be_a_server_time_is_ignored(
    literal: str, status: int, code: str
) -> None:
    content = f'{{"code":"{code}","msg":"m","requestTime":{literal},"data":[]}}'.encode()
    result = decode(status, content)
    if isinstance(result, APIError):
        assert result.request_time_ms is None and result.request_time is None
        assert result.code == code
    else:
        assert not isinstance(result, CopyTradeError), result
        assert result.request_time_ms is None


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("1621441751927", 1621441751927),
        ('"1621441751927"', 1621441751927),
        ("1621441751927.0", 1621441751927),
        ("1.621441751927E12", 1621441751927),
        ("1E+12", 10**12),
        ("1", 1),
        (str(YEAR_3000_MS - 1), YEAR_3000_MS - 1),
    ],
)
def test_a_sane_request_time_is_read(literal: str, expected: int) -> None:
    content = f'{{"code":"00000","msg":"m","requestTime":{literal},"data":[]}}'.encode()
    envelope = decode_envelope("traders.get", 200, {}, content)
    assert envelope.request_time_ms == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", '{"a": 1}'),
        ("code", "[]"),
        ("code", "1" + "0" * 4000),
        ("code", "true"),
        ("code", "null"),
        ("code", "1.5"),
        ("code", '"' + "9" * 10_000 + '"'),
        ("msg", "[1, 2]"),
        ("msg", '{"a": [[[[]]]]}'),
        ("msg", "1" + "0" * 4000),
        ("msg", "[" * 900 + "]" * 900),
        ("msg", '"' + "x" * 1_000_000 + '"'),
        ("msg", "NaN"),
    ],
)
@pytest.mark.parametrize("status", [200, 400, 502])
def test_an_odd_code_or_message_raises_only_our_errors(field: str, value: str, status: int) -> None:
    body = {"code": '"80001"', "msg": '"boom"', "requestTime": "1621441751927", "data": "null"}
    body[field] = value
    content = ("{" + ",".join(f'"{k}":{v}' for k, v in body.items()) + "}").encode()
    result = decode(status, content)
    assert isinstance(result, CopyTradeError)
    text = str(result)
    assert "traders.get" in text
    assert len(text) < 2_000  # a huge message or code is cut short


RETRY_AFTER_NOW = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "nan"}, None),
        ({"retry-after": "NaN"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-inf"}, None),
        ({"retry-after": "Infinity"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "1_0"}, None),
        ({"retry-after": "²"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "1e400"}, math.inf),
        ({"retry-after": "1" + "0" * 400}, math.inf),
        ({"retry-after": "1e30"}, math.inf),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "nan", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "-5", "retry-after": "2"}, 2.0),
        ({"retry-after-ms": "inf"}, None),
        ({"retry-after-ms": "1e400"}, math.inf),
        ({"retry-after-ms": "1" + "0" * 400}, math.inf),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 99999 07:28:05 GMT"}, None),
        ({"retry-after": "Wed, 21 Oct 9999 23:59:59 GMT"}, math.inf),
        ({"retry-after": "Mon, 01 Jan 0001 00:00:00 +2359"}, 0.0),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:05 +9999"}, None),
    ],
)
def test_an_unreadable_retry_after_is_absent_and_a_huge_one_is_infinite(
    headers: dict[str, str], expected: float | None
) -> None:
    assert parse_retry_after(headers, RETRY_AFTER_NOW) == expected


@pytest.mark.parametrize(
    "date",
    [
        "Wed, 21 Oct 99999 07:28:05 GMT",
        "Fri, 31 Dec 9999 23:59:59 -2359",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Fri, 01 Jan 3001 00:00:00 GMT",
        "nonsense",
        "Wed, 21 Oct 2026 07:28:05 +9999",
    ],
)
def test_an_insane_date_header_is_ignored(date: str) -> None:
    assert parse_server_date({"date": date}) is None


def test_a_sane_date_header_is_read() -> None:
    assert parse_server_date({"date": "Wed, 21 Oct 2026 07:28:05 GMT"}) == 1792567685000


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**20), max_value=10**20).map(str)
    | st.sampled_from(["Infinity", "-Infinity", "NaN", "1e400", "-1e17", "1E+12", "0.5"])
    | st.text(max_size=30).map(json.dumps)
)
json_texts = st.one_of(
    json_scalars.map(lambda v: v if isinstance(v, str) else json.dumps(v)),
    st.recursive(
        json_scalars.map(lambda v: v if isinstance(v, str) else json.dumps(v)),
        lambda inner: st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]"),
        max_leaves=8,
    ),
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
)


@settings(max_examples=400, deadline=None)
@given(
    status=st.sampled_from([200, 201, 204, 302, 400, 401, 404, 418, 429, 500, 502, 503, 599]),
    code=json_texts,
    msg=json_texts,
    request_time=json_texts,
    data=json_texts,
    drop=st.sets(st.sampled_from(["code", "msg", "requestTime", "data"])),
    retry_after=st.none() | st.text(max_size=20) | json_scalars.map(str),
    retry_after_ms=st.none() | st.text(max_size=20) | json_scalars.map(str),
    date=st.none() | st.text(max_size=40),
)
def test_any_envelope_gives_an_envelope_or_our_error(
    status: int,
    code: str,
    msg: str,
    request_time: str,
    data: str,
    drop: set[str],
    retry_after: str | None,
    retry_after_ms: str | None,
    date: str | None,
) -> None:
    fields = {"code": code, "msg": msg, "requestTime": request_time, "data": data}
    content = (
        "{" + ",".join(f'"{k}":{v}' for k, v in fields.items() if k not in drop) + "}"
    ).encode()
    headers = {
        name: value
        for name, value in (
            ("retry-after", retry_after),
            ("retry-after-ms", retry_after_ms),
            ("date", date),
        )
        if value is not None
    }
    result = decode(status, content, headers)
    if isinstance(result, CopyTradeError):
        str(result), repr(result)  # both can be shown
        if isinstance(result, APIError):
            assert result.request_time_ms is None or 0 < result.request_time_ms < YEAR_3000_MS
            assert result.retry_after is None or result.retry_after >= 0
    else:
        assert result.request_time_ms is None or 0 < result.request_time_ms < YEAR_3000_MS
    date_ms = parse_server_date(headers)
    assert date_ms is None or 0 < date_ms < YEAR_3000_MS


@pytest.mark.parametrize("fast", [True, False])
def test_too_deep_is_a_value_error_and_constants_are_decimals(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fast:
        monkeypatch.setattr(envelope_module, "_fast_decode", None)
        monkeypatch.setattr(envelope_module, "_fast_decode_known", True)
    with pytest.raises(ValueError, match="deep"):
        parse_json(DEEP)
    values = parse_json(b"[NaN, Infinity, -Infinity, 1e400]")
    assert [type(v) for v in values] == [Decimal] * 4
    assert [str(v) for v in values] == ["NaN", "Infinity", "-Infinity", "1E+400"]


@pytest.mark.parametrize("content", [b"not json", DEEP, b"\xff\xfe\xfa"])
def test_a_body_that_is_not_json_says_why_in_its_cause(content: bytes) -> None:
    with pytest.raises(CopyTradeError) as info:
        decode_envelope("traders.get", 200, {}, content)
    cause = info.value.__cause__
    assert isinstance(cause, ValueError)
    assert "Error" in str(cause)  # JSONDecodeError, UnicodeDecodeError, ValueError: ...
