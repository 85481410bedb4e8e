"""``docs/fastapi.md`` runs: its code blocks are executed as written, and the app they build
is driven through ``httpx.ASGITransport`` against the sandbox.

The recipe's ``create_app`` takes the client's factory; the tests pass the sandbox's
(``sandbox_client``) where the recipe's default builds a client for the real exchange, which
is never called here.
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastapi  # noqa: F401  (the recipe needs it: the test extra installs it)
import httpx
import pytest

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.sandbox import (
    Faults,
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    create_app,
    sandbox_client,
)

DOC = Path(__file__).parents[2] / "docs" / "fastapi.md"
ISO_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def recipe() -> types.ModuleType:
    """The doc's code blocks, run in order as one module."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 2, "the app and its test"
    module = types.ModuleType("fastapi_recipe")
    sys.modules[module.__name__] = module  # pydantic resolves the request model through it
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), module.__dict__)
    return module


RECIPE = recipe()


def exchange() -> SandboxExchange:
    return SandboxExchange(SandboxConfig(seed=5, rate_limit=None), ManualClock())


@asynccontextmanager
async def served(
    make_client: Callable[[], AsyncCopyTradeClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """The recipe's app, its lifespan running, behind an httpx client."""
    app = RECIPE.create_app(make_client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield http


def on(sandbox: SandboxExchange, **options: Any) -> Callable[[], AsyncCopyTradeClient]:
    return lambda: sandbox_client(exchange=sandbox, rate_limits=None, **options)


def exact(response: httpx.Response) -> Any:
    """The body as JSON, failing on any number with a fraction (money must be strings)."""

    def no_float(number: str) -> Any:
        raise AssertionError(f"a float in the answer: {number}")

    return json.loads(response.text, parse_float=no_float)


async def test_the_docs_own_test_passes() -> None:
    await RECIPE.test_the_app_on_the_sandbox()


async def test_routes_answer_records_as_exact_json() -> None:
    sandbox = exchange()
    async with served(on(sandbox)) as http:
        response = await http.get("/traders", params={"limit": 150})
        assert response.status_code == 200
        traders = exact(response)
        assert len(traders) == 150 and len({t["trader_id"] for t in traders}) == 150
        # Exactly what the exchange sent: the sandbox's own view of the first trader.
        wire = sandbox.trader_detail(traders[0]["trader_id"])
        assert traders[0]["total_profit"] == wire["totalProfit"]
        assert traders[0]["win_rate"] == wire["winRate"]

        busy = next(
            t for t in sandbox.trader_ids(active=True) if sandbox.trader_detail(t)["positions"]
        )
        detail = exact(await http.get(f"/traders/{busy}"))
        assert detail["statistics"]["total_trades"] >= 0
        assert {type(p["unrealized_pnl"]) for p in detail["positions"]} == {str}

        response = await http.post(
            "/follows", json={"trader_id": busy, "copy_amount": "1000.50", "leverage": 5}
        )
        assert response.status_code == 201, response.text
        follow = exact(response)
        assert (follow["copy_amount"], follow["status"]) == ("1000.50", "active")
        sandbox.advance(6 * 3600)
        page = exact(await http.get(f"/follows/{follow['follow_id']}/history"))
        assert page["current_page"] == 1 and page["total_num"] == len(page["items"]) > 0
        for order in page["items"]:
            assert re.fullmatch(ISO_MS, order["close_time"])
            assert re.fullmatch(r"-?\d+(\.\d+)?", order["profit"])  # plain notation
            Decimal(order["profit"])
        assert re.fullmatch(ISO_MS, page["request_time"])


async def test_exchange_refusals_become_client_statuses() -> None:
    sandbox = exchange()
    active = sandbox.trader_ids(active=True)
    async with served(on(sandbox, max_retries=0)) as http:
        assert (await http.get("/traders/999999999")).status_code == 404
        body = {"trader_id": active[0], "copy_amount": "100"}
        assert (await http.post("/follows", json=body)).status_code == 201
        answers = {
            "AlreadyFollowingError": (409, {"trader_id": active[0], "copy_amount": "100"}),
            "InsufficientBalanceError": (409, {"trader_id": active[1], "copy_amount": "900000"}),
            "InvalidFollowSettingsError": (422, {"trader_id": active[2], "copy_amount": "5"}),
        }
        for error, (status, payload) in answers.items():
            response = await http.post("/follows", json=payload)
            assert (response.status_code, response.json()["error"]) == (status, error)
        # Refused by the app's own checks before the client is called.
        response = await http.post("/follows", json={"trader_id": active[3], "copy_amount": "-1"})
        assert response.status_code == 422


@pytest.mark.parametrize(
    ("faults", "status", "error"),
    [
        (Faults(rate_limit_storm=1.0), 429, "RateLimitError"),
        (Faults(drop_rate=1.0), 503, "APIConnectionError"),
        (Faults(error_rate=1.0), 502, "ServerError"),
        (Faults(malformed_rate=1.0), 502, "ResponseDecodeError"),
    ],
)
async def test_upstream_failures_become_gateway_statuses(
    faults: Faults, status: int, error: str
) -> None:
    sandbox = exchange()
    async with served(on(sandbox, max_retries=0)) as http:
        sandbox.faults = faults
        response = await http.get("/traders", params={"limit": 5})
        assert response.status_code == status, response.text
        assert response.json()["error"] == error
        if status == 429:
            assert int(response.headers["retry-after"]) >= 1


async def test_a_timeout_is_504() -> None:
    # Over a loopback socket: httpx's ASGITransport applies no timeout.
    sandbox = exchange()
    with SandboxServer(sandbox) as server:
        creds = sandbox.credentials

        def slow_exchange() -> AsyncCopyTradeClient:
            return AsyncCopyTradeClient(
                api_key=creds.api_key,
                api_secret=creds.api_secret,
                passphrase=creds.passphrase,
                base_url=server.url,
                rate_limits=None,
                max_retries=0,
                timeout=0.2,
            )

        async with served(slow_exchange) as http:
            sandbox.faults = Faults(latency_s=1.0)
            response = await http.get("/traders", params={"limit": 5})
            sandbox.faults = Faults()
    assert (response.status_code, response.json()["error"]) == (504, "APITimeoutError")


async def test_refused_credentials_are_the_servers_problem_not_the_callers() -> None:
    sandbox = exchange()
    asgi = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(sandbox)))

    def wrong_secret() -> AsyncCopyTradeClient:
        return AsyncCopyTradeClient(
            api_key=sandbox.credentials.api_key,
            api_secret="not-the-secret",
            passphrase=sandbox.credentials.passphrase,
            base_url="http://sandbox",
            http_client=asgi,
            rate_limits=None,
            max_retries=0,
        )

    async with asgi, served(wrong_secret) as http:
        response = await http.get("/traders")
        assert (response.status_code, response.json()["error"]) == (502, "AuthenticationError")
        assert "not-the-secret" not in response.text


def test_the_docs_warning_about_fastapis_own_encoder_holds() -> None:
    from fastapi.encoders import jsonable_encoder

    values = {"small": Decimal("0.123456789012345678"), "large": Decimal("12345678901234567.89")}
    assert jsonable_encoder(values) == {
        "small": 0.12345678901234568,
        "large": 1.2345678901234568e16,
    }
