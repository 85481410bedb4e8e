"""Demo and live accounts: a demo key must send ``paptrading: 1`` and a live key must not, as on
the exchange, where a key used in the wrong environment is refused with 40099."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import httpx
import pytest

from copytrade_async import AsyncCopyTradeClient, AuthenticationError
from copytrade_async.sandbox import (
    DEMO_CREDENTIALS,
    LIVE_CREDENTIALS,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_PASSPHRASE,
    SandboxCredentials,
    SandboxExchange,
    SandboxServer,
    sandbox_client,
)

from .sandbox_helpers import PREFIX, Api, new_exchange

WRONG = "exchange environment is incorrect: "
DEMO_WITHOUT = WRONG + "demo API key used without paptrading: 1"
LIVE_WITH = WRONG + "live API key used with paptrading: 1"


def test_every_sandbox_opens_a_live_and_a_demo_account(exchange: SandboxExchange) -> None:
    old_names = SandboxCredentials(SANDBOX_API_KEY, SANDBOX_API_SECRET, SANDBOX_PASSPHRASE)
    assert old_names == LIVE_CREDENTIALS
    assert not LIVE_CREDENTIALS.demo and DEMO_CREDENTIALS.demo
    assert DEMO_CREDENTIALS.api_key != LIVE_CREDENTIALS.api_key
    assert exchange.credentials == LIVE_CREDENTIALS
    assert exchange.demo_credentials == DEMO_CREDENTIALS
    live, demo = exchange.account(), exchange.account(DEMO_CREDENTIALS.api_key)
    assert (live.api_key, live.demo) == (SANDBOX_API_KEY, False)
    assert (demo.api_key, demo.demo) == (DEMO_CREDENTIALS.api_key, True)
    assert live.available == demo.available == exchange.config.deposit
    assert "secret" not in repr(DEMO_CREDENTIALS)


async def get_traders(api: Api, paptrading: str | None) -> httpx.Response:
    headers = api.headers("GET", PREFIX + "traders", "pageSize=1", "")
    headers.pop("paptrading", None)  # the test says what is sent
    if paptrading is not None:
        headers["paptrading"] = paptrading
    return await api.client.get(PREFIX + "traders?pageSize=1", headers=headers)


@pytest.mark.parametrize(
    ("demo_key", "paptrading", "message"),
    [
        (True, "1", None),
        (True, None, DEMO_WITHOUT),
        (True, "0", DEMO_WITHOUT),
        (False, None, None),
        (False, "0", None),
        (False, "1", LIVE_WITH),
        (True, "true", WRONG + "paptrading must be 1 (demo) or 0 (live)"),
        (False, "yes", WRONG + "paptrading must be 1 (demo) or 0 (live)"),
        (False, "", WRONG + "paptrading must be 1 (demo) or 0 (live)"),
    ],
)
async def test_a_key_is_refused_in_the_wrong_environment(
    api: Api, exchange: SandboxExchange, demo_key: bool, paptrading: str | None, message: str
) -> None:
    creds = exchange.demo_credentials if demo_key else exchange.credentials
    response = await get_traders(Api.of(api.client, exchange, creds), paptrading)
    envelope = response.json()
    if message is None:
        assert (response.status_code, envelope["code"]) == (200, "00000")
    else:
        assert (response.status_code, envelope["code"]) == (400, "40099")
        assert envelope["msg"] == message
        assert envelope["data"] is None


async def test_the_environment_is_checked_after_the_signature(
    api: Api, exchange: SandboxExchange
) -> None:
    demo = Api.of(api.client, exchange, exchange.demo_credentials)
    headers = demo.headers("GET", PREFIX + "traders", "pageSize=1", "")
    headers["ACCESS-SIGN"] = "AAAA"
    del headers["paptrading"]
    response = await api.client.get(PREFIX + "traders?pageSize=1", headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, "40009")


async def test_the_demo_account_has_its_own_balance_and_follows(
    api: Api, exchange: SandboxExchange, busy_trader: str
) -> None:
    demo = Api.of(api.client, exchange, exchange.demo_credentials)
    follow = await demo.follow(busy_trader, amount="2500")
    live, paper = exchange.account(), exchange.account(DEMO_CREDENTIALS.api_key)
    assert (live.active_follows, live.available) == (0, Decimal(100000))
    assert (paper.active_follows, paper.available) == (1, Decimal(97500))
    assert exchange.follow_info(follow["followId"]).api_key == DEMO_CREDENTIALS.api_key
    # The live account may follow the same trader: the books are apart.
    await api.follow(busy_trader, amount="1000")
    # A follow belongs to its account: the live key does not see the demo one.
    await api.fails("GET", "positions", {"followId": follow["followId"]}, "40034")
    await api.fails("POST", "stop", {"followId": follow["followId"]}, "40034")
    positions = await demo.ok("GET", "positions", {"followId": follow["followId"]})
    assert positions
    exchange.check_invariant()


async def test_added_accounts_are_live_or_demo(api: Api, exchange: SandboxExchange) -> None:
    paper = exchange.add_account("paper-bot", "s", "p", deposit=500, demo=True)
    live = exchange.add_account("live-bot", "s", "p")
    assert (paper.demo, live.demo) == (True, False)
    assert exchange.account("paper-bot").demo and not exchange.account("live-bot").demo
    assert (await get_traders(Api.of(api.client, exchange, paper), None)).json()["code"] == "40099"
    assert (await get_traders(Api.of(api.client, exchange, paper), "1")).status_code == 200
    assert (await get_traders(Api.of(api.client, exchange, live), "1")).json()["code"] == "40099"
    with pytest.raises(ValueError, match="demo"):
        exchange.add_account("odd", "s", "p", demo="yes")  # type: ignore[arg-type]


# ----- through the client -------------------------------------------------------------------


async def test_sandbox_client_signs_as_the_live_or_the_demo_account(
    exchange: SandboxExchange, busy_trader: str
) -> None:
    async with sandbox_client(exchange=exchange, rate_limits=None) as live:
        await live.follows.start(trader_id=busy_trader, copy_amount=1000, leverage=5)
    async with AsyncCopyTradeClient.sandbox(
        exchange=exchange, account="demo", rate_limits=None
    ) as demo:
        follow = await demo.follows.start(trader_id=busy_trader, copy_amount=3000, leverage=5)
        assert await demo.follows.positions(follow.follow_id)
    assert exchange.account().available == 99000
    assert exchange.account(DEMO_CREDENTIALS.api_key).available == 97000
    added = exchange.add_account("mine", "sec", "pass", deposit=10, demo=True)
    async with sandbox_client(exchange=exchange, account=added, rate_limits=None) as mine:
        assert (await mine.traders.page(page_size=1)).items
    with pytest.raises(ValueError, match="account"):
        sandbox_client(exchange=exchange, account="paper")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("account", "demo", "message"),
    [("demo", False, DEMO_WITHOUT), ("live", True, LIVE_WITH)],
)
async def test_the_client_raises_authentication_error_in_the_wrong_environment(
    account: Literal["live", "demo"], demo: bool, message: str
) -> None:
    exchange = new_exchange(traders=10)
    async with sandbox_client(
        exchange=exchange, account=account, demo=demo, rate_limits=None
    ) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.traders.page()
    assert (info.value.code, info.value.message, info.value.http_status) == (
        "40099",
        message,
        400,
    )


async def test_copytrade_demo_in_the_environment_does_not_change_the_sandbox_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COPYTRADE_DEMO", "1")
    async with sandbox_client(exchange=new_exchange(traders=10), rate_limits=None) as client:
        assert (await client.traders.page(page_size=1)).items


# ----- served -------------------------------------------------------------------------------


async def test_a_served_sandbox_serves_both_accounts(
    exchange: SandboxExchange, busy_trader: str
) -> None:
    with SandboxServer(exchange, port=0) as server:
        for creds in (LIVE_CREDENTIALS, DEMO_CREDENTIALS):
            options = {"base_url": server.url, "max_retries": 0, "rate_limits": None}
            async with AsyncCopyTradeClient(
                api_key=creds.api_key,
                api_secret=creds.api_secret,
                passphrase=creds.passphrase,
                demo=creds.demo,
                **options,  # type: ignore[arg-type]
            ) as client:
                await client.follows.start(trader_id=busy_trader, copy_amount=700, leverage=2)
            async with AsyncCopyTradeClient(
                api_key=creds.api_key,
                api_secret=creds.api_secret,
                passphrase=creds.passphrase,
                demo=not creds.demo,
                **options,  # type: ignore[arg-type]
            ) as wrong:
                with pytest.raises(AuthenticationError) as info:
                    await wrong.traders.page()
                assert info.value.code == "40099"
        async with httpx.AsyncClient(base_url=server.url) as http:
            params = {"apiKey": DEMO_CREDENTIALS.api_key}
            account = (await http.get("/sandbox/account", params=params)).json()["data"]
    assert account["demo"] is True and account["activeFollows"] == 1
    assert exchange.account().active_follows == 1
