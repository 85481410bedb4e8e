"""The sandbox as a plain ASGI 3 application.

An API request goes through: the injected latency, the fault draw, routing (404 code 40404 for
an unknown path, 405 code 40405 for a wrong method), the API key (401), the per-key token
bucket (429), the rest of the authentication (401, or 400 for a signature: see ``_auth``),
then the endpoint (200, or 400 for a business or parameter error). ``/sandbox/`` paths are the
unsigned admin endpoints.

A dropped connection (the ``drop_rate`` fault) is made as real as the server allows. Under
uvicorn the app closes the connection's transport and returns once uvicorn has seen the
disconnect, so the client reads a closed connection with no response. Under any other
server, such as ``httpx.ASGITransport``, the app raises :class:`SandboxConnectionDropped`, a
subclass of ``httpx.RemoteProtocolError`` carrying httpx's own message for a server that hung
up, so an httpx client sees the same exception class as over a socket (with
``ASGITransport(raise_app_exceptions=False)`` it sees a 500 instead). Uvicorn itself would
turn an exception raised before the response into a 500 page, which is why it is handled
apart.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import httpx

from ._admin import ADMIN_PREFIX, handle_admin
from ._auth import authenticate_key, retry_after_headers, verify_request
from ._errors import SandboxError
from ._exchange import SandboxExchange
from ._faults import FaultPlan
from ._routes import ROUTES
from ._wire import BAD_GATEWAY_PAGE, Response, error, html, success

__all__ = ["SandboxApp", "SandboxConnectionDropped", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_DISCONNECT_WAIT_S = 1.0
_ERROR_MESSAGES = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class SandboxConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the app to drop a connection when the server offers no other way."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class SandboxApp:
    """The ASGI callable. ``exchange`` is the state it serves."""

    def __init__(self, exchange: SandboxExchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind == "websocket":  # no websockets here: refuse the handshake
            await receive()
            await send({"type": "websocket.close", "code": 1000})
            return
        if kind != "http":
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            body = await _read_body(receive)
            if body is None:
                return
            query = scope.get("query_string", b"").decode("latin-1")
            await _respond(send, handle_admin(self.exchange, scope["method"], path, query, body))
            return
        await self._api(scope, receive, send, path)

    async def _api(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        exchange = self.exchange
        stats = exchange.stats
        stats.arrived()
        latency = exchange.faults.latency_s
        if latency > 0:
            await anyio.sleep(latency)
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        plan = exchange.draw_fault()
        if plan is not None and not plan.after_execution:
            if plan.kind == "drop":
                stats.answered(path, 0)
                await _drop(receive, send)
                return
            response = self._fault_response(plan)
        else:
            response = self._execute(scope, path, body)
            if plan is not None:
                if plan.kind == "drop":
                    stats.answered(path, 0)
                    await _drop(receive, send)
                    return
                if plan.kind == "malformed":
                    response = response.with_body(response.body[: len(response.body) // 2])
                else:
                    response = self._fault_response(plan)
        stats.answered(path, response.status)
        await _respond(send, response)

    def _execute(self, scope: Scope, path: str, body: bytes) -> Response:
        exchange = self.exchange
        method: str = scope["method"]
        route = ROUTES.get(path)
        try:
            if route is None:
                raise SandboxError("40404", "Request URL NOT FOUND", 404)
            if method != route[0]:
                raise SandboxError("40405", "Method not allowed", 405)
            headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in scope["headers"]
            }
            exchange.sync()
            account = authenticate_key(exchange.accounts, headers)
            wait = exchange.rate_limiter.take(account.api_key, time.monotonic())
            if wait is not None:
                return error(
                    SandboxError("429", "Too many requests", 429),
                    exchange.server_time_ms(),
                    tuple(retry_after_headers(wait)),
                )
            query = scope.get("query_string", b"").decode("latin-1")
            raw_path = scope.get("raw_path") or path.encode()
            verify_request(
                account,
                headers,
                method,
                raw_path.decode("latin-1"),
                query,
                body,
                exchange.server_time_ms(),
                exchange.config.timestamp_tolerance_ms,
            )
            data = route[1](exchange, account.api_key, query, body)
        except SandboxError as exc:
            extra = ((b"allow", route[0].encode()),) if exc.status == 405 and route else ()
            return error(exc, exchange.server_time_ms(), extra)
        return success(data, exchange.server_time_ms())

    def _fault_response(self, plan: FaultPlan) -> Response:
        now = self.exchange.server_time_ms()
        if plan.kind == "maintenance":
            return error(SandboxError("40200", "server upgrade, please try again later"), now)
        if plan.kind == "storm":
            return error(
                SandboxError("429", "Too many requests", 429),
                now,
                tuple(retry_after_headers(plan.retry_after_ms / 1000)),
            )
        if plan.html:
            return html(plan.status, BAD_GATEWAY_PAGE)
        extra = ((b"retry-after", b"1"),) if plan.status == 503 else ()
        return error(
            SandboxError(str(plan.status), _ERROR_MESSAGES[plan.status], plan.status), now, extra
        )


def create_app(exchange: SandboxExchange) -> SandboxApp:
    """The ASGI application serving ``exchange``."""
    return SandboxApp(exchange)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, response: Response) -> None:
    headers = [*response.headers, (b"content-length", str(len(response.body)).encode())]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _drop(receive: Receive, send: Send) -> None:
    # uvicorn's ``send`` is a method of its request cycle, which holds the connection's
    # transport: closing it hangs up without a byte of response, and uvicorn stays quiet once
    # it has noticed the disconnect.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    close = getattr(transport, "close", None)
    if not callable(close):
        raise SandboxConnectionDropped
    close()
    with anyio.move_on_after(_DISCONNECT_WAIT_S):
        while (await receive())["type"] != "http.disconnect":
            pass


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
