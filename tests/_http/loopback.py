"""A raw HTTP/1.1 server on loopback, for the tests that need to send what no HTTP library
would: it reads each request (the head, and a body of ``Content-Length`` bytes) and hands it
to ``answer``, which writes whatever bytes it likes; the connection is closed afterwards.
Also a client on it, through either transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import attrs

from copytrade_async import AsyncCopyTradeClient

from ..conftest import API_KEY, API_SECRET, PASSPHRASE

Transport = Literal["httpx", "aiohttp"]
TRANSPORTS: list[Transport] = ["httpx", "aiohttp"]


@attrs.frozen
class Request:
    method: str
    path: str  # without the query
    headers: dict[str, str]  # names in lower case
    body: bytes
    names: tuple[str, ...] = ()  # every header line's name, in lower case, repeats kept


Answer = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


def write(data: bytes) -> Answer:
    """Write ``data`` and close."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()

    return answer


class RawServer:
    def __init__(self) -> None:
        self.answer: Answer = write(b"")
        self.url = ""
        self.seen: list[Request] = []
        self.arrived = asyncio.Event()  # set by the first request
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in head[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            names = tuple(line.partition(":")[0].strip().lower() for line in head[1:] if line)
            request = Request(method, target.partition("?")[0], headers, body, names)
            self.seen.append(request)
            self.arrived.set()
            await self.answer(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@asynccontextmanager
async def raw_server() -> AsyncIterator[RawServer]:
    state = RawServer()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        server.close()
        await state.close()
        await server.wait_closed()


def client_on(url: str, transport: Transport | None, **kwargs: Any) -> AsyncCopyTradeClient:
    """A client on ``url`` with the test credentials (unless given), no rate limit and no
    retries, unless told otherwise."""
    options: dict[str, Any] = {
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "passphrase": PASSPHRASE,
        "rate_limits": None,
        "max_retries": 0,
        **kwargs,
    }
    return AsyncCopyTradeClient(base_url=url, transport=transport, **options)
