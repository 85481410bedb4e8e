"""A FastAPI backend over the copy-trading API (docs/fastapi.md explains it).

One client for the whole app, opened at start-up and closed at shut-down. Routes answer with
the records' JSON form. The errors answer as a web API should: the caller's mistakes are 4xx,
the exchange's refusals are 4xx/409 as they mean, and only the exchange's failures are 5xx.

    pip install -e '.[test]'                     # from a checkout: fastapi, uvicorn, the client
    python examples/fastapi_app.py --sandbox     # on a simulated exchange, no account needed
    python examples/fastapi_app.py               # on the exchange: COPYTRADE_API_KEY, ...
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from copytrade_async import (
    DEFAULT_BASE_URL,
    AlreadyFollowingError,
    APIConnectionError,
    APITimeoutError,
    AsyncCopyTradeClient,
    AuthenticationError,
    CopyLimitExceededError,
    CopyTradeError,
    FollowNotFoundError,
    InsufficientBalanceError,
    InvalidFollowSettingsError,
    InvalidParameterError,
    InvalidTraderError,
    RateLimitError,
)


def real_exchange() -> AsyncCopyTradeClient:
    return AsyncCopyTradeClient(
        api_key=os.environ["COPYTRADE_API_KEY"],
        api_secret=os.environ["COPYTRADE_API_SECRET"],
        passphrase=os.environ["COPYTRADE_PASSPHRASE"],
        base_url=os.environ.get("COPYTRADE_BASE_URL", DEFAULT_BASE_URL),
    )


#: The library's errors, most specific first, and the status each becomes.
STATUSES: list[tuple[type[CopyTradeError], int]] = [
    # The caller named something that does not exist.
    (InvalidTraderError, 404),  # "80001": no such trader (or an inactive one)
    (FollowNotFoundError, 404),  # "40034": no such follow
    # The caller's values, refused by the exchange.
    (InvalidFollowSettingsError, 422),  # "80002": settings out of range
    (InvalidParameterError, 422),  # "40017", "40020"
    # Well-formed, but the account's current state refuses it.
    (InsufficientBalanceError, 409),  # "80003"
    (CopyLimitExceededError, 409),  # "80004"
    (AlreadyFollowingError, 409),  # "80005"
    # The exchange failed us: never the caller's fault.
    (RateLimitError, 503),  # still "too many" after the client's own waits: + Retry-After
    (AuthenticationError, 502),  # OUR credentials were refused: alert, do not ask to log in
    (APITimeoutError, 504),  # no answer within the client's timeout
    (APIConnectionError, 503),  # could not connect (502 if it broke mid-request: below)
    (CopyTradeError, 502),  # a server error, or an answer that is not a valid one
]


async def copytrade_error(request: Request, exc: Exception) -> JSONResponse:
    status = next(code for cls, code in STATUSES if isinstance(exc, cls))
    if isinstance(exc, APIConnectionError) and not isinstance(exc, APITimeoutError):
        status = 502 if exc.request_sent else 503  # it broke mid-request, or never connected
    headers = {}
    if isinstance(exc, RateLimitError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after or 1)))
    body = {"error": type(exc).__name__, "detail": str(exc)}  # str() never holds a secret
    return JSONResponse(body, status_code=status, headers=headers)


#: The client's checks raise ``ValueError`` before sending anything, and each message starts
#: with the argument's name: "start_time must be timezone-aware (for example tzinfo=UTC)".
ARGUMENT = re.compile(r"^([a-z_]+) ")


async def bad_argument(request: Request, exc: Exception) -> JSONResponse:
    """A ``ValueError`` from the client's input checks: the caller's value, so 422. (The
    routes below raise no ValueError of their own; pydantic's 422s have their own handler.)"""
    found = ARGUMENT.match(str(exc))
    body = {"error": "ValueError", "argument": found and found[1], "detail": str(exc)}
    return JSONResponse(body, status_code=422)


class FollowRequest(BaseModel):
    trader_id: str
    copy_amount: str  # a string, read exactly ("1000.50"); the client checks it is > 0
    leverage: int = 10  # the client checks 1 to 125


def create_app(
    make_client: Callable[[], AsyncCopyTradeClient] = real_exchange,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with make_client() as client:  # closed (pool and all) at shut-down
            app.state.copytrade = client
            yield

    app = FastAPI(lifespan=lifespan)
    app.add_exception_handler(CopyTradeError, copytrade_error)
    app.add_exception_handler(ValueError, bad_argument)

    def client_of(request: Request) -> AsyncCopyTradeClient:
        client: AsyncCopyTradeClient = request.app.state.copytrade
        return client

    @app.get("/traders")
    async def list_traders(
        request: Request, limit: int = Query(20, ge=1, le=500)
    ) -> list[dict[str, Any]]:
        paginator = client_of(request).traders.list(page_size=min(limit, 100), limit=limit)
        return [trader.to_dict(mode="json") async for trader in paginator]

    @app.get("/traders/{trader_id}")
    async def get_trader(request: Request, trader_id: str) -> dict[str, Any]:
        detail = await client_of(request).traders.get(trader_id)
        return detail.to_dict(mode="json")

    @app.post("/follows", status_code=201)
    async def start_follow(request: Request, body: FollowRequest) -> dict[str, Any]:
        follow = await client_of(request).follows.start(
            trader_id=body.trader_id, copy_amount=body.copy_amount, leverage=body.leverage
        )
        return follow.to_dict(mode="json")

    @app.get("/follows/{follow_id}/positions")
    async def positions(request: Request, follow_id: str) -> list[dict[str, Any]]:
        found = await client_of(request).follows.positions(follow_id)
        return [position.to_dict(mode="json") for position in found]

    @app.get("/follows/{follow_id}/history")
    async def history_page(
        request: Request,
        follow_id: str,
        start_time: datetime | None = None,  # ISO 8601 with an offset: the client refuses
        end_time: datetime | None = None,  # a naive one (a 422 naming the argument)
        page_no: int = Query(1, ge=1),
        page_size: int = Query(20, ge=1, le=100),
    ) -> dict[str, Any]:
        page = await client_of(request).history.page(
            follow_id,
            start_time=start_time,
            end_time=end_time,
            page_no=page_no,
            page_size=page_size,
        )
        return page.to_dict(mode="json")  # {"items": [...], "total_page": ..., ...}

    @app.post("/follows/{follow_id}/stop")
    async def stop_follow(request: Request, follow_id: str) -> dict[str, Any]:
        stopped = await client_of(request).follows.stop(follow_id)
        return stopped.to_dict(mode="json")

    return app


app = create_app()  # uvicorn examples.fastapi_app:app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--sandbox", action="store_true", help="serve a simulated exchange")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    import uvicorn

    if args.sandbox:
        from copytrade_async.sandbox import sandbox_client

        served = create_app(lambda: sandbox_client(seed=7))
    else:
        served = app
    uvicorn.run(served, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
