"""Signing: fixed vectors computed by hand in the test, and properties of the query encoding."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from copytrade_async._http._signing import Signer, encode_query, sign


def by_hand(secret: str, message: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    ).decode()


def test_get_with_query_vector() -> None:
    secret = "vector-secret-1"
    query = encode_query({"pageSize": "20", "pageNo": "1", "sortBy": "profit"})
    assert query == "pageNo=1&pageSize=20&sortBy=profit"
    expected = by_hand(
        secret, "1621441751927GET/api/mix/v1/copytrading/traders?pageNo=1&pageSize=20&sortBy=profit"
    )
    assert (
        sign(secret, "1621441751927", "GET", "/api/mix/v1/copytrading/traders", query, "")
        == expected
    )
    # The same value as a literal, so a change to both our code and by_hand cannot slip through.
    assert expected == "vhHDxGWs9ctELq2re2F+z2tSbUxzKzypkSERYk48m8Y="


def test_post_with_body_vector() -> None:
    secret = "vector-secret-2"
    body = '{"traderId":"123456789","copyAmount":"1000","leverage":"10","marginMode":"isolated"}'
    expected = by_hand(secret, "1700000000000POST/api/mix/v1/copytrading/follow" + body)
    assert (
        sign(secret, "1700000000000", "POST", "/api/mix/v1/copytrading/follow", "", body)
        == expected
    )
    assert expected == "8uN4Ov+sqZC+PneUK/yPRaD6FstYYapM+vrVg1Y3qRw="


def test_method_is_upper_cased_in_the_prehash() -> None:
    assert sign("secret", "0", "get", "/x", "", "") == by_hand("secret", "0GET/x")


def test_headers_are_complete_and_demo_adds_paptrading() -> None:
    signer = Signer("k", "s", "p")
    headers = signer.headers(5, "GET", "/a", "", "", "en-US", True)
    assert headers == {
        "ACCESS-KEY": "k",
        "ACCESS-SIGN": by_hand("s", "5GET/a"),
        "ACCESS-TIMESTAMP": "5",
        "ACCESS-PASSPHRASE": "p",
        "Content-Type": "application/json",
        "locale": "en-US",
        "paptrading": "1",
    }
    plain = signer.headers(5, "GET", "/a", "", "", "en-US", False)
    assert "paptrading" not in plain


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=6))
def test_query_is_sorted_and_round_trips(params: dict[str, str]) -> None:
    query = encode_query(params)
    pairs = parse_qsl(query, keep_blank_values=True)
    assert pairs == sorted(params.items())


@given(
    secret=st.text(min_size=1),
    ts=st.integers(min_value=0, max_value=2**45),
    path=st.text(min_size=1),
    query=st.text(),
    body=st.text(),
)
def test_signature_matches_the_documented_formula(
    secret: str, ts: int, path: str, query: str, body: str
) -> None:
    message = f"{ts}POST{path}" + (f"?{query}" if query else "") + body
    assert sign(secret, str(ts), "POST", path, query, body) == by_hand(secret, message)
