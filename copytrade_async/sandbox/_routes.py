"""The API's endpoints: reading each one's parameters and calling the exchange."""

from __future__ import annotations

from collections.abc import Callable

from ._exchange import SandboxExchange
from ._params import (
    body_decimal,
    body_required_decimal,
    body_string,
    parse_body,
    parse_query,
    query_choice,
    query_int,
    query_string,
)

__all__ = ["PREFIX", "ROUTES", "Handler"]

PREFIX = "/api/mix/v1/copytrading/"

#: (exchange, api key, query string, body) -> the envelope's data
Handler = Callable[[SandboxExchange, str, str, bytes], object]

_MAX_PAGE_SIZE = 100


def _page(params: dict[str, str]) -> tuple[int, int]:
    return (
        query_int(params, "pageSize", 20, 1, _MAX_PAGE_SIZE),
        query_int(params, "pageNo", 1, 1, None),
    )


def traders(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    params = parse_query(query)
    page_size, page_no = _page(params)
    return exchange.list_traders(
        page_size,
        page_no,
        query_choice(params, "sortBy", ("profit", "followers")),
        query_choice(params, "sortType", ("asc", "desc")),
    )


def trader_detail(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    return exchange.trader_detail(query_string(parse_query(query), "traderId"))


def follow(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    fields = parse_body(body)
    trader_id = body_string(fields, "traderId")
    copy_amount = body_required_decimal(fields, "copyAmount")
    leverage = body_required_decimal(fields, "leverage")
    margin_mode = body_string(fields, "marginMode")
    return exchange.follow(api_key, trader_id, copy_amount, leverage, margin_mode)


def stop(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    return exchange.stop(api_key, body_string(parse_body(body), "followId"))


def update_settings(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    fields = parse_body(body)
    return exchange.update_settings(
        api_key,
        body_string(fields, "followId"),
        copy_amount=body_decimal(fields, "copyAmount"),
        leverage=body_decimal(fields, "leverage"),
        take_profit=body_decimal(fields, "takeProfit"),
        stop_loss=body_decimal(fields, "stopLoss"),
    )


def history(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    params = parse_query(query)
    follow_id = query_string(params, "followId")
    page_size, page_no = _page(params)
    start = query_int(params, "startTime", -1, 0, None)
    end = query_int(params, "endTime", -1, 0, None)
    return exchange.history(
        api_key,
        follow_id,
        start_time=None if start < 0 else start,
        end_time=None if end < 0 else end,
        page_size=page_size,
        page_no=page_no,
    )


def positions(exchange: SandboxExchange, api_key: str, query: str, body: bytes) -> object:
    return exchange.positions(api_key, query_string(parse_query(query), "followId"))


#: path -> (method, handler)
ROUTES: dict[str, tuple[str, Handler]] = {
    PREFIX + "traders": ("GET", traders),
    PREFIX + "trader/detail": ("GET", trader_detail),
    PREFIX + "follow": ("POST", follow),
    PREFIX + "stop": ("POST", stop),
    PREFIX + "updateSettings": ("POST", update_settings),
    PREFIX + "history": ("GET", history),
    PREFIX + "positions": ("GET", positions),
}
