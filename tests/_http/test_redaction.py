"""A server that echoes our secrets (issue 13.5): the API secret, the passphrase and the
signature it was sent never reach an error's ``str``, ``repr`` or traceback, nor any log
record, at any level, on either transport; neither do their URL-encoded and base64 forms.

The server is a raw loopback socket server, so that it can also send a header line no HTTP
library accepts (its text comes back inside the transport's error)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from copytrade_async import (
    APIConnectionError,
    APIError,
    AsyncCopyTradeClient,
    CopyTradeError,
    ResponseDecodeError,
    ServerError,
)

from .loopback import (
    TRANSPORTS,
    Answer,
    RawServer,
    Request,
    Transport,
    client_on,
    raw_server,
    write,
)

SECRET = "s3cr3t/key+with space&more=="
PASSPHRASE = "pa55/phrase+&=x y"


def forms(value: str) -> list[str]:
    """The ways a server may echo a secret: as it is, URL-encoded, base64."""
    encoded = value.encode()
    return [
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        base64.b64encode(encoded).decode(),
        base64.b64encode(encoded).decode().rstrip("="),
        base64.urlsafe_b64encode(encoded).decode(),
    ]


def echoing(reply: Callable[[str], bytes]) -> Answer:
    """Answer every request with ``reply(signature)``, the ``ACCESS-SIGN`` it carried."""

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(reply(request.headers.get("access-sign", "")))
        await writer.drain()

    return answer


@pytest.fixture
async def echo() -> AsyncIterator[RawServer]:
    async with raw_server() as server:
        yield server


def signatures(server: RawServer) -> list[str]:
    return [request.headers.get("access-sign", "") for request in server.seen]


def everything(sign: str) -> str:
    """Every secret of ours, in every form, as a server might echo it."""
    return " | ".join([*forms(PASSPHRASE), *forms(SECRET), *forms(sign)])


def response(status: int, body: str, *, content_type: str = "application/json") -> bytes:
    data = body.encode()
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
    return f"{head}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data


def envelope_echo(sign: str) -> bytes:
    msg = f"passphrase {PASSPHRASE} is wrong; you sent {everything(sign)}"
    body = '{"code":"40015","msg":' + json.dumps(msg) + ',"requestTime":1621441751927,"data":null}'
    return response(400, body)


def html_echo(status: int) -> Callable[[str], bytes]:
    def reply(sign: str) -> bytes:
        page = f"<html><body><h1>{PASSPHRASE}</h1> {everything(sign)}</body></html>"
        return response(status, page, content_type="text/html")

    return reply


def header_echo(sign: str) -> bytes:
    """A header line without a colon, holding the passphrase and the signature: both
    libraries refuse it and quote it in their error."""
    return (
        f"HTTP/1.1 200 OK\r\nX-Echo {PASSPHRASE} {sign}\r\nContent-Length: 2\r\n\r\n{{}}"
    ).encode()


def make(url: str, transport: Transport, **kwargs: Any) -> AsyncCopyTradeClient:
    return client_on(url, transport, api_secret=SECRET, passphrase=PASSPHRASE, **kwargs)


def leaks(text: str, signatures: list[str]) -> list[str]:
    """The secrets (in any form) found in ``text``."""
    found = [f for s in (PASSPHRASE, SECRET, *signatures) for f in forms(s) if f in text]
    return sorted(set(found))


def shown(error: BaseException) -> str:
    """Everything a bot or a logger shows of an error."""
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


def logged(records: list[logging.LogRecord]) -> str:
    handler = logging.Handler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return "\n".join(handler.format(record) for record in records)


CASES: dict[str, tuple[Callable[[str], bytes], type[CopyTradeError]]] = {
    "msg": (envelope_echo, APIError),
    "html 502": (html_echo(502), ServerError),
    "html 200": (html_echo(200), ResponseDecodeError),
    "header line": (header_echo, APIConnectionError),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_no_secret_in_errors_or_logs(
    echo: RawServer, transport: Transport, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply, expected = CASES[case]
    echo.answer = echoing(reply)
    caplog.set_level(logging.DEBUG)  # every logger, every level
    async with make(echo.url, transport, max_retries=1) as client:
        client._pipeline._retry_template.sleep = _no_sleep  # type: ignore[assignment]
        with pytest.raises(CopyTradeError) as info:
            await client.follows.stop("1")  # idempotent: retried once, so logged once
    error = info.value
    assert isinstance(error, expected)
    sent = signatures(echo)
    assert len(sent) == 2 and all(sent)
    assert leaks(shown(error), sent) == []
    assert leaks(logged(caplog.records), sent) == []
    assert "follows.stop" in str(error)
    if case == "header line":
        assert error.__cause__ is not None  # the library's error stays chained, redacted
    if case == "msg":
        assert "passphrase *** is wrong" in str(error)  # the rest of the text is kept


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_secret_cut_by_the_snippet_does_not_show_in_part(
    echo: RawServer, transport: Transport
) -> None:
    """A body whose first 2,000 characters end inside the passphrase: the snippet is cut
    there, and what is left of the passphrase must not show either."""
    filler = "<b>" * 660  # stripped as tags: the passphrase would come right at the start
    page = f"<html>{filler}{PASSPHRASE}</html>"
    cut = 2000 - len("<html>") - len(filler)
    assert 4 <= cut < len(PASSPHRASE)
    echo.answer = write(response(502, page, content_type="text/html"))
    async with make(echo.url, transport) as client:
        with pytest.raises(ServerError) as info:
            await client.follows.positions("1")
    assert PASSPHRASE[:cut] not in shown(info.value)


async def _no_sleep(_: float) -> None:
    return None
