"""Serving the sandbox over HTTP with uvicorn.

:class:`SandboxServer` binds its socket when it is created, so the port is known at once (pass
``port=0`` for an ephemeral one), then runs either as a task of the running event loop
(``async with``) or in a thread of its own (``with``)::

    with SandboxServer(exchange, port=0) as server:
        httpx.get(f"{server.url}/sandbox/stats")
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import anyio

from ._app import create_app
from ._clock import ManualClock
from ._exchange import SandboxExchange

if TYPE_CHECKING:
    import uvicorn

__all__ = ["SandboxServer", "serve"]

_START_TIMEOUT_S = 10.0
#: How often a served sandbox whose clock runs by itself steps its simulation, idle or not.
KEEP_UP_S = 1.0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this. Without it, uvicorn's separate writes of the
        # response head and body meet Nagle and delayed ACKs: about 40 ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class SandboxServer:
    """uvicorn serving one exchange on ``host:port``.

    When run in the main thread (``await server.serve()`` or ``async with``), uvicorn installs
    its SIGINT/SIGTERM handlers for as long as it runs, and puts the previous ones back after.

    Unless the exchange's clock is a :class:`ManualClock`, the server steps the simulation up
    to the clock every ``keep_up_s`` seconds (``None``: only when a request comes), so a request
    after a quiet spell, or on a fast :class:`ScaledClock`, does not wait for all the ticks
    missed since the last one.
    """

    def __init__(
        self,
        exchange: SandboxExchange,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        keep_up_s: float | None = KEEP_UP_S,
    ) -> None:
        try:
            import uvicorn  # only in the "cli" extra: the in-process sandbox does not need it
        except ImportError as exc:  # pragma: no cover
            raise ImportError("serving the sandbox needs uvicorn: pip install -e '.[cli]'") from exc
        if keep_up_s is not None and not (0 < keep_up_s < float("inf")):
            raise ValueError(f"keep_up_s must be a finite number above 0, or None; got {keep_up_s}")
        self.exchange = exchange
        self._keep_up_s = None if isinstance(exchange.clock, ManualClock) else keep_up_s
        self._socket = _bind(host, port)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(exchange),
            interface="asgi3",
            http="h11",  # the drop fault relies on its request cycle (see ``_app``)
            lifespan="off",
            log_config=None,
            log_level=log_level,
            access_log=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self._server: uvicorn.Server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def started(self) -> bool:
        return self._server.started

    async def serve(self) -> None:
        """Serve until :meth:`stop` is called, or until cancelled (then shut down cleanly)."""
        keeper = None if self._keep_up_s is None else asyncio.create_task(self._keep_up())
        try:
            await self._server.serve(sockets=[self._socket])
        except asyncio.CancelledError:
            if self._server.started:
                self._server.force_exit = True  # do not wait for open connections
                with anyio.CancelScope(shield=True):
                    await self._server.shutdown(sockets=[self._socket])
            raise
        finally:
            if keeper is not None:
                keeper.cancel()
            self._socket.close()

    async def _keep_up(self) -> None:
        assert self._keep_up_s is not None
        while True:
            await asyncio.sleep(self._keep_up_s)
            self.exchange.sync()

    def close(self) -> None:
        """Release the socket of a server that was never run."""
        if not self._server.started:
            self._socket.close()

    def stop(self) -> None:
        """Ask the server to finish (it stops within about a quarter of a second)."""
        self._server.should_exit = True

    # ----- in a thread ---------------------------------------------------------------------

    def start_thread(self) -> SandboxServer:
        """Serve from a daemon thread with its own event loop; return once it listens."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.serve()), name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def join(self, timeout: float | None = 10.0) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> SandboxServer:
        return self.start_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.join()

    # ----- as a task of the running loop ---------------------------------------------------

    async def __aenter__(self) -> SandboxServer:
        self._task = asyncio.create_task(self.serve())
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if self._task.done() or time.monotonic() > deadline:
                self._task.cancel()
                raise RuntimeError("the sandbox server did not start")
            await asyncio.sleep(0.005)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._task is not None:
            await self._task


async def serve(
    exchange: SandboxExchange,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    log_level: str = "info",
) -> None:
    """Serve ``exchange`` on ``host:port`` until cancelled or interrupted (Ctrl-C)."""
    await SandboxServer(exchange, host, port, log_level=log_level).serve()
