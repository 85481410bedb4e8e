"""One HTTP/1.1 connection on asyncio's protocol API, for :mod:`._transport_asyncio`.

asyncio calls :meth:`H1Connection.data_received` with the bytes as they arrive; they go
straight into the connection's :class:`~._h1.ResponseParser`, and the one coroutine using the
connection is woken only when there is something for it: the head, body bytes, the end. No
stream objects, no cancel scope per read, no task: a request that is answered in one segment
costs one wake-up.

Bounds:

* **read**: every wait for the server has the ``read`` timeout (one timer per wait, not per
  byte), raising ``httpx.ReadTimeout``;
* **write**: when asyncio's send buffer is over its high-water mark, the writer waits for it
  to drain, within the ``write`` timeout (``httpx.WriteTimeout``);
* **memory**: once more than :data:`HIGH_WATER` body bytes wait unread, the connection stops
  reading from the socket until the reader takes them.

Any failure, timeout or cancellation in the middle of an exchange leaves the connection
unusable; its owner closes it.
"""

from __future__ import annotations

import asyncio
import select
from typing import cast

import httpx

from ._h1 import RemoteProtocolError, ResponseParser

__all__ = ["HIGH_WATER", "H1Connection"]

#: Unread body bytes past which the connection stops reading from the socket.
HIGH_WATER = 256 * 1024


class H1Connection(asyncio.Protocol):
    """A client connection: one request at a time, kept alive between them."""

    def __init__(self, key: tuple[str, str, int]) -> None:
        self.key = key  # the origin it is connected to
        self.parser = ResponseParser()
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a request was written and its response not read to the end
        self.closed = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[bool] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._error: str | None = None  # why the connection cannot go on
        self._lost: BaseException | None = None
        self._reading_paused = False
        self._writing_paused = False

    # -- asyncio's side ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self.closed:  # closed (the pool with it) while it was being opened
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            self._break("the server sent bytes with no request in flight")
            return
        try:
            self.parser.feed(data)
        except RemoteProtocolError as exc:
            self._break(str(exc))
            return
        if self.parser.buffered > HIGH_WATER and not self._reading_paused:
            assert self.transport is not None
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._end()
        return False  # let asyncio close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc
        self._end()
        self.closed = True
        self._wake()
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    # -- the owner's side ----------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Open, its last response read to the end, and nothing said against another request."""
        return (
            not self.closed
            and not self.busy
            and self._error is None
            and self.parser.keep_alive
            and self.parser.idle
        )

    def stale(self) -> bool:
        """Whether the socket has something to read while no request is in flight: the
        server's close (or bytes nobody asked for) that asyncio has not handed over yet. A
        connection reused at that moment would fail its request."""
        transport = self.transport
        sock = None if transport is None else transport.get_extra_info("socket")
        if sock is None:
            return False
        try:
            return _readable(sock.fileno())
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        """Close at once (idempotent); a request waiting for its response fails."""
        self.closed = True
        if self.busy and self._error is None and not self.parser.complete:
            self._error = "the connection was closed before the response ended"
            self._wake()
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.abort()

    async def write(self, data: bytes, write_timeout: float | None) -> None:
        """Send ``data``; wait while asyncio's send buffer is over its mark."""
        transport = self.transport
        if self.closed or transport is None or transport.is_closing():
            raise httpx.WriteError("the connection was closed")
        transport.write(data)
        if self._writing_paused:
            loop = asyncio.get_running_loop()
            self._drained = drained = loop.create_future()
            try:
                async with asyncio.timeout(write_timeout):
                    await drained
            except TimeoutError:
                raise httpx.WriteTimeout(f"could not send within {write_timeout} s") from None
            finally:
                self._drained = None
            if self.closed:
                raise httpx.WriteError("the connection was closed while sending")

    def start(self, *, head_request: bool) -> None:
        """A request is about to be written: expect its response."""
        self.busy = True
        self.parser.start(head_request=head_request)

    async def read_head(self, read_timeout: float | None) -> None:
        """Wait until the response's status line and headers are in :attr:`parser`."""
        parser = self.parser
        while not parser.head_done:
            await self._wait(read_timeout)

    async def read_chunk(self, read_timeout: float | None) -> bytes:
        """Body bytes that arrived since the last call (waiting for some), or ``b""`` at the
        body's end; then the connection is free for the next request."""
        parser = self.parser
        while True:
            if parser.buffered:
                chunk = parser.take_body()
                if self._reading_paused:
                    self._reading_paused = False
                    assert self.transport is not None
                    self.transport.resume_reading()
                return chunk
            if parser.complete:
                self.busy = False
                return b""
            await self._wait(read_timeout)

    # -- inside --------------------------------------------------------------------------------

    async def _wait(self, read_timeout: float | None) -> None:
        """Wait for the server to send something, at most ``read_timeout`` seconds."""
        if self._error is not None or self.closed:  # _end() and close() say why, when busy
            raise httpx.RemoteProtocolError(self._error or "the connection was closed")
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = None if read_timeout is None else loop.call_later(read_timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        if not waiter.result():
            raise httpx.ReadTimeout(f"nothing came from the server within {read_timeout} s")
        if self._error is not None:
            raise httpx.RemoteProtocolError(self._error)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    def _end(self) -> None:
        """The server ended the connection: a body read to the end completes, anything else
        still awaited fails with what was missing."""
        if self._error is not None:
            return
        if not self.busy:
            return
        try:
            self.parser.feed_eof()
        except RemoteProtocolError as exc:
            lost = self._lost
            self._error = str(exc) if lost is None else f"{exc} ({type(lost).__name__}: {lost})"
        self._wake()

    def _break(self, reason: str) -> None:
        self._error = reason
        self.close()
        self._wake()


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read, without waiting: ``poll`` where there is one (no
    limit on the descriptor's number, unlike ``select``'s 1024), ``select`` elsewhere."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)
