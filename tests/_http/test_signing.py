"""Signing as the exchange verifies it: the query is signed decoded and sent encoded, in one
order; every signature is checked against the tests' own signer (``tests/signing.py``) and
against literal vectors, never against the module under test."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import AsyncCopyTradeClient
from copytrade_async._http._signing import Query, Signer

from ..conftest import API_SECRET, PREFIX, hand_signature, ok
from ..payloads import TRADER_DETAIL
from ..signing import auth_headers, decoded_query, encoded_query, signature

TRADERS = "/api/mix/v1/copytrading/traders"
DETAIL = "/api/mix/v1/copytrading/trader/detail"


def sign(secret: str, timestamp: int, method: str, path: str, query: str, body: str) -> str:
    """The library's signature of one request."""
    return Signer("key", secret, "pass").signature(str(timestamp), method, path, query, body)


def test_get_with_query_vector() -> None:
    query = Query.of({"pageSize": "20", "pageNo": "1", "sortBy": "profit"})
    assert query.wire == query.signed == "pageNo=1&pageSize=20&sortBy=profit"
    expected = signature("vector-secret-1", "1621441751927", "GET", TRADERS, query.signed, "")
    assert sign("vector-secret-1", 1621441751927, "GET", TRADERS, query.signed, "") == expected
    # The same value as a literal, so a change to both our code and the helper cannot slip by.
    assert expected == "vhHDxGWs9ctELq2re2F+z2tSbUxzKzypkSERYk48m8Y="


def test_post_with_body_vector() -> None:
    body = '{"traderId":"123456789","copyAmount":"1000","leverage":"10","marginMode":"isolated"}'
    path = "/api/mix/v1/copytrading/follow"
    expected = signature("vector-secret-2", "1700000000000", "POST", path, "", body)
    assert sign("vector-secret-2", 1700000000000, "POST", path, "", body) == expected
    assert expected == "8uN4Ov+sqZC+PneUK/yPRaD6FstYYapM+vrVg1Y3qRw="


# Values that need percent-encoding: each is signed as it is and sent encoded.
ODD_VALUES = {
    "slash": ("a/b", "a%2Fb"),
    "colon": ("a:b", "a%3Ab"),
    "space": ("a b", "a%20b"),
    "e-acute": ("é", "%C3%A9"),
    "dragon": ("龙", "%E9%BE%99"),
    "ampersand": ("a&b", "a%26b"),
    "equals": ("a=b", "a%3Db"),
    "plus": ("a+b", "a%2Bb"),
    "percent": ("100%", "100%25"),
    "question": ("a?b", "a%3Fb"),
    "all of them": ("/: é龙&=+%?", "%2F%3A%20%C3%A9%E9%BE%99%26%3D%2B%25%3F"),
}


@pytest.mark.parametrize(("value", "wire"), ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_values_are_signed_decoded_and_sent_encoded(value: str, wire: str) -> None:
    query = Query.of({"traderId": value})
    assert query.wire == f"traderId={wire}"
    assert query.signed == f"traderId={value}"
    ts = 1_700_000_000_000
    expected = signature("s3cret", str(ts), "GET", DETAIL, f"traderId={value}", "")
    assert sign("s3cret", ts, "GET", DETAIL, query.signed, "") == expected


def test_the_signed_and_sent_orders_are_the_same() -> None:
    params = {"b": "2/2", "a": "1 1", "c": "é"}
    query = Query.of(params)
    pairs = sorted(params.items())
    assert query.wire == encoded_query(pairs) == "a=1%201&b=2%2F2&c=%C3%A9"
    assert query.signed == decoded_query(pairs) == "a=1 1&b=2/2&c=é"


def test_method_is_upper_cased_in_the_prehash() -> None:
    assert sign("secret", 0, "get", "/x", "", "") == signature("secret", "0", "GET", "/x", "", "")


def test_headers_are_complete_and_demo_adds_paptrading() -> None:
    signer = Signer("k", "s", "p")
    headers = signer.headers(5, "GET", "/a", "", "", "en-US", True)
    assert headers == {
        "ACCESS-KEY": "k",
        "ACCESS-SIGN": signature("s", "5", "GET", "/a", "", ""),
        "ACCESS-TIMESTAMP": "5",
        "ACCESS-PASSPHRASE": "p",
        "Content-Type": "application/json",
        "locale": "en-US",
        "paptrading": "1",
    }
    plain = signer.headers(5, "GET", "/a", "", "", "en-US", False)
    assert "paptrading" not in plain


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=6))
def test_the_wire_query_is_sorted_and_decodes_to_the_params(params: dict[str, str]) -> None:
    query = Query.of(params)
    assert parse_qsl(query.wire, keep_blank_values=True) == sorted(params.items())
    assert query.signed == decoded_query(sorted(params.items()))


@settings(max_examples=300)
@given(
    secret=st.text(min_size=1),
    ts=st.integers(min_value=0, max_value=2**45),
    path=st.text(min_size=1),
    params=st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=8), max_size=4),
    body=st.text(),
)
def test_signature_matches_the_documented_formula(
    secret: str, ts: int, path: str, params: dict[str, str], body: str
) -> None:
    query = Query.of(params).signed
    message_query = decoded_query(sorted(params.items()))
    expected = signature(secret, str(ts), "POST", path, message_query, body)
    assert sign(secret, ts, "POST", path, query, body) == expected


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
    query = Query.of(params).signed
    signer = Signer("key", "secret", "pass")
    assert signer.headers(timestamp, method, "/p", query, body, "zh-CN", demo) == auth_headers(
        api_key="key",
        api_secret="secret",
        passphrase="pass",
        timestamp_ms=timestamp,
        method=method,
        path="/p",
        query=decoded_query(sorted(params.items())),
        body=body,
        locale="zh-CN",
        demo=demo,
    )


async def test_a_request_with_odd_values_goes_encoded_and_signed_decoded(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    await client.traders.get("a/b&c=d:é")
    request = route.calls.last.request
    assert request.url.query == b"traderId=a%2Fb%26c%3Dd%3A%C3%A9"
    assert request.headers["ACCESS-SIGN"] == hand_signature(API_SECRET, request)
    ts = request.headers["ACCESS-TIMESTAMP"]
    decoded = signature(API_SECRET, ts, "GET", f"{PREFIX}/trader/detail", "traderId=a/b&c=d:é", "")
    assert request.headers["ACCESS-SIGN"] == decoded
