"""A keep-alive HTTP/1.1 server on loopback that counts the connections open at once, for the
transports' tests."""

from __future__ import annotations

import asyncio
import json

import anyio

from ..conftest import envelope

__all__ = ["KeepAliveServer", "all_closed"]


class KeepAliveServer:
    """HTTP/1.1 keep-alive on loopback; counts the connections open at once. Each answer waits
    ``latency`` s; ``statuses`` (when not empty) gives the next answers' statuses in turn."""

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0
        self.accepted = 0  # connections ever opened
        self.requests = 0
        self.latency = 0.0
        self.statuses: list[int] = []
        self.headers: list[dict[str, str]] = []  # of each request, names in lower case
        self.url = ""
        self.none_open = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.accepted += 1
        self.none_open.clear()
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                seen: dict[str, str] = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    seen[name.strip().lower()] = value.strip()
                    if name.strip().lower() == "content-length":
                        length = int(value)
                self.headers.append(seen)
                await reader.readexactly(length)
                self.requests += 1
                status = self.statuses.pop(0) if self.statuses else 200
                if self.latency:
                    await asyncio.sleep(self.latency)
                body = json.dumps(envelope([] if status == 200 else None)).encode()
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (status, len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            if not self.open:
                self.none_open.set()
            writer.close()


async def all_closed(server: KeepAliveServer) -> bool:
    """Whether the server sees every connection closed within 2 s (it learns of a close on its
    next read)."""
    with anyio.move_on_after(2):
        await server.none_open.wait()
    return server.open == 0
