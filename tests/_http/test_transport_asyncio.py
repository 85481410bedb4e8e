"""The default's connections (``AsyncioTransport``): what goes on the wire is what httpx would
send, keep-alive connections are reused only while they may be, the limits and timeouts are
httpx's, no connection or place leaks through retries and cancellations, and whatever it does
not do itself (a mocked httpx, other options) goes through httpcore."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import respx
import trustme

from copytrade_async import (
    APIConnectionError,
    AsyncCopyTradeClient,
    AsyncioTransport,
    CopyTradeError,
    PooledAsyncClient,
    pooled_http_client,
)

from ..conftest import API_KEY, API_SECRET, PASSPHRASE, envelope
from .keepalive import KeepAliveServer, all_closed
from .loopback import RawServer, raw_server, write


async def _short_sleep(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    async with raw_server() as server:
        yield server


def client_on(url: str, **options: Any) -> AsyncCopyTradeClient:
    return AsyncCopyTradeClient(
        api_key=API_KEY, api_secret=API_SECRET, passphrase=PASSPHRASE, base_url=url, **options
    )


# ----- the wire ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["GET", "POST"])
async def test_the_request_on_the_wire_is_the_one_httpx_sends(raw: RawServer, call: str) -> None:
    """The same call through our connections and through a plain ``httpx.AsyncClient`` (httpx's
    own request, written by h11): the same method, path, body and header lines, but for the
    signature and its time, and the codings asked for (ours: the ones it decodes)."""
    raw.answer = write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    async def make_the_call(client: AsyncCopyTradeClient) -> None:
        with pytest.raises(CopyTradeError):  # an empty body is not an envelope
            if call == "GET":
                await client.traders.page(page_size=5)
            else:
                await client.follows.start(trader_id="T1", copy_amount="100", leverage=5)

    async with client_on(raw.url, rate_limits=None, max_retries=0) as ours:
        await make_the_call(ours)
    plain = httpx.AsyncClient()
    async with (
        plain,
        client_on(raw.url, rate_limits=None, max_retries=0, http_client=plain) as theirs,
    ):
        await make_the_call(theirs)
    mine, httpx_own = raw.seen
    assert (mine.method, mine.path, mine.body) == (httpx_own.method, httpx_own.path, httpx_own.body)
    varying = {"access-sign", "access-timestamp", "accept-encoding"}
    assert {k: v for k, v in mine.headers.items() if k not in varying} == {
        k: v for k, v in httpx_own.headers.items() if k not in varying
    }
    assert sorted(mine.names) == sorted(httpx_own.names)  # no header twice, none missing
    assert mine.headers["accept-encoding"] == "gzip, deflate"
    assert mine.headers["host"] == raw.url.removeprefix("http://")


async def test_a_header_that_would_split_the_head_is_refused_before_sending(
    raw: RawServer,
) -> None:
    transport = AsyncioTransport()
    try:
        with pytest.raises(httpx.LocalProtocolError, match="control character"):
            await transport.fetch(
                "GET",
                f"{raw.url}/x",
                {"x-a": "1\r\nx-smuggled: 2"},
                None,
                httpx.Timeout(5),
                endpoint="e",
                max_bytes=1000,
                probe=_Probe(),
            )
        assert raw.seen == []
        assert transport.in_flight == 0
    finally:
        await transport.aclose()


class _Probe:
    started = False


# ----- httpx's seam: an httpx.AsyncClient on the transport --------------------------------------


async def test_through_httpx_a_chunked_gzip_answer_is_decoded_by_httpx(raw: RawServer) -> None:
    body = gzip.compress(b'{"hello": "world"}' * 50)
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 100]), body[i : i + 100])
        for i in range(0, len(body), 100)
    )
    raw.answer = write(
        b"HTTP/1.1 201 Made Here\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n"
        b"X-Two: a\r\nX-Two: b\r\n\r\n" + chunks + b"0\r\nX-Trailer: t\r\n\r\n"
    )
    async with httpx.AsyncClient(transport=AsyncioTransport()) as client:
        response = await client.post(f"{raw.url}/p?q=1%202", content=b"abc")
    assert response.status_code == 201
    assert response.reason_phrase == "Made Here"
    assert response.http_version == "HTTP/1.1"
    assert response.content == b'{"hello": "world"}' * 50
    assert response.headers.get_list("x-two") == ["a", "b"]
    (seen,) = raw.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/p", b"abc")


async def test_through_httpx_a_head_or_204_has_no_body(raw: RawServer) -> None:
    async with httpx.AsyncClient(transport=AsyncioTransport()) as client:
        raw.answer = write(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")
        head = await client.head(f"{raw.url}/h")
        raw.answer = write(b"HTTP/1.1 204 No Content\r\n\r\n")
        empty = await client.get(f"{raw.url}/e")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "50")
    assert (empty.status_code, empty.content) == (204, b"")


async def test_a_body_left_unread_closes_its_connection(keepalive: KeepAliveServer) -> None:
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("GET", f"{keepalive.url}/s") as response:
            assert response.status_code == 200
        assert transport.in_flight == 0
        assert transport.open_connections == 0  # not read to the end: not reusable
        assert (await client.get(f"{keepalive.url}/t")).status_code == 200
        assert transport.open_connections == transport.idle_connections == 1


async def test_a_streamed_upload_is_sent_chunked(raw: RawServer) -> None:
    raw.answer = write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    async def parts() -> Any:
        yield b"ab"
        yield b"cde"

    async with httpx.AsyncClient(transport=AsyncioTransport()) as client:
        response = await client.post(f"{raw.url}/u", content=parts())
    assert response.content == b"ok"
    assert raw.seen[0].headers["transfer-encoding"] == "chunked"


# ----- keep-alive -------------------------------------------------------------------------------


async def test_one_connection_carries_calls_one_after_another(keepalive: KeepAliveServer) -> None:
    async with client_on(keepalive.url, rate_limits=None) as client:
        for i in range(5):
            assert await client.follows.positions(str(i)) == []
    assert keepalive.accepted == 1
    assert await all_closed(keepalive)


async def test_a_connection_the_server_closed_is_not_used_again(raw: RawServer) -> None:
    """The raw server closes every connection after its answer (without saying so): each call
    opens a new one, and none fails for it."""
    raw.answer = write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(3):
            assert (await client.get(f"{raw.url}/x")).content == b"ok"
            await asyncio.sleep(0.01)  # the server's close arrives
    assert len(raw.seen) == 3


async def test_connection_close_and_http10_are_not_kept() -> None:
    transport = AsyncioTransport()
    async with raw_server() as server, httpx.AsyncClient(transport=transport) as client:
        for head in (b"HTTP/1.1 200 OK\r\nConnection: close\r\n", b"HTTP/1.0 200 OK\r\n"):
            server.answer = write(head + b"Content-Length: 0\r\n\r\n")
            assert (await client.get(f"{server.url}/c")).status_code == 200
            assert transport.open_connections == 0


async def test_idle_connections_expire_and_are_capped(keepalive: KeepAliveServer) -> None:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2, keepalive_expiry=0.05)
    keepalive.latency = 0.02
    transport = AsyncioTransport(limits=limits)
    async with httpx.AsyncClient(transport=transport) as client:
        await asyncio.gather(*(client.get(f"{keepalive.url}/{i}") for i in range(4)))
        assert keepalive.most_open == 4
        assert transport.idle_connections == transport.open_connections == 2
        await asyncio.sleep(0.1)
        accepted = keepalive.accepted
        await client.get(f"{keepalive.url}/late")
        assert keepalive.accepted == accepted + 1  # both idle ones had expired
        assert transport.open_connections == 1


async def test_never_more_connections_than_the_limit_and_the_queue_is_bounded(
    keepalive: KeepAliveServer,
) -> None:
    keepalive.latency = 0.05
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=3)
    transport = AsyncioTransport(limits=limits)
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(5)) as client:
        responses = await asyncio.gather(*(client.get(f"{keepalive.url}/{i}") for i in range(12)))
        assert [r.status_code for r in responses] == [200] * 12
        assert keepalive.most_open == 3
        keepalive.latency = 0.5
        slow = [asyncio.create_task(client.get(f"{keepalive.url}/slow")) for _ in range(3)]
        for _ in range(1000):  # until all three hold their places
            if transport.in_flight == 3:
                break
            await asyncio.sleep(0.001)
        with pytest.raises(httpx.PoolTimeout):
            await client.get(f"{keepalive.url}/late", timeout=httpx.Timeout(5, pool=0.1))
        await asyncio.gather(*slow)
        assert transport.in_flight == 0


async def test_another_origin_takes_the_place_of_an_idle_connection(
    keepalive: KeepAliveServer,
) -> None:
    """With the one connection allowed idle to one origin, a request to another closes it."""
    other = KeepAliveServer()
    listener = await asyncio.start_server(other.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    transport = AsyncioTransport(limits=httpx.Limits(max_connections=1))
    async with listener, httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(f"{keepalive.url}/a")).status_code == 200
        assert (await client.get(f"{url}/b")).status_code == 200
        assert transport.open_connections == 1
        assert await all_closed(keepalive)


# ----- what it hands to httpcore ----------------------------------------------------------------


async def test_a_mocked_httpx_sees_the_default_clients_requests() -> None:
    transport = AsyncioTransport()
    assert transport.direct
    with respx.mock:
        assert not transport.direct
        respx.get("http://mocked.test/x").respond(200, text="mocked")
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get("http://mocked.test/x")).text == "mocked"
    assert transport.direct
    await transport.aclose()


async def test_options_beyond_limits_and_tls_go_through_httpcore(
    keepalive: KeepAliveServer,
) -> None:
    transport = AsyncioTransport(retries=1)
    assert not transport.direct
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(f"{keepalive.url}/x")).status_code == 200
    assert transport.open_connections == 0  # none of ours was used


# ----- our clients on it ------------------------------------------------------------------------


async def test_our_default_client_sends_over_its_connections(keepalive: KeepAliveServer) -> None:
    async with client_on(keepalive.url, rate_limits=None, max_in_flight=8) as client:
        transport = client.http_client._transport
        assert isinstance(transport, AsyncioTransport)
        results = await asyncio.gather(*(client.follows.positions(str(i)) for i in range(40)))
        assert results == [[]] * 40
        assert keepalive.most_open <= 8
        assert transport.in_flight == 0
        assert transport.open_connections == transport.idle_connections
    assert await all_closed(keepalive)


async def test_retries_and_cancellations_leak_no_connections(keepalive: KeepAliveServer) -> None:
    """Like openai-python's "retries leak no connections": many calls through a shared pooled
    client, a third of the answers retried (503), some calls cancelled mid-flight; afterwards
    no request holds a place and every open connection is idle."""
    keepalive.latency = 0.002
    rng = random.Random(7)
    keepalive.statuses = [rng.choice((200, 200, 503)) for _ in range(400)]
    limits = httpx.Limits(max_connections=12, max_keepalive_connections=12)
    shared = pooled_http_client(limits=limits)
    transport = shared.pooled_transport
    done = failed = cancelled = 0
    clients = [client_on(keepalive.url, http_client=shared, rate_limits=None, max_retries=3)]
    clients += [client_on(keepalive.url, http_client=shared, rate_limits=None) for _ in range(2)]
    for client in clients:
        client._pipeline._retry_template.sleep = _short_sleep  # type: ignore[assignment]

    async def one(i: int) -> None:
        nonlocal done, failed, cancelled
        with anyio.move_on_after(rng.choice((0.001, 0.004, 5.0))) as scope:
            try:
                await clients[i % 3].follows.positions(str(i))
                done += 1
            except CopyTradeError:
                failed += 1
        cancelled += scope.cancelled_caught

    async with anyio.create_task_group() as tg:
        for i in range(200):
            tg.start_soon(one, i)
    assert done > 50 and cancelled > 20
    assert transport.in_flight == 0
    assert transport.open_connections == transport.idle_connections <= 12
    assert keepalive.most_open <= 12
    # Every place is free: 12 calls at once start at once.
    keepalive.latency = 0.2
    async with anyio.create_task_group() as tg:
        for i in range(12):
            tg.start_soon(clients[0].follows.positions, str(i))
        await anyio.sleep(0.1)
        assert transport.in_flight == 12
    for client in clients:
        await client.aclose()
    assert not shared.is_closed  # a given client is the caller's to close
    await shared.aclose()
    assert await all_closed(keepalive)


async def test_a_shared_pooled_client_is_used_as_is_or_through_send(
    keepalive: KeepAliveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without auth, hooks, cookies or params, a pooled_http_client's requests skip
    ``client.send()`` (the same request on the wire, its default headers included); with an
    event hook, they go through ``client.send()`` so that the hook runs."""
    sent: list[httpx.Request] = []
    real_send = httpx.AsyncClient.send

    async def counting_send(self: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
        sent.append(request)
        return await real_send(self, request, **kw)

    monkeypatch.setattr(httpx.AsyncClient, "send", counting_send)
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.headers["x-app"])

    async with pooled_http_client(headers={"x-app": "backend"}) as shared:
        assert isinstance(shared, PooledAsyncClient)
        async with client_on(keepalive.url, http_client=shared, rate_limits=None) as client:
            assert await client.follows.positions("1") == []
            assert sent == []
            assert keepalive.headers[-1]["x-app"] == "backend"
            assert keepalive.headers[-1]["access-key"] == API_KEY
            shared.event_hooks = {"request": [hook], "response": []}
            assert await client.follows.positions("2") == []
            assert len(sent) == 1 and hooked == ["backend"]
            assert keepalive.headers[-1]["x-app"] == "backend"
        assert shared.pooled_transport.in_flight == 0
    assert keepalive.accepted == 1  # both ways, one connection


def test_the_idle_check_sees_a_close_even_on_a_descriptor_past_1024() -> None:
    """A connection is checked for a pending close before reuse; ``select`` would fail past
    descriptor 1024 (and the check would then throw away every connection): ``poll`` does not."""
    import os
    import resource
    import socket

    from copytrade_async._http._h1_connection import _readable

    ours, theirs = socket.socketpair()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    high = min(soft - 1, 1500)
    try:
        os.dup2(ours.fileno(), high)
        assert not _readable(high)
        theirs.close()  # the server's close
        assert _readable(high)
    finally:
        os.close(high)
        ours.close()


# ----- TLS --------------------------------------------------------------------------------------


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[KeepAliveServer, trustme.CA]]:
    """The keep-alive server behind TLS, with a certificate for 127.0.0.1 from a CA of the test."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    state = KeepAliveServer()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0, ssl=context)
    state.url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield state, ca
        server.close()


async def test_calls_over_tls_verify_the_server(
    tls_server: tuple[KeepAliveServer, trustme.CA],
) -> None:
    """Our own connections speak TLS: with the CA trusted, calls go over one verified
    connection; with httpx's default CAs (certifi), the same server is refused."""
    server, ca = tls_server
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    async with pooled_http_client(transport_options={"verify": trusted}) as shared:
        assert shared.pooled_transport.direct
        async with client_on(server.url, http_client=shared, rate_limits=None) as client:
            for i in range(3):
                assert await client.follows.positions(str(i)) == []
    assert server.accepted == 1
    async with client_on(server.url, rate_limits=None, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED") as info:
            await client.follows.positions("1")
    assert info.value.request_sent is False


async def test_closing_while_a_connection_opens_leaves_no_socket(
    keepalive: KeepAliveServer,
) -> None:
    transport = AsyncioTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        call = asyncio.create_task(client.get(f"{keepalive.url}/x"))
        for _ in range(1000):  # until the connection is being opened
            if transport.open_connections:
                break
            await asyncio.sleep(0)
        await transport.aclose()
        with pytest.raises(httpx.TransportError):
            await call
    assert await all_closed(keepalive)
    assert transport.open_connections == 0


def test_under_uvloop_as_uvicorn_runs_it() -> None:
    """uvicorn runs a FastAPI app on uvloop when it is installed, so the default's connections
    run there too: calls at once, connections kept and given back, and one the server closed
    while idle (found by polling uvloop's socket) not used again."""
    import uvloop

    async def main() -> None:
        keepalive = KeepAliveServer()
        server = await asyncio.start_server(keepalive.serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server, client_on(url, rate_limits=None, max_in_flight=4) as client:
            assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
            calls = (client.follows.positions(str(i)) for i in range(20))
            assert await asyncio.gather(*calls) == [[]] * 20
            transport = client.http_client._transport
            assert isinstance(transport, AsyncioTransport)
            assert transport.in_flight == 0
            assert transport.open_connections == transport.idle_connections == 4
        async with raw_server() as raw, client_on(raw.url, rate_limits=None) as client:
            body = json.dumps(envelope([])).encode()
            raw.answer = write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            for i in range(3):  # the server closes each connection after its answer
                assert await client.follows.positions(str(i)) == []
                await asyncio.sleep(0.01)
            assert len(raw.seen) == 3

    uvloop.run(main())
