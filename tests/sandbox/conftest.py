"""Fixtures for the sandbox tests (the helpers live in ``sandbox_helpers``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from copytrade_async.sandbox import SandboxExchange, create_app

from .sandbox_helpers import Api, new_exchange, trader_with_positions

MakeExchange = Callable[..., SandboxExchange]


@pytest.fixture
def make_exchange() -> MakeExchange:
    return new_exchange


@pytest.fixture
def exchange() -> SandboxExchange:
    return new_exchange()


@pytest.fixture
async def client(exchange: SandboxExchange) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as c:
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient, exchange: SandboxExchange) -> Api:
    return Api(client, exchange)


@pytest.fixture
def busy_trader(exchange: SandboxExchange) -> str:
    """An active trader holding open positions."""
    return trader_with_positions(exchange)
