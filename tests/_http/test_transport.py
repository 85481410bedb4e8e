"""Both transports (httpx and aiohttp) against a real loopback server: the same wire, the same
signature, no redirects, the same errors, and the choice between them."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, Literal

import aiohttp
import anyio
import httpx
import pytest
from aiohttp import web

from copytrade_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncCopyTradeClient,
    ClientClosedError,
    HistoryOrder,
    OrderSide,
    pooled_http_client,
)
from copytrade_async._config import attempt_deadline
from copytrade_async._http._transport_aiohttp import client_timeout

from ..conftest import API_KEY, API_SECRET, PASSPHRASE, PREFIX, envelope
from ..payloads import FOLLOW, ORDER, TRADER_DETAIL, page
from ..signing import signature, signed_query_of

Transport = Literal["httpx", "aiohttp"]
TRANSPORTS: list[Transport] = ["httpx", "aiohttp"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Seen:
    """One request as the server received it."""

    def __init__(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path, _, self.query = raw_path.partition("?")
        self.headers = headers
        self.body = body

    def signature(self) -> str:
        """The signature this request should carry, by the exchange's rule (the query decoded),
        from the tests' own signer."""
        return signature(
            API_SECRET,
            self.headers["ACCESS-TIMESTAMP"],
            self.method,
            self.path,
            signed_query_of(self.query),
            self.body.decode(),
        )


class Server:
    """An aiohttp.web server on loopback that records requests and answers with ``reply``."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.reply: Handler = self.ok_with(None)
        self.url = ""

    @staticmethod
    def ok_with(data: Any, status: int = 200) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return web.json_response(envelope(data), status=status)

        return handler

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.raw_path, dict(request.headers), body))
        if request.path == "/elsewhere":
            return web.json_response(envelope([]))
        return await self.reply(request)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


def make(url: str, transport: Transport | None, **kwargs: Any) -> AsyncCopyTradeClient:
    options: dict[str, Any] = {"rate_limits": None, "max_retries": 0, **kwargs}
    return AsyncCopyTradeClient(
        api_key=API_KEY,
        api_secret=API_SECRET,
        passphrase=PASSPHRASE,
        base_url=url,
        transport=transport,
        **options,
    )


def check_headers(seen: Seen, *, locale: str = "en-US") -> None:
    assert seen.headers["ACCESS-KEY"] == API_KEY
    assert seen.headers["ACCESS-PASSPHRASE"] == PASSPHRASE
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["locale"] == locale
    assert seen.headers["ACCESS-TIMESTAMP"].isdigit()
    assert len(seen.headers["ACCESS-TIMESTAMP"]) == 13
    assert seen.headers["ACCESS-SIGN"] == seen.signature()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_get_is_signed_and_decoded(server: Server, transport: Transport) -> None:
    server.reply = server.ok_with(page([ORDER], total_page=3, current=2, size=50))
    async with make(server.url, transport) as client:
        assert client.transport == transport
        result = await client.history.page("987654321", page_no=2, page_size=50)
    [seen] = server.seen
    assert (seen.method, seen.path) == ("GET", f"{PREFIX}/history")
    assert seen.query == "followId=987654321&pageNo=2&pageSize=50"
    assert seen.body == b""
    check_headers(seen)
    assert "paptrading" not in seen.headers
    user_agent = seen.headers["User-Agent"]
    assert user_agent.startswith("python-httpx/" if transport == "httpx" else "Python/")
    [order] = result.items
    assert isinstance(order, HistoryOrder)
    assert order.side is OrderSide.BUY
    assert order.profit == Decimal("100.00") and order.profit.as_tuple().exponent == -2
    assert result.total_page == 3


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_query_is_sent_encoded_and_signed_decoded(
    server: Server, transport: Transport
) -> None:
    server.reply = server.ok_with(TRADER_DETAIL)
    async with make(server.url, transport) as client:
        await client.traders.get("a/b&c=d:é~x")
    [seen] = server.seen
    assert seen.query == "traderId=a%2Fb%26c%3Dd%3A%C3%A9~x"
    assert seen.headers["ACCESS-SIGN"] == seen.signature()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_post_body_is_signed(server: Server, transport: Transport) -> None:
    server.reply = server.ok_with(FOLLOW)
    async with make(server.url, transport, demo=True, locale="zh-CN") as client:
        follow = await client.follows.start(
            trader_id="123456789", copy_amount=Decimal("1000"), leverage=10
        )
    [seen] = server.seen
    assert seen.method == "POST" and seen.query == ""
    assert seen.body == (
        b'{"traderId":"123456789","copyAmount":"1000","leverage":"10","marginMode":"isolated"}'
    )
    check_headers(seen, locale="zh-CN")
    assert seen.headers["paptrading"] == "1"
    assert follow.follow_id == "987654321"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_redirects_are_not_followed(server: Server, transport: Transport) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": f"{server.url}/elsewhere"})

    server.reply = redirect
    async with make(server.url, transport) as client:
        with pytest.raises(APIError) as info:
            await client.follows.positions("1")
    assert info.value.http_status == 302
    assert [seen.path for seen in server.seen] == [f"{PREFIX}/positions"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_503_is_retried_and_retry_after_read(server: Server, transport: Transport) -> None:
    answers = iter([503, 200])

    async def flaky(request: web.Request) -> web.StreamResponse:
        status = next(answers)
        if status == 503:
            return web.Response(status=503, text="busy", headers={"Retry-After-Ms": "10"})
        return web.json_response(envelope([]))

    server.reply = flaky
    async with make(server.url, transport, max_retries=2) as client:
        assert await client.follows.positions("1") == []
    assert len(server.seen) == 2


# ----- failures -------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_refused_connection_was_not_sent(transport: Transport) -> None:
    async with make(f"http://127.0.0.1:{closed_port()}", transport) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.follows.positions("1")
    assert info.value.request_sent is False
    assert not isinstance(info.value, APITimeoutError)
    assert "follows.positions" in str(info.value)


@pytest.fixture
async def raw_server() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A bare TCP server: it reads a request, then drops it or hangs, as ``mode["mode"]`` says."""
    mode = {"mode": "drop"}
    handlers: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            if mode["mode"] == "hang":
                await asyncio.sleep(3)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            handlers.discard(task)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", mode
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_dropped_connection_may_have_been_sent(
    raw_server: tuple[str, dict[str, str]], transport: Transport
) -> None:
    url, _ = raw_server
    async with make(url, transport) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.follows.positions("1")
    assert info.value.request_sent is True
    assert not isinstance(info.value, APITimeoutError)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_read_timeout_may_have_been_sent(
    raw_server: tuple[str, dict[str, str]], transport: Transport
) -> None:
    url, mode = raw_server
    mode["mode"] = "hang"
    async with make(url, transport, timeout=0.2) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.follows.positions("1")
    assert info.value.request_sent is True
    assert "timed out" in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_pool_timeout_was_not_sent(
    raw_server: tuple[str, dict[str, str]], transport: Transport
) -> None:
    """With one pooled connection busy, the next request times out waiting for it."""
    url, mode = raw_server
    mode["mode"] = "hang"
    http: httpx.AsyncClient | aiohttp.ClientSession
    if transport == "httpx":
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
    else:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    timeout = httpx.Timeout(5.0, connect=0.1, pool=0.1)
    async with http, make(url, None, http_client=http, timeout=timeout) as client:
        assert client.transport == transport
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.follows.positions, "busy")
            await anyio.sleep(0.1)  # the first request holds the only connection
            with pytest.raises(APITimeoutError) as info:
                await client.follows.positions("waiting")
            tg.cancel_scope.cancel()
    assert info.value.request_sent is False


# ----- choosing a transport ----------------------------------------------------------------------


async def test_a_given_session_selects_aiohttp_and_is_not_closed(server: Server) -> None:
    async with aiohttp.ClientSession(headers={"X-App": "mine"}) as session:
        async with make(server.url, None, http_client=session) as client:
            assert client.transport == "aiohttp"
            with pytest.raises(AttributeError, match="aiohttp"):
                _ = client.http_client
            await client.follows.positions("1")
        assert not session.closed
    assert server.seen[0].headers["X-App"] == "mine"
    assert server.seen[0].headers["ACCESS-SIGN"] == server.seen[0].signature()


async def test_our_session_is_made_on_first_use_and_closed(server: Server) -> None:
    client = make(server.url, "aiohttp")  # no event loop is needed to build the client
    transport = client._pipeline.transport
    assert transport.client is None  # type: ignore[attr-defined]
    await client.follows.positions("1")
    session = transport.client  # type: ignore[attr-defined]
    assert isinstance(session, aiohttp.ClientSession) and not session.closed
    assert isinstance(session.cookie_jar, aiohttp.DummyCookieJar)
    await client.aclose()
    await client.aclose()
    assert session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.follows.positions("1")


def test_our_httpx_client_goes_to_its_pool_unless_a_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    direct = make("https://x.test", "httpx")._pipeline.transport
    assert direct._pool is direct.client._transport  # type: ignore[attr-defined]
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    routed = make("https://x.test", "httpx")._pipeline.transport
    assert routed._pool is None  # type: ignore[attr-defined]


def test_defaults_and_wrong_combinations() -> None:
    assert make("https://x.test", None).transport == "httpx"
    with pytest.raises(ValueError, match="transport"):
        make("https://x.test", "requests")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"aiohttp\.ClientSession"):
        make("https://x.test", "aiohttp", http_client=httpx.AsyncClient())
    with pytest.raises(TypeError, match=r"httpx\.AsyncClient.*got builtins\.object$"):
        make("https://x.test", "httpx", http_client=object())


async def test_an_httpx2_client_is_refused_saying_why() -> None:
    """httpx's successor is measured, not taken (docs/performance.md): a clear TypeError."""
    import httpx2

    async with httpx2.AsyncClient() as theirs:
        with pytest.raises(TypeError, match=r"got httpx2\.AsyncClient: httpx2 is not supported"):
            make("https://x.test", None, http_client=theirs)


def test_importing_the_package_does_not_import_aiohttp_or_msgspec() -> None:
    code = (
        "import sys, copytrade_async; "
        "print('aiohttp' in sys.modules, 'msgspec' in sys.modules, 'orjson' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.split() == ["False", "False", "False"]


@pytest.mark.parametrize(
    ("timeout", "deadline", "expected"),
    [
        (httpx.Timeout(10.0), None, (None, 20.0, 10.0, 10.0)),
        (httpx.Timeout(10.0), 10.0, (10.0, 9.9, 10.0, 10.0)),
        (httpx.Timeout(5.0, connect=1.0, pool=2.0), 5.0, (5.0, 3.0, 1.0, 5.0)),
        (httpx.Timeout(5.0, connect=1.0, pool=2.0), None, (None, 3.0, 1.0, 5.0)),
        (httpx.Timeout(0.5), 0.5, (0.5, 0.49, 0.5, 0.5)),
        (httpx.Timeout(0.01), 0.01, (0.01, 0.005, 0.01, 0.01)),
        (httpx.Timeout(None), None, (None, None, None, None)),
        (httpx.Timeout(None), 2.0, (2.0, 1.98, None, None)),
        (httpx.Timeout(5.0, pool=None), None, (None, None, 5.0, 5.0)),
    ],
)
def test_timeouts_map_to_aiohttp(
    timeout: httpx.Timeout, deadline: float | None, expected: tuple[float | None, ...]
) -> None:
    """The whole-attempt deadline is ``total``; getting a connection ends a little before it,
    so that aiohttp tells a deadline passed before sending (a connect timeout) apart."""
    converted = client_timeout(timeout, deadline)
    got = (converted.total, converted.connect, converted.sock_connect, converted.sock_read)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("timeout", "deadline"),
    [
        (3.0, 3.0),
        (httpx.Timeout(10.0), 10.0),
        (httpx.Timeout(5.0, connect=1.0, pool=2.0), 5.0),
        (httpx.Timeout(1.0, read=30.0), 30.0),
        (httpx.Timeout(5.0, pool=None), None),
        (httpx.Timeout(None), None),
    ],
)
def test_the_attempt_deadline_is_the_timeout_or_its_longest_phase(
    timeout: float | httpx.Timeout, deadline: float | None
) -> None:
    assert attempt_deadline(timeout) == deadline


async def test_aiohttp_gives_back_connections_and_slots_under_cancellation(
    server: Server,
) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.005)
        return web.json_response(envelope([]))

    server.reply = slow
    async with make(server.url, "aiohttp", max_in_flight=8) as client:
        done = cancelled = 0

        async def one(i: int) -> None:
            nonlocal done, cancelled
            with anyio.move_on_after((0.001, 0.004, 5)[i % 3]) as scope:
                await client.follows.positions(str(i))
                done += 1
            cancelled += scope.cancelled_caught

        async with anyio.create_task_group() as tg:
            for i in range(150):
                tg.start_soon(one, i)
        session = client._pipeline.transport.client  # type: ignore[attr-defined]
        assert session.connector._acquired == set()
        assert client._pipeline._in_flight.value == 8
        assert await client.follows.positions("after") == []
    assert done > 30 and cancelled > 30


def test_envelope_json_reader_used_by_both_is_exact() -> None:
    # Both transports hand the body to the same decoder: a float literal stays exact.
    from copytrade_async._http._envelope import parse_json

    body = json.dumps({"code": "00000", "data": {"x": 1}}).replace("1}", "0.1000000000000000055}")
    assert parse_json(body.encode())["data"]["x"] == Decimal("0.1000000000000000055")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("field", "value"),
    [("passphrase", "pa55\nphrase"), ("passphrase", "pässwort"), ("api_key", "key\x00x")],
)
async def test_credentials_that_cannot_be_header_values_are_refused_up_front(
    server: Server, transport: Transport, field: str, value: str
) -> None:
    """httpx raised a bare UnicodeEncodeError for a non-ASCII passphrase, aiohttp a bare
    ValueError for a newline in one: they are refused before any request, naming the
    argument and not showing it."""
    credentials = {"api_key": API_KEY, "api_secret": API_SECRET, "passphrase": PASSPHRASE}
    credentials[field] = value
    with pytest.raises(ValueError, match=field) as info:
        AsyncCopyTradeClient(base_url=server.url, transport=transport, **credentials)
    assert value not in str(info.value)
    assert server.seen == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_given_http_client_closed_under_us_is_our_error(transport: Transport) -> None:
    """A web app closes the pool it shared with our clients while they are still in use: the
    call raises ClientClosedError (a CopyTradeError, and the RuntimeError httpx and aiohttp
    raise), naming what was closed, and nothing is sent."""
    given: Any = pooled_http_client() if transport == "httpx" else aiohttp.ClientSession()
    client = AsyncCopyTradeClient(
        api_key=API_KEY,
        api_secret=API_SECRET,
        passphrase=PASSPHRASE,
        base_url="http://127.0.0.1:9",
        http_client=given,
        max_retries=0,
    )
    await (given.aclose() if transport == "httpx" else given.close())
    with pytest.raises(ClientClosedError, match=r"traders\.list: its http_client is closed"):
        await client.traders.page(page_size=5)
    await client.aclose()
