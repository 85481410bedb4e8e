"""Every wait has a deadline and every buffer a size cap (issue 13.2), on both transports,
against raw loopback sockets: a server that drips its headers or its body, one that sends a
body without end, one that announces a body larger than the cap, and a gzip bomb.

The timings asserted are deadlines the client must keep (a few times the ``timeout`` given,
where the unbounded client took 15-20 s), not performance figures."""

from __future__ import annotations

import asyncio
import gc
import gzip
import time
from collections.abc import AsyncIterator

import httpx
import psutil
import pytest

from copytrade_async import APITimeoutError, ResponseDecodeError, ResponseTooLargeError
from copytrade_async._http._transport_factory import create_transport

from .loopback import TRANSPORTS, Answer, RawServer, Request, Transport, client_on, raw_server

ENVELOPE = b'{"code":"00000","msg":"success","requestTime":1621441751927,"data":[]}'
MiB = 1024 * 1024


def head(*lines: str) -> bytes:
    return ("\r\n".join(["HTTP/1.1 200 OK", *lines, "", ""])).encode()


def drip(data: bytes, every: float, *, start: int = 0) -> Answer:
    """Write ``data[:start]`` at once, then one byte every ``every`` seconds."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data[:start])
        for i in range(start, len(data)):
            await writer.drain()
            await asyncio.sleep(every)
            writer.write(data[i : i + 1])
        await writer.drain()
        await asyncio.sleep(5)

    return answer


def endless() -> Answer:
    """A chunked body that never ends (64 KiB chunks of spaces, as fast as it is read)."""
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head("Transfer-Encoding: chunked"))
        while True:
            writer.write(chunk)
            await writer.drain()

    return answer


def hang_after(data: bytes) -> Answer:
    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(10)

    return answer


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    async with raw_server() as server:
        yield server


# ----- one deadline for the whole attempt -------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_dripped_body_hits_the_deadline(raw: RawServer, transport: Transport) -> None:
    """A body dripped at 1 byte per 50 ms: each read is quick, the whole is not."""
    data = head(f"Content-Length: {len(ENVELOPE)}") + ENVELOPE
    raw.answer = drip(data, 0.05, start=len(data) - len(ENVELOPE))
    started = time.monotonic()
    async with client_on(raw.url, transport, timeout=0.5) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.follows.positions("1")
    assert time.monotonic() - started < 2.0  # unbounded: 0.05 s x 70 bytes = 3.5 s, or more
    assert info.value.request_sent is True
    assert "follows.positions" in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_dripped_headers_hit_the_deadline(raw: RawServer, transport: Transport) -> None:
    raw.answer = drip(head(*[f"X-Pad-{i}: {'x' * 20}" for i in range(20)]), 0.03)
    started = time.monotonic()
    async with client_on(raw.url, transport, timeout=0.5) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.traders.get("1")
    assert time.monotonic() - started < 2.0  # unbounded: about 600 bytes x 30 ms = 18 s
    assert info.value.request_sent is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_deadline_before_sending_says_not_sent(
    raw: RawServer, transport: Transport
) -> None:
    """With the only connection busy, a call waits for the pool; its whole-attempt deadline
    passes first (the pool timeout is longer), and it never sent a byte."""
    raw.answer = hang_after(b"")
    made = create_transport(transport, None, timeout=httpx.Timeout(10.0), max_connections=1)
    url = f"{raw.url}/x"
    try:
        busy = asyncio.create_task(
            made.send("busy", "GET", url, {}, None, httpx.Timeout(10.0), deadline=5, max_bytes=MiB)
        )
        await raw.arrived.wait()
        with pytest.raises(APITimeoutError) as info:
            await made.send(
                "second", "POST", url, {}, b"{}", httpx.Timeout(10.0), deadline=0.2, max_bytes=MiB
            )
        assert info.value.request_sent is False
        assert len(raw.seen) == 1
        busy.cancel()
        await asyncio.gather(busy, return_exceptions=True)
    finally:
        await made.aclose()


# ----- a cap on the body ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_endless_body_stops_at_the_cap(raw: RawServer, transport: Transport) -> None:
    raw.answer = endless()
    async with client_on(raw.url, transport, max_response_bytes=MiB) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.history.page("1")
    error = info.value
    assert isinstance(error, ResponseDecodeError)
    assert error.limit == MiB and error.http_status == 200
    assert "1,048,576 bytes" in str(error) and "history.list" in str(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_content_length_past_the_cap_fails_at_once(
    raw: RawServer, transport: Transport
) -> None:
    """The server announces 1 TB and sends nothing: no waiting for the body, no timeout."""
    raw.answer = hang_after(head(f"Content-Length: {10**12}"))
    async with client_on(raw.url, transport, timeout=5.0) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.traders.get("1")
    assert info.value.limit == 16 * MiB  # the default


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_gzip_bomb_stops_at_the_cap(raw: RawServer, transport: Transport) -> None:
    """64 MiB of zeros in 64 KiB of gzip: the cap is on the decoded body."""
    bomb = gzip.compress(b"0" * (64 * MiB), compresslevel=9)
    assert len(bomb) < MiB
    raw.answer = hang_after(head("Content-Encoding: gzip", f"Content-Length: {len(bomb)}") + bomb)
    async with client_on(raw.url, transport, max_response_bytes=2 * MiB) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.traders.get("1")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_body_at_the_cap_is_read(raw: RawServer, transport: Transport) -> None:
    body = ENVELOPE + b" " * 1000
    raw.answer = hang_after(head(f"Content-Length: {len(body)}") + body)
    async with client_on(raw.url, transport, max_response_bytes=len(body)) as client:
        assert await client.follows.positions("1") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_memory_stays_bounded_against_an_endless_body(
    raw: RawServer, transport: Transport
) -> None:
    """RSS grows by about the cap (16 MiB), not by what the server can send (the unbounded client
    grew by 440-468 MB in 0.7 s)."""
    raw.answer = endless()
    process = psutil.Process()
    async with client_on(raw.url, transport) as client:
        gc.collect()
        before = process.memory_info().rss
        with pytest.raises(ResponseTooLargeError):
            await client.history.page("1")
        grown = process.memory_info().rss - before
    assert grown < 40 * MiB, f"RSS grew by {grown / MiB:.1f} MiB"
