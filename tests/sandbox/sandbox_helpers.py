"""Helpers shared by the sandbox tests: a client that signs requests with the tests' own signer
(``tests/signing.py``, not the library's), and an exchange factory on a manual clock."""

from __future__ import annotations

import json
from typing import Any

import httpx

from copytrade_async.sandbox import (
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_PASSPHRASE,
    ManualClock,
    SandboxConfig,
    SandboxCredentials,
    SandboxExchange,
)

from ..signing import auth_headers, decoded_query, encoded_query

PREFIX = "/api/mix/v1/copytrading/"
START_MS = 1_700_000_000_000


class Api:
    """Signed calls to the sandbox, with every part of the signature overridable."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        exchange: SandboxExchange,
        api_key: str = SANDBOX_API_KEY,
        api_secret: str = SANDBOX_API_SECRET,
        passphrase: str = SANDBOX_PASSPHRASE,
        *,
        demo: bool = False,
    ) -> None:
        self.client = client
        self.exchange = exchange
        self.api_key = api_key
        self.api_secret = api_secret
        self.passphrase = passphrase
        self.demo = demo  # send ``paptrading: 1``

    @classmethod
    def of(
        cls, client: httpx.AsyncClient, exchange: SandboxExchange, creds: SandboxCredentials
    ) -> Api:
        """Signed with ``creds``, and ``paptrading: 1`` when they are a demo key's."""
        return cls(
            client, exchange, creds.api_key, creds.api_secret, creds.passphrase, demo=creds.demo
        )

    def headers(
        self, method: str, path: str, query: str, body: str, timestamp_ms: int | None = None
    ) -> dict[str, str]:
        return auth_headers(
            api_key=self.api_key,
            api_secret=self.api_secret,
            passphrase=self.passphrase,
            timestamp_ms=self.exchange.now_ms() if timestamp_ms is None else timestamp_ms,
            method=method,
            path=path,
            query=query,
            body=body,
            demo=self.demo,
        )

    async def get(self, endpoint: str, params: dict[str, Any] | None = None) -> httpx.Response:
        path = PREFIX + endpoint
        pairs = sorted((str(k), str(v)) for k, v in (params or {}).items())
        query = encoded_query(pairs)
        url = f"{path}?{query}" if query else path
        headers = self.headers("GET", path, decoded_query(pairs), "")
        return await self.client.get(url, headers=headers)

    async def post(self, endpoint: str, body: dict[str, Any] | str) -> httpx.Response:
        path = PREFIX + endpoint
        text = body if isinstance(body, str) else json.dumps(body)
        return await self.client.post(
            path, content=text.encode(), headers=self.headers("POST", path, "", text)
        )

    async def ok(self, method: str, endpoint: str, payload: Any = None) -> Any:
        """Call and return the envelope's data, asserting success."""
        if method == "GET":
            response = await self.get(endpoint, payload)
        else:
            response = await self.post(endpoint, payload)
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert envelope["code"] == "00000", envelope
        assert envelope["msg"] == "success"
        return envelope["data"]

    async def fails(
        self, method: str, endpoint: str, payload: Any, code: str, status: int = 400
    ) -> dict[str, Any]:
        if method == "GET":
            response = await self.get(endpoint, payload)
        else:
            response = await self.post(endpoint, payload)
        envelope = response.json()
        assert (response.status_code, envelope["code"]) == (status, code), response.text
        assert envelope["data"] is None
        assert isinstance(envelope["requestTime"], int)
        return envelope  # type: ignore[no-any-return]

    async def follow(
        self, trader_id: str, amount: str = "1000", leverage: str = "10", mode: str = "isolated"
    ) -> dict[str, Any]:
        body = {"traderId": trader_id, "copyAmount": amount, "leverage": leverage}
        body["marginMode"] = mode
        return await self.ok("POST", "follow", body)  # type: ignore[no-any-return]


def new_exchange(**config: Any) -> SandboxExchange:
    """An exchange on a manual clock at START_MS; the rate limit is off unless asked for."""
    config.setdefault("rate_limit", None)
    return SandboxExchange(SandboxConfig(**config), ManualClock(START_MS))


def trader_with_positions(exchange: SandboxExchange) -> str:
    """An active trader that holds open positions right now."""
    for trader_id in exchange.trader_ids(active=True):
        if exchange.trader_detail(trader_id)["positions"]:
            return trader_id
    raise AssertionError("no trader holds a position")
