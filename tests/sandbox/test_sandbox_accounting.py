"""The books balance after any sequence of operations:
``available + reserved - realized_pnl == deposited``, exactly."""

from __future__ import annotations

import random
from decimal import Decimal

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copytrade_async.sandbox import SandboxExchange, create_app
from copytrade_async.sandbox._errors import SandboxError

from .sandbox_helpers import Api, new_exchange

KEY = "sandbox-api-key"

amounts = st.one_of(
    st.decimals(min_value=10, max_value=30_000, places=2),
    st.decimals(min_value=10, max_value=100, places=8),
    st.sampled_from([Decimal(0), Decimal("9.99"), Decimal("2000000"), Decimal("-1")]),
)
leverages = st.one_of(st.integers(1, 125).map(Decimal), st.sampled_from([Decimal("0.5")]))
percents = st.one_of(st.none(), st.decimals(min_value="0.01", max_value=150, places=2))

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("follow"),
            st.integers(0, 25),
            amounts,
            leverages,
            st.sampled_from(["isolated", "cross"]),
        ),
        st.tuples(st.just("stop"), st.integers(0, 30)),
        st.tuples(
            st.just("update"),
            st.integers(0, 30),
            st.one_of(st.none(), amounts),
            st.one_of(st.none(), leverages),
            percents,
            percents,
        ),
        st.tuples(st.just("advance"), st.integers(1, 6 * 3600)),
    ),
    max_size=25,
)


def apply(exchange: SandboxExchange, traders: list[str], follows: list[str], op: tuple) -> str:  # type: ignore[type-arg]
    """Apply one operation; return the error code it met, or "00000"."""
    kind = op[0]
    try:
        if kind == "follow":
            _, index, amount, leverage, mode = op
            data = exchange.follow(KEY, traders[index % len(traders)], amount, leverage, mode)
            follows.append(str(data["followId"]))
        elif kind == "stop" and follows:
            exchange.stop(KEY, follows[op[1] % len(follows)])
        elif kind == "update" and follows:
            _, index, amount, leverage, take_profit, stop_loss = op
            exchange.update_settings(
                KEY,
                follows[index % len(follows)],
                copy_amount=amount,
                leverage=leverage,
                take_profit=take_profit,
                stop_loss=stop_loss,
            )
        elif kind == "advance":
            exchange.advance(op[1])
    except SandboxError as exc:
        return exc.code
    return "00000"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_books_balance_after_any_operations(ops: list[tuple]) -> None:  # type: ignore[type-arg]
    exchange = new_exchange(traders=40, tick_seconds=30, deposit=Decimal("50000"), max_follows=8)
    traders = exchange.trader_ids()
    follows: list[str] = []
    for op in ops:
        code = apply(exchange, traders, follows, op)
        assert code in {"00000", "80001", "80002", "80003", "80004", "80005"}
        exchange.check_invariant()
    for follow_id in follows:
        exchange.stop(KEY, follow_id)
    exchange.check_invariant()
    account = exchange.account()
    assert account.reserved == 0
    assert account.available == account.deposited + account.realized_pnl
    assert account.deposited == Decimal("50000")
    assert account.active_follows == 0


async def test_books_balance_over_http_after_a_random_session() -> None:
    """The same property through the app, with a seeded random client."""
    rng = random.Random(2024)
    exchange = new_exchange(deposit=Decimal("20000"), max_follows=5)
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        traders = [*exchange.trader_ids(), "1"]  # "1" is no trader
        follows: list[str] = []
        codes: set[str] = set()
        for _ in range(250):
            roll = rng.random()
            if roll < 0.35:
                body = {
                    "traderId": rng.choice(traders),
                    "copyAmount": str(Decimal(rng.randint(500, 1_500_000)) / 100),
                    "leverage": str(rng.randint(1, 130)),
                    "marginMode": rng.choice(["isolated", "cross"]),
                }
                response = await api.post("follow", body)
                if response.json()["code"] == "00000":
                    follows.append(response.json()["data"]["followId"])
            elif roll < 0.5 and follows:
                response = await api.post("stop", {"followId": rng.choice(follows)})
            elif roll < 0.7 and follows:
                update = {"followId": rng.choice(follows)}
                if rng.random() < 0.5:
                    update["copyAmount"] = str(rng.randint(5, 8000))
                if rng.random() < 0.5:
                    update["takeProfit"] = str(rng.randint(1, 60))
                if rng.random() < 0.5:
                    update["stopLoss"] = str(rng.randint(1, 60))
                response = await api.post("updateSettings", update)
            else:
                exchange.advance(rng.randint(60, 3600))
                continue
            codes.add(response.json()["code"])
            exchange.check_invariant()
        assert {"00000", "80001", "80002", "80003", "80004", "80005"} <= codes
        for follow_id in follows:
            await api.ok("POST", "stop", {"followId": follow_id})
    exchange.check_invariant()
    account = exchange.account()
    assert account.reserved == 0
    assert account.available == Decimal("20000") + account.realized_pnl
    assert account.realized_pnl != 0
