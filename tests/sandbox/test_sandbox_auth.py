"""Signature checks (each rejection from its real cause) and the per-key rate limit."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxExchange, create_app
from copytrade_async.sandbox._auth import decode_query

from ..signing import decoded_query, encoded_query
from .sandbox_helpers import PREFIX, Api, new_exchange


def signed_headers(api: Api, **overrides: object) -> dict[str, str]:
    path = PREFIX + "traders"
    headers = api.headers("GET", path, "pageSize=1", "")
    headers.update({k: str(v) for k, v in overrides.items()})
    return headers


async def get_traders(api: Api, headers: dict[str, str]) -> httpx.Response:
    return await api.client.get(PREFIX + "traders?pageSize=1", headers=headers)


async def test_a_correct_signature_is_accepted(api: Api) -> None:
    response = await get_traders(api, signed_headers(api))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"ACCESS-KEY": "no-such-key"}, "40006", 401),
        ({"ACCESS-KEY": ""}, "40001", 401),
        ({"ACCESS-PASSPHRASE": "wrong"}, "40012", 401),
        ({"ACCESS-PASSPHRASE": ""}, "40011", 401),
        ({"ACCESS-SIGN": "AAAA"}, "40009", 400),
        ({"ACCESS-SIGN": ""}, "40003", 400),
        ({"ACCESS-TIMESTAMP": "soon"}, "40005", 401),
        ({"ACCESS-TIMESTAMP": "1" * 17}, "40005", 401),
    ],
)
async def test_rejections(api: Api, overrides: dict[str, str], code: str, status: int) -> None:
    response = await get_traders(api, signed_headers(api, **overrides))
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["data"] is None


async def test_missing_headers(api: Api) -> None:
    response = await api.client.get(PREFIX + "traders")
    assert (response.status_code, response.json()["code"]) == (401, "40001")
    headers = signed_headers(api)
    del headers["ACCESS-SIGN"]
    response = await get_traders(api, headers)
    assert (response.status_code, response.json()["code"]) == (400, "40003")


ODD_ID = "a/b:c é龙&=+%?"


async def test_a_query_is_verified_decoded_and_refused_signed_encoded() -> None:
    exchange = new_exchange(trader_ids=("100000001", ODD_ID))
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        path = PREFIX + "trader/detail"
        pairs = [("traderId", ODD_ID)]
        url = f"{path}?{encoded_query(pairs)}"
        # Signed over the decoded query, as the exchange checks it: accepted.
        response = await client.get(url, headers=api.headers("GET", path, decoded_query(pairs), ""))
        assert (response.status_code, response.json()["code"]) == (200, "00000")
        assert response.json()["data"]["traderId"] == ODD_ID
        # Signed over the query as it goes on the wire (encoded): refused, as on the exchange.
        headers = api.headers("GET", path, encoded_query(pairs), "")
        response = await client.get(url, headers=headers)
        assert (response.status_code, response.json()["code"]) == (400, "40009")


def test_the_sandbox_decodes_a_query_as_a_server_does() -> None:
    assert decode_query("") == ""
    assert decode_query("a=1&b=x%2Fy") == "a=1&b=x/y"
    assert decode_query("b=2&a=1") == "b=2&a=1"  # the order it arrived in
    assert decode_query("q=a+b%2Bc") == "q=a b+c"  # form encoding: + is a space
    assert decode_query("id=%E9%BE%99&flag") == "id=龙&flag"


async def test_signature_covers_the_query_and_the_body(api: Api, busy_trader: str) -> None:
    headers = signed_headers(api)
    response = await api.client.get(PREFIX + "traders?pageSize=2", headers=headers)
    assert response.json()["code"] == "40009"
    # A body signed as sent, then altered by one byte.
    path = PREFIX + "follow"
    body = '{"traderId": "%s", "copyAmount": "100", "leverage": "5", "marginMode": "cross"}'
    body %= busy_trader
    headers = api.headers("POST", path, "", body)
    response = await api.client.post(path, content=body.replace("100", "101"), headers=headers)
    assert response.json()["code"] == "40009"
    response = await api.client.post(path, content=body, headers=headers)
    assert response.json()["code"] == "00000"


async def test_the_raw_query_is_verified_as_sent(api: Api) -> None:
    """The server signs over the query string as received, not a re-encoded one."""
    path = PREFIX + "traders"
    query = "sortBy=profit&pageSize=3"  # not in sorted order, still valid when signed as is
    headers = api.headers("GET", path, query, "")
    response = await api.client.get(f"{path}?{query}", headers=headers)
    assert response.status_code == 200
    assert len(response.json()["data"]["list"]) == 3


async def test_stale_timestamps_are_40008(api: Api, exchange: SandboxExchange) -> None:
    now = exchange.now_ms()
    for timestamp, code in [
        (now - 30_000, "00000"),
        (now + 30_000, "00000"),
        (now - 30_001, "40008"),
        (now + 30_001, "40008"),
    ]:
        headers = api.headers("GET", PREFIX + "traders", "pageSize=1", "", timestamp_ms=timestamp)
        response = await get_traders(api, headers)
        assert response.json()["code"] == code, timestamp
    # A client that keeps signing with the time it started at falls behind the clock.
    old = api.headers("GET", PREFIX + "traders", "pageSize=1", "")
    exchange.advance(31)
    response = await get_traders(api, old)
    assert (response.status_code, response.json()["code"]) == (401, "40008")


async def test_the_timestamp_check_can_be_turned_off() -> None:
    exchange = new_exchange(timestamp_tolerance_ms=None)
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        headers = api.headers("GET", PREFIX + "traders", "", "", timestamp_ms=1)
        response = await client.get(PREFIX + "traders", headers=headers)
        assert response.status_code == 200


async def test_accounts_are_separate(api: Api, exchange: SandboxExchange) -> None:
    credentials = exchange.add_account("bot-2", "secret-2", "pass-2", deposit=500)
    other = Api(api.client, exchange, "bot-2", "secret-2", "pass-2")
    assert credentials.api_key == "bot-2"
    assert exchange.account("bot-2").available == 500
    wrong_secret = Api(api.client, exchange, "bot-2", "secret-x", "pass-2")
    await wrong_secret.fails("GET", "traders", None, "40009", status=400)
    trader = exchange.trader_ids(active=True)[0]
    body = {"traderId": trader, "copyAmount": "600", "leverage": "1", "marginMode": "cross"}
    await other.fails("POST", "follow", body, "80003")
    with pytest.raises(ValueError, match="exists"):
        exchange.add_account("bot-2", "a", "b")


# ----- rate limit -----------------------------------------------------------------------------


async def limited_client(rate: float, burst: int | None = None) -> tuple[SandboxExchange, Api]:
    exchange = new_exchange(rate_limit=rate, rate_burst=burst)
    transport = httpx.ASGITransport(app=create_app(exchange))
    client = httpx.AsyncClient(transport=transport, base_url="http://sandbox")
    return exchange, Api(client, exchange)


async def test_token_bucket_answers_429_with_retry_after() -> None:
    exchange, api = await limited_client(rate=5)
    async with api.client:
        statuses = [(await api.get("traders", {"pageSize": 1})).status_code for _ in range(5)]
        assert statuses == [200] * 5
        response = await api.get("traders", {"pageSize": 1})
        assert response.status_code == 429
        body = response.json()
        assert (body["code"], body["msg"], body["data"]) == ("429", "Too many requests", None)
        retry_ms = int(response.headers["retry-after-ms"])
        assert 0 < retry_ms <= 200  # one token comes back every 200 ms
        assert response.headers["retry-after"] == str(math.ceil(retry_ms / 1000))
        await asyncio.sleep(retry_ms / 1000)
        assert (await api.get("traders", {"pageSize": 1})).status_code == 200
    assert exchange.stats.rate_limited == 1
    assert exchange.stats.requests[PREFIX + "traders", 429] == 1


async def test_the_bucket_is_per_key_and_burst_is_configurable() -> None:
    exchange, api = await limited_client(rate=1, burst=3)
    exchange.add_account("second", "s", "p")
    other = Api(api.client, exchange, "second", "s", "p")
    async with api.client:
        first = [(await api.get("traders")).status_code for _ in range(4)]
        assert first == [200, 200, 200, 429]
        assert (await other.get("traders")).status_code == 200
        # Requests refused before the key is known do not take a token.
        await api.client.get(PREFIX + "traders")
        assert exchange.stats.requests[PREFIX + "traders", 401] == 1


async def test_arrivals_are_recorded_for_window_checks() -> None:
    exchange, api = await limited_client(rate=50)
    async with api.client:
        for _ in range(30):
            await api.get("traders", {"pageSize": 1})
    stats = exchange.stats
    assert len(stats.arrivals) == 30
    assert stats.max_requests_in_window(1.0) == 30
    with pytest.raises(ValueError, match="positive"):
        stats.max_requests_in_window(0.0)
    assert stats.by_path() == {PREFIX + "traders": 30}
    assert stats.by_status() == {200: 30}
    assert SANDBOX_API_KEY  # the default account was used throughout


def test_max_requests_in_window_counts_a_sliding_window() -> None:
    from copytrade_async.sandbox import SandboxStats

    stats = SandboxStats()
    stats.arrivals.extend([0.0, 0.1, 0.5, 0.99, 1.0, 1.05, 1.5, 3.0])
    assert stats.max_requests_in_window(1.0) == 5  # 0.1 .. 1.05
    assert stats.max_requests_in_window(0.5) == 3
    stats.reset()
    assert stats.max_requests_in_window() == 0
