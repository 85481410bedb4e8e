"""A fixed-response HTTP/1.1 server for the benchmarks, run in a process of its own.

It answers the two endpoints the benchmarks call with prebuilt or generated envelopes, so the
client's cost is what gets measured and the server never shares the client's event loop or
core. It does not verify signatures. Run by :func:`_common.serve`; standalone::

    python benchmarks/_server.py [--latency-ms 20] [--total-pages 200] [--rate 200 --burst 20]

It prints ``PORT <n>`` once it listens, and stops when its stdin closes (so it dies with the
benchmark that started it) or after ``--max-seconds``, whichever comes first.

* ``GET .../history``: without ``--total-pages``, the same 20-record page every time. With
  it, page ``pageNo`` of ``--total-pages`` pages of ``pageSize`` records, made on the fly, with
  order ids unique across the walk.
* ``GET .../positions``: one position. With ``--rate``, a token bucket of that rate and
  ``--burst`` answers 429 (``Retry-After-Ms``) when it is empty.
* ``GET /stats``: requests served, 429s sent, and the most requests in any 1 s window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import sys
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

PREFIX = "/api/mix/v1/copytrading"
CREATE_MS = 1_621_441_751_927


def order(order_id: str, i: int) -> dict[str, Any]:
    """One history record as the exchange sends it: money as strings, times as ms ints."""
    return {
        "orderId": order_id,
        "symbol": "BTCUSDT" if i % 2 else "ETHUSDT",
        "side": "buy" if i % 3 else "sell",
        "size": f"0.{i % 9 + 1}",
        "entryPrice": f"{30000 + i}.50",
        "exitPrice": f"{31000 + i}.25",
        "profit": f"{100 + i}.00",
        "leverage": "10",
        "status": "closed",
        "createTime": CREATE_MS + i * 1000,
        "closeTime": CREATE_MS + i * 1000 + 60_000,
    }


_ORDER_JSON = (
    '{"orderId":"%d","symbol":"%s","side":"%s","size":"0.%d","entryPrice":"%d.50",'
    '"exitPrice":"%d.25","profit":"%d.00","leverage":"10","status":"closed",'
    '"createTime":%d,"closeTime":%d}'
)


def order_json(i: int) -> str:
    """``order(str(i), i)`` as compact JSON, made without json.dumps (pages are made per
    request, and the server must not be what limits the client)."""
    created = CREATE_MS + i * 1000
    return _ORDER_JSON % (
        i,
        "BTCUSDT" if i % 2 else "ETHUSDT",
        "buy" if i % 3 else "sell",
        i % 9 + 1,
        30000 + i,
        31000 + i,
        100 + i,
        created,
        created + 60_000,
    )


def generated_page(page_no: int, size: int, total_page: int) -> bytes:
    """Page ``page_no`` of a walk: records ``(page_no - 1) * size`` onwards, none past the end."""
    count = size if page_no <= total_page else 0
    first = (page_no - 1) * size
    records = ",".join(order_json(i) for i in range(first, first + count))
    now = time.time_ns() // 1_000_000
    return (
        f'{{"code":"00000","msg":"success","requestTime":{now},"data":{{"list":[{records}],'
        f'"totalPage":{total_page},"totalNum":{total_page * size},"currentPage":{page_no},'
        f'"pageSize":{count}}}}}'
    ).encode()


def page_data(items: list[dict[str, Any]], page_no: int, total_page: int) -> dict[str, Any]:
    return {
        "list": items,
        "totalPage": total_page,
        "totalNum": total_page * len(items),
        "currentPage": page_no,
        "pageSize": len(items),
    }


def envelope_bytes(data: Any) -> bytes:
    body = {"code": "00000", "msg": "success", "requestTime": time.time_ns() // 1_000_000}
    body["data"] = data
    return json.dumps(body, separators=(",", ":")).encode()


def fixed_page() -> bytes:
    """The 20-record page every benchmark decodes."""
    return envelope_bytes(page_data([order(str(10_000 + i), i) for i in range(20)], 1, 1))


POSITION = {
    "symbol": "BTCUSDT",
    "side": "long",
    "size": "0.1",
    "entryPrice": "30000.50",
    "markPrice": "31000.50",
    "unrealizedPnl": "100.00",
    "leverage": "10",
    "marginMode": "isolated",
    "createTime": CREATE_MS,
}


def response(status: int, body: bytes, extra: str = "") -> bytes:
    reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.latency = args.latency_ms / 1000.0
        self.total_pages: int | None = args.total_pages
        self.rate: float | None = args.rate
        self.burst: float = float(args.burst)
        self.tokens = self.burst
        self.refilled = time.monotonic()
        self.requests = 0
        self.rejected = 0
        self.window: deque[float] = deque()  # times of accepted requests in the last second
        self.max_in_window = 0
        self.fixed = response(200, fixed_page())
        self.positions = response(200, envelope_bytes([POSITION]))
        self.not_found = response(404, b'{"code":"40404","msg":"not found","data":null}')

    def take_token(self) -> bool:
        assert self.rate is not None
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.refilled) * self.rate)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        self.window.append(now)
        while self.window[0] <= now - 1.0:
            self.window.popleft()
        self.max_in_window = max(self.max_in_window, len(self.window))
        return True

    def answer(self, target: str) -> bytes:
        path, _, query = target.partition("?")
        if path == "/stats":
            stats = {
                "requests": self.requests,
                "rejected": self.rejected,
                "max_in_1s": self.max_in_window,
            }
            return response(200, json.dumps(stats).encode())
        self.requests += 1
        if path == f"{PREFIX}/history":
            if self.total_pages is None:
                return self.fixed
            params = dict(parse_qsl(query))
            page_no = int(params.get("pageNo", "1"))
            size = int(params.get("pageSize", "20"))
            return response(200, generated_page(page_no, size, self.total_pages))
        if path == f"{PREFIX}/positions":
            if self.rate is not None and not self.take_token():
                self.rejected += 1
                wait_ms = max(1, round((1 - self.tokens) / self.rate * 1000))
                body = b'{"code":"429","msg":"too many requests","data":null}'
                return response(429, body, f"Retry-After-Ms: {wait_ms}\r\n")
            return self.positions
        return self.not_found


class HttpProtocol(asyncio.Protocol):
    """Keep-alive HTTP/1.1: one request at a time per connection, as clients send them."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            target = head.split(" ", 2)[1]
            payload = self.state.answer(target)
            if self.state.latency:
                asyncio.get_running_loop().call_later(self.state.latency, self.write, payload)
            else:
                self.write(payload)

    def write(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def main(args: argparse.Namespace) -> None:
    state = State(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it: no Nagle delay on the response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpProtocol(state), sock=sock, backlog=1024)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    # Stop when the parent closes our stdin (or dies), or at the deadline.
    stdin_closed = asyncio.Event()

    def watch_stdin() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stdin_closed.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stdin_closed.wait(), timeout=args.max_seconds)
    server.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--total-pages", type=int, default=None)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
