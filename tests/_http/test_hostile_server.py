"""A hostile server (issue 13.1): whatever bytes come back, a bot that catches
``CopyTradeError`` sees nothing else, on all seven endpoints and on both transports.

Hypothesis draws one answer (status, ``Retry-After``/``Retry-After-Ms``/``Date``, an envelope
with fuzzed ``code``, ``msg``, ``requestTime`` and ``data``, or raw bytes: deep nesting,
megabytes of whitespace, invalid UTF-8, UTF-16, HTML; compressed, corrupt or with a lying
``Content-Encoding``) and every endpoint is called with it through three clients: httpx through
its own connection pool and aiohttp, both against a raw loopback socket server that writes the
answer byte for byte, and httpx through a caller's ``httpx.AsyncClient`` on an
``httpx.MockTransport``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copytrade_async import AsyncCopyTradeClient, CopyTradeError, ResponseDecodeError

from ..conftest import REQUEST_TIME
from ..payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER, TRADER_DETAIL, page
from . import loopback
from .loopback import RawServer, Request, client_on, raw_server

Call = Callable[[AsyncCopyTradeClient], Awaitable[Any]]

#: Every endpoint: how to call it, its path, and a valid ``data`` for it.
ENDPOINTS: dict[str, tuple[Call, str, Any]] = {
    "traders.list": (
        lambda c: c.traders.page(page_no=1, page_size=20),
        "/traders",
        page([TRADER], total_page=3, current=1),
    ),
    "traders.get": (lambda c: c.traders.get("1"), "/trader/detail", TRADER_DETAIL),
    "follows.start": (
        lambda c: c.follows.start(trader_id="1", copy_amount=10, leverage=2),
        "/follow",
        FOLLOW,
    ),
    "follows.stop": (lambda c: c.follows.stop("1"), "/stop", STOPPED),
    "follows.update": (
        lambda c: c.follows.update("1", take_profit=50),
        "/updateSettings",
        SETTINGS,
    ),
    "follows.positions": (lambda c: c.follows.positions("1"), "/positions", [POSITION]),
    "history.list": (
        lambda c: c.history.page("1", page_no=1, page_size=20),
        "/history",
        page([ORDER], total_page=3, current=1),
    ),
}
VALID = object()  # "the endpoint's valid data", filled in per request


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}...({len(text):,} chars)"


class Answer:
    """One drawn answer; :meth:`body` renders it for the endpoint that was called."""

    def __init__(
        self,
        status: int,
        headers: tuple[tuple[str, str], ...],
        envelope: tuple[tuple[str, Any], ...] | None,  # field -> JSON text, or VALID for data
        raw: bytes,
        charset: str,
        encoding: str,  # how the body is compressed: see ``_encode``
    ) -> None:
        self.status = status
        self.headers = headers
        self.envelope = envelope
        self.raw = raw
        self.charset = charset
        self.encoding = encoding

    def __repr__(self) -> str:  # short: hypothesis prints the failing example
        fields = ", ".join(f"{k}={_short(v)}" for k, v in vars(self).items())
        return f"Answer({fields})"

    def body(self, path: str) -> bytes:
        if self.envelope is None:
            content = self.raw
        else:
            data = next(d for _, p, d in ENDPOINTS.values() if path.endswith(p))
            parts = [
                f'"{name}":{json.dumps(data) if text is VALID else text}'
                for name, text in self.envelope
            ]
            content = ("{" + ",".join(parts) + "}").encode(self.charset)
        return _encode(content, self.encoding)

    def header_list(self) -> list[tuple[str, str]]:
        headers = list(self.headers)
        label = self.encoding.partition(":")[2] or self.encoding
        if label != "none":
            headers.append(("Content-Encoding", label))
        return headers


def _encode(content: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(content)
    if encoding == "deflate":
        return zlib.compress(content)
    if encoding == "truncated:gzip":
        return gzip.compress(content)[:-7]
    return content  # "none", or a label that lies: "lie:gzip" sends the plain body


def _json_texts() -> st.SearchStrategy[str]:
    scalars = st.one_of(
        st.none().map(json.dumps),
        st.booleans().map(json.dumps),
        st.integers().map(str),
        st.sampled_from(
            [
                str(REQUEST_TIME),
                f'"{REQUEST_TIME}"',
                "1" + "0" * 400,
                "-1e17",
                '"²"',
                "1e30",
                "Infinity",
                "-Infinity",
                "NaN",
                "0.5",
                '"00000"',
                '"80001"',
                '"40008"',
                '"429"',
                '"40015"',
            ]
        ),
        st.text(max_size=20).map(json.dumps),
    )
    nested = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]"),
            st.dictionaries(st.text(max_size=4), inner, max_size=3).map(
                lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"
            ),
        ),
        max_leaves=6,
    )
    return st.one_of(scalars, nested, st.integers(500, 5000).map(lambda n: "[" * n + "]" * n))


RAW_BODIES = [
    b"[" * 100_000,
    b'{"code":"00000","data":' + b"[" * 100_000,
    b" " * 2_000_000,
    b"\xff\xfe\xfa" * 50,
    b'{"code":"00000","msg":"\xff","data":null}',
    b"<html><body><h1>200 OK</h1> but not JSON</body></html>",
    b"",
    b"null",
    b'{"code":"00000"',
]

HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e400",
            "1" + "0" * 400,
            "-1",
            "0",
            "2",
            "0.001",
            "Wed, 21 Oct 99999 07:28:05 GMT",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Wed, 21 Oct 2026 07:28:05 +9999",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    headers = tuple(
        (name, draw(HEADER_VALUES))
        for name in ("Retry-After", "Retry-After-Ms", "Date")
        if draw(st.booleans())
    )
    envelope: tuple[tuple[str, Any], ...] | None = None
    raw = b""
    if draw(st.integers(0, 4)):
        fields: dict[str, Any] = {
            "code": draw(st.sampled_from(['"00000"', '"00000"', '"80003"', '"429"', '"40008"']))
            if draw(st.booleans())
            else draw(_json_texts()),
            "msg": draw(_json_texts()),
            "requestTime": draw(_json_texts()),
            "data": VALID if draw(st.booleans()) else draw(_json_texts()),
        }
        dropped = draw(st.sets(st.sampled_from(sorted(fields)), max_size=2))
        envelope = tuple((k, v) for k, v in fields.items() if k not in dropped)
    else:
        raw = draw(st.sampled_from(RAW_BODIES) | st.binary(max_size=64))
    return Answer(
        status=draw(st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 502, 503, 599])),
        headers=headers,
        envelope=envelope,
        raw=raw,
        charset=draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-8-sig"])),
        encoding=draw(
            st.sampled_from(
                [
                    *("none", "none", "gzip", "deflate", "truncated:gzip", "lie:gzip"),
                    *("lie:deflate", "lie:br", "lie:zstd", "lie:x-unknown"),
                ]
            )
        ),
    )


def answering(answer: Answer) -> loopback.Answer:
    """Write the drawn answer for the endpoint that was called, byte for byte."""

    async def write(request: Request, writer: asyncio.StreamWriter) -> None:
        body = answer.body(request.path)
        head = [f"HTTP/1.1 {answer.status} Whatever"]
        head += [f"{name}: {value}" for name, value in answer.header_list()]
        head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        writer.write("\r\n".join(head).encode("latin-1", "replace") + body)
        await writer.drain()

    return write


class NoLimiter:
    """No rate limit and no shared pause: the fuzz must not sleep after a drawn 429."""

    limits = None

    def expected_wait(self, group: str) -> float:
        return 0.0

    async def acquire(self, group: str) -> float:
        return 0.0

    async def pause(self, seconds: float) -> None:
        return None

    async def aclose(self) -> None:
        return None


def _client(base_url: str, **kwargs: Any) -> AsyncCopyTradeClient:
    return client_on(base_url, rate_limiter=NoLimiter(), timeout=5.0, **kwargs)


@attrs.define
class Served:
    """The loopback server and the three clients, and the answer they all get."""

    server: RawServer
    clients: list[AsyncCopyTradeClient]
    answer: Answer | None = None

    def serve(self, answer: Answer) -> None:
        self.answer = answer
        self.server.answer = answering(answer)


@pytest.fixture
async def clients() -> AsyncIterator[Served]:
    async with raw_server() as raw:
        served = Served(raw, [])

        def mock(request: httpx.Request) -> httpx.Response:
            answer = served.answer
            assert answer is not None
            return httpx.Response(
                answer.status, headers=answer.header_list(), content=answer.body(request.url.path)
            )

        given_client = httpx.AsyncClient(transport=httpx.MockTransport(mock))
        served.clients = [
            _client(raw.url, transport="httpx"),
            _client(raw.url, transport="aiohttp"),
            _client("https://api.example.test", transport=None, http_client=given_client),
        ]
        try:
            yield served
        finally:
            for client in served.clients:
                await client.aclose()
            await given_client.aclose()


def shows(exc: CopyTradeError) -> None:
    """Our error can be shown: its str and repr work and name something."""
    assert str(exc) and repr(exc)


async def call_one(clients: list[AsyncCopyTradeClient], name: str) -> None:
    """Call one endpoint through every client; only our errors may come out."""
    call = ENDPOINTS[name][0]
    for client in clients:
        try:
            await call(client)
        except CopyTradeError as exc:
            shows(exc)


async def call_everything(clients: list[AsyncCopyTradeClient]) -> None:
    """Call every endpoint through every client; only our errors may come out."""
    for name in ENDPOINTS:
        await call_one(clients, name)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(answer=answers())
async def test_any_answer_gives_a_result_or_our_error(clients: Served, answer: Answer) -> None:
    clients.serve(answer)
    await call_everything(clients.clients)


# ----- the records' own fields ------------------------------------------------------------------

ODD_NUMBERS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e400",
    "-1e17",
    "1e30",
    "1" + "0" * 400,
    "-1",
    "0.5",
    '"Infinity"',
    '"1e400"',
    '"²"',
    "true",
    "[]",
    "{}",
    '""',
]


#: Where a record field holds a number the records read: (endpoint, field, path to it).
RECORD_FIELDS = [
    ("traders.list", "totalPage"),
    ("traders.list", "totalNum"),
    ("traders.list", "pageSize"),
    ("history.list", "totalPage"),
    ("history.list", "totalNum"),
    ("history.list", "createTime"),
    ("history.list", "closeTime"),
    ("follows.positions", "createTime"),
]
SENTINEL = "\x00odd\x00"


def record_answer(name: str, field: str, value: str) -> Answer:
    """A valid envelope for ``name`` whose ``field`` (in the page, or in its first record) holds
    the JSON text ``value``."""
    data = json.loads(json.dumps(ENDPOINTS[name][2]))
    holder = data if field in ("totalPage", "totalNum", "pageSize") else None
    if holder is None:
        holder = data[0] if isinstance(data, list) else data["list"][0]
    holder[field] = SENTINEL
    text = json.dumps(data).replace(json.dumps(SENTINEL), value)
    envelope = (("code", '"00000"'), ("msg", '"success"'), ("requestTime", "1"), ("data", text))
    return Answer(200, (), envelope, b"", "utf-8", "none")


@FUZZ
@given(
    where=st.sampled_from(RECORD_FIELDS),
    value=st.sampled_from(ODD_NUMBERS) | _json_texts(),
)
async def test_odd_counts_and_timestamps_give_a_result_or_our_error(
    clients: Served, where: tuple[str, str], value: str
) -> None:
    name, field = where
    clients.serve(record_answer(name, field, value))
    await call_one(clients.clients, name)


@pytest.mark.parametrize("encoding", ["lie:gzip", "lie:deflate"])
async def test_a_body_that_cannot_be_decompressed_is_a_decode_error(
    clients: Served, encoding: str
) -> None:
    envelope = (("code", '"00000"'), ("data", "null"))
    clients.serve(Answer(200, (), envelope, b"", "utf-8", encoding))
    for client in clients.clients:
        with pytest.raises(ResponseDecodeError, match="Content-Encoding") as info:
            await client.follows.positions("1")
        assert info.value.__cause__ is not None  # the transport's own error, chained
        assert "follows.positions" in str(info.value)
