"""The library against the sandbox, in-process (ASGI) and over a real loopback socket (uvicorn):
every endpoint, every error code, signature rejection, and a full follow cycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from copytrade_async import (
    AlreadyFollowingError,
    APIError,
    AsyncCopyTradeClient,
    AuthenticationError,
    CopyLimitExceededError,
    FollowStatus,
    InsufficientBalanceError,
    InvalidFollowSettingsError,
    InvalidTraderError,
    OrderStatus,
    TraderStatus,
)
from copytrade_async.sandbox import (
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    sandbox_client,
)


def exchange_for(**config: Any) -> SandboxExchange:
    # The manual clock is advanced by hours; the timestamp check stays on, so the client's
    # clock re-sync is exercised along the way.
    config.setdefault("rate_limit", None)
    return SandboxExchange(SandboxConfig(**config), ManualClock())


@pytest.fixture(params=["asgi", "uvicorn"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def connect(
    exchange: SandboxExchange, mode: str, **overrides: str
) -> AsyncIterator[AsyncCopyTradeClient]:
    creds = exchange.credentials
    options: dict[str, Any] = {
        "api_key": creds.api_key,
        "api_secret": creds.api_secret,
        "passphrase": creds.passphrase,
        "rate_limits": None,
        **overrides,
    }
    if mode == "asgi":
        async with AsyncCopyTradeClient.sandbox(
            exchange=exchange,
            **{
                k: v for k, v in options.items() if k not in ("api_key", "api_secret", "passphrase")
            },
        ) as client:
            if overrides:  # a client with other credentials on the same in-process exchange
                async with AsyncCopyTradeClient(
                    base_url="http://sandbox.local", http_client=client.http_client, **options
                ) as other:
                    yield other
            else:
                yield client
        return
    server = SandboxServer(exchange).start_thread()
    try:
        async with AsyncCopyTradeClient(base_url=server.url, **options) as client:
            yield client
    finally:
        server.join()


@pytest.fixture
async def setup(mode: str) -> AsyncIterator[tuple[AsyncCopyTradeClient, SandboxExchange]]:
    exchange = exchange_for(seed=0, max_follows=3, deposit=Decimal("5000"))
    async for client in connect(exchange, mode):
        yield client, exchange


def busy_trader(exchange: SandboxExchange) -> str:
    for trader_id in exchange.trader_ids(active=True):
        if exchange.trader_detail(trader_id)["positions"]:
            return trader_id
    raise AssertionError("no trader holds a position")


async def test_every_endpoint(setup: tuple[AsyncCopyTradeClient, SandboxExchange]) -> None:
    client, exchange = setup
    traders = [t async for t in client.traders.list(sort_by="profit", sort_type="desc")]
    assert len(traders) == 200
    assert [t.total_profit for t in traders] == sorted(
        (t.total_profit for t in traders), reverse=True
    )
    assert len({t.trader_id for t in traders}) == 200
    page = await client.traders.page(page_no=3, page_size=20, sort_by="followers")
    assert (page.current_page, page.total_page, page.total_num, len(page.items)) == (3, 10, 200, 20)

    trader_id = busy_trader(exchange)
    detail = await client.traders.get(trader_id)
    assert detail.statistics is not None
    stats = detail.statistics
    # winRate = winningTrades / totalTrades, as the sandbox rounds it (4 places).
    assert abs(detail.win_rate - Decimal(stats.winning_trades) / stats.total_trades) < Decimal(
        "0.0001"
    )
    assert detail.positions

    follow = await client.follows.start(trader_id=trader_id, copy_amount="1000", leverage=10)
    assert (follow.trader_id, follow.copy_amount, follow.status) == (
        trader_id,
        Decimal(1000),
        FollowStatus.ACTIVE,
    )
    settings = await client.follows.update(follow.follow_id, take_profit=500, stop_loss=90)
    assert (settings.take_profit, settings.stop_loss) == (Decimal(500), Decimal(90))
    positions = await client.follows.positions(follow.follow_id)
    assert {p.symbol for p in positions} == {p.symbol for p in detail.positions}
    assert exchange.account().reserved == Decimal(1000)

    exchange.advance(6 * 3600)
    history = [o async for o in client.history.list(follow.follow_id, page_size=5)]
    assert len({o.order_id for o in history}) == len(history)
    assert [o.close_time for o in history] == sorted((o.close_time for o in history), reverse=True)
    if history:
        first = await client.history.page(follow.follow_id, page_no=1, page_size=5)
        assert first.items == tuple(history[:5])
    stopped = await client.follows.stop(follow.follow_id)
    assert stopped.status == FollowStatus.STOPPED
    assert await client.follows.positions(follow.follow_id) == []
    exchange.check_invariant()


async def test_every_error_code(setup: tuple[AsyncCopyTradeClient, SandboxExchange]) -> None:
    client, exchange = setup
    inactive = exchange.trader_ids(active=False)[0]
    assert (await client.traders.get(inactive)).status == TraderStatus.INACTIVE
    with pytest.raises(InvalidTraderError):
        await client.follows.start(trader_id=inactive, copy_amount=100, leverage=5)
    with pytest.raises(InvalidTraderError):
        await client.traders.get("no-such-trader")
    active = exchange.trader_ids(active=True)
    with pytest.raises(InvalidFollowSettingsError):
        await client.follows.start(trader_id=active[0], copy_amount=5, leverage=5)  # min is 10
    with pytest.raises(InsufficientBalanceError):
        await client.follows.start(trader_id=active[0], copy_amount=6000, leverage=5)
    first = await client.follows.start(trader_id=active[0], copy_amount=100, leverage=5)
    with pytest.raises(AlreadyFollowingError) as info:
        await client.follows.start(trader_id=active[0], copy_amount=100, leverage=5)
    assert info.value.hint is None  # the first attempt answered: no retry involved
    for trader_id in active[1:3]:
        await client.follows.start(trader_id=trader_id, copy_amount=100, leverage=5)
    with pytest.raises(CopyLimitExceededError):
        await client.follows.start(trader_id=active[3], copy_amount=100, leverage=5)
    with pytest.raises(APIError) as unknown:
        await client.follows.stop("no-such-follow")
    assert unknown.value.code == "40034"
    await client.follows.stop(first.follow_id)
    with pytest.raises(InvalidFollowSettingsError):
        await client.follows.update(first.follow_id, take_profit=10)  # the follow is stopped
    exchange.check_invariant()


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"api_secret": "wrong-secret"}, "40009"),
        ({"passphrase": "wrong"}, "40012"),
        ({"api_key": "nobody"}, "40006"),
    ],
)
async def test_signature_rejection(mode: str, override: dict[str, str], code: str) -> None:
    exchange = exchange_for(seed=1)
    async for client in connect(exchange, mode, **override):
        with pytest.raises(AuthenticationError) as info:
            await client.traders.page()
        assert info.value.code == code
        assert "wrong-secret" not in str(info.value)


async def test_full_cycle(mode: str) -> None:
    """follow → the trader trades → take-profit fires → stop → history shows the trades."""
    exchange = exchange_for(seed=2)
    async for client in connect(exchange, mode):
        trader_id = busy_trader(exchange)
        follow = await client.follows.start(
            trader_id=trader_id, copy_amount=1000, leverage=50, margin_mode="cross"
        )
        await client.follows.update(follow.follow_id, take_profit=Decimal("2"))
        for _ in range(2000):
            if exchange.follow_info(follow.follow_id).status == "stopped":
                break
            exchange.advance(60)
        info = exchange.follow_info(follow.follow_id)
        assert info.stop_reason == "take_profit"
        assert await client.follows.positions(follow.follow_id) == []
        stopped = await client.follows.stop(follow.follow_id)  # already stopped: idempotent
        assert stopped.status == FollowStatus.STOPPED
        history = [o async for o in client.history.list(follow.follow_id)]
        assert history
        assert sum(o.profit for o in history) == info.realized_pnl
        assert info.realized_pnl >= Decimal(20)  # 2% of the copy amount, at least
        account = exchange.account()
        assert account.reserved == 0
        assert account.available == account.deposited + info.realized_pnl


ODD_IDS = ("a/b:c", "é龙", "a&b=c", "a+b%?", "100%25")


async def test_ids_that_need_encoding_are_signed_as_the_exchange_checks(mode: str) -> None:
    """Query values outside ``[A-Za-z0-9-._~]`` go encoded and are signed decoded; the sandbox,
    which verifies with its own code, accepts them (the exchange answered 40009 to clients that
    signed them encoded)."""
    exchange = exchange_for(seed=3, trader_ids=("123456789", *ODD_IDS))
    async for client in connect(exchange, mode):
        for trader_id in ODD_IDS:
            detail = await client.traders.get(trader_id)
            assert detail.trader_id == trader_id


async def test_a_history_walk_over_open_orders_completes() -> None:
    """With the sandbox listing open copies in the history (``exitPrice: ""``, ``closeTime:
    null``), a walk through the client reads every order, the open ones without an exit."""
    config = SandboxConfig(seed=3, rate_limit=None, open_orders_in_history=True)
    async with sandbox_client(config=config, rate_limits=None) as client:
        exchange = client.exchange
        follow_ids = []
        for trader_id in exchange.trader_ids(active=True)[:12]:
            follow = await client.follows.start(trader_id=trader_id, copy_amount=2000, leverage=3)
            follow_ids.append(follow.follow_id)
        for _ in range(3):
            exchange.advance(4 * 3600)
        infos = [exchange.follow_info(f) for f in follow_ids]
        info = max(infos, key=lambda i: min(i.open_positions, i.closed_trades))
        assert info.open_positions >= 2 and info.closed_trades >= 2

        orders = [o async for o in client.history.list(info.follow_id, page_size=3)]
        opened = [o for o in orders if o.status is OrderStatus.OPEN]
        closed = [o for o in orders if o.status is OrderStatus.CLOSED]
        assert (len(opened), len(closed)) == (info.open_positions, info.closed_trades)
        assert len({o.order_id for o in orders}) == len(orders)
        for order in opened:
            assert order.exit_price is None and order.close_time is None
        for order in closed:
            assert order.exit_price is not None and order.close_time is not None
        times = [o.close_time or o.create_time for o in orders]
        assert times == sorted(times, reverse=True)

        # A window counts an open order by its creation time.
        since = opened[0].create_time
        recent = [o async for o in client.history.list(info.follow_id, start_time=since)]
        assert recent == [o for o in orders if (o.close_time or o.create_time) >= since]
