"""One call, one loop (issue 19.3): the records are built inside the attempt, so a body that
does not fit them is judged, redacted and reported like any other failure; every attempt runs
in the call's own copy of the retry template; an error that gives up on a connection says
where the call went and how long it tried, and a timeout names its limit (issue 20.3)."""

from __future__ import annotations

import pickle
import re
import socket
import traceback

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from copytrade_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncCopyTradeClient,
    AuthenticationError,
    RequestEvent,
    ResponseValidationError,
)
from copytrade_async._config import ClientOptions

from ..conftest import API_SECRET, PASSPHRASE, PREFIX, REQUEST_TIME, fail, make_client, ok
from ..payloads import TRADER_DETAIL
from .loopback import TRANSPORTS, Transport, client_on


async def _no_sleep(_: float) -> None:
    return None


def _quick(client: AsyncCopyTradeClient) -> AsyncCopyTradeClient:
    client._pipeline._retry_template.sleep = _no_sleep  # type: ignore[assignment]
    return client


# -- a validation error is a failed call ------------------------------------------------------


async def test_a_validation_error_reaches_on_request_as_a_failure_and_is_redacted(
    mock_api: respx.MockRouter,
) -> None:
    """The server answers 200 with a well-formed envelope whose data does not fit the record,
    and puts our secret, passphrase and this request's signature into the bad values."""
    sent: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sign = request.headers["ACCESS-SIGN"]
        sent.append(sign)
        data = {
            **TRADER_DETAIL,
            "totalProfit": f"{API_SECRET} {PASSPHRASE}",
            "winRate": sign,
        }
        return ok(data)

    route = mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=reply)
    events: list[RequestEvent] = []
    async with make_client(on_request=events.append, max_retries=3) as client:
        _quick(client)
        with pytest.raises(ResponseValidationError) as info:
            await client.traders.get("1")
    [event] = events
    assert (event.error, event.status, event.attempts) == ("ResponseValidationError", 200, 1)
    assert route.call_count == 1  # judged by the retry policy: the same answer would come back
    exc = info.value
    assert exc.field in ("totalProfit", "winRate")
    shown = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc.__cause__)
    assert "***" in str(exc)
    for secret in (API_SECRET, PASSPHRASE, sent[0]):
        assert secret not in shown


async def test_a_validation_error_on_a_page_is_a_failure_too(mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/traders").mock(
        return_value=ok({"list": [{"traderId": "1"}], "totalPage": "x"})
    )
    events: list[RequestEvent] = []
    async with make_client(on_request=events.append) as client:
        with pytest.raises(ResponseValidationError):
            await client.traders.page()
    assert [event.error for event in events] == ["ResponseValidationError"]


async def test_a_success_is_reported_once_the_records_are_built(
    mock_api: respx.MockRouter,
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    events: list[RequestEvent] = []
    async with make_client(on_request=events.append) as client:
        detail = await client.traders.get("1")
    assert detail.trader_id == TRADER_DETAIL["traderId"]
    assert [(event.error, event.status, event.attempts) for event in events] == [(None, 200, 1)]


# -- every call has its own attempts ------------------------------------------------------------


async def test_concurrent_calls_count_their_own_attempts(mock_api: respx.MockRouter) -> None:
    """40 calls at once, the odd ones answered 502 twice before the answer: each call's hook
    event counts its own attempts (a shared retry object would mix them up, tenacity#93)."""
    failures_left: dict[str, int] = {str(i): 2 if i % 2 else 0 for i in range(40)}

    async def reply(request: httpx.Request) -> httpx.Response:
        trader = request.url.params["traderId"]
        await anyio.lowlevel.checkpoint()  # let the other calls interleave
        if failures_left[trader]:
            failures_left[trader] -= 1
            return httpx.Response(502, text="bad gateway")
        return ok({**TRADER_DETAIL, "traderId": trader})

    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=reply)
    events: list[RequestEvent] = []
    got: dict[str, str] = {}

    async with make_client(on_request=events.append, max_retries=3) as client:
        _quick(client)

        async def one(trader: str) -> None:
            got[trader] = (await client.traders.get(trader)).trader_id

        async with anyio.create_task_group() as group:
            for trader in failures_left:
                group.start_soon(one, trader)
    assert got == {trader: trader for trader in failures_left}
    assert sorted(event.attempts for event in events) == [1] * 20 + [3] * 20
    assert all(event.error is None for event in events)


async def test_a_clock_retry_does_not_use_up_max_retries(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(
        side_effect=[fail("40008", "Request timestamp expired", 401), ok(TRADER_DETAIL)]
    )
    async with make_client(max_retries=0) as client:
        await client.traders.get("1")
        # The clock now follows the server's requestTime of the refusal.
        assert client._pipeline.clock.now_ms() < REQUEST_TIME + 600_000
    assert route.call_count == 2


async def test_a_second_clock_refusal_in_one_call_is_raised(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(
        return_value=fail("40008", "Request timestamp expired", 401)
    )
    async with make_client(max_retries=0) as client:
        with pytest.raises(AuthenticationError, match="40008"):
            await client.traders.get("1")
    assert route.call_count == 2


# -- errors that say where and how long -------------------------------------------------------


def _closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_connection_failure_names_the_host_the_attempts_and_the_time(
    transport: Transport,
) -> None:
    port = _closed_port()
    events: list[RequestEvent] = []
    client = client_on(
        f"http://127.0.0.1:{port}", transport=transport, max_retries=2, on_request=events.append
    )
    async with client:
        _quick(client)
        with pytest.raises(APIConnectionError) as info:
            await client.history.page("F1", start_time=1_700_000_000_000)
    exc = info.value
    assert (exc.host, exc.attempts) == (f"127.0.0.1:{port}", 3)
    assert exc.elapsed is not None and 0 <= exc.elapsed <= events[0].elapsed
    text = str(exc)
    assert text.startswith("history.list: connection failed (")
    match = re.search(r"; gave up on 127\.0\.0\.1:(\d+) after 3 attempts in (\d+\.\d\d) s$", text)
    assert match is not None, text
    assert int(match[1]) == port
    # Never the query (the signed parameters) nor a secret.
    for hidden in ("F1", "followId", "1700000000000", "?", API_SECRET, PASSPHRASE):
        assert hidden not in text
    # It says the same after crossing a process boundary.
    assert str(pickle.loads(pickle.dumps(exc))) == text


async def test_a_host_on_its_default_port_is_named_without_it(mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=httpx.ConnectError("refused"))
    async with make_client(max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.traders.get("1")
    exc = info.value
    assert exc.elapsed is not None
    assert str(exc) == (
        "traders.get: connection failed (ConnectError: refused); "
        f"gave up on api.example.test after 1 attempt in {exc.elapsed:.2f} s"
    )


@pytest.mark.parametrize(
    ("base_url", "host"),
    [
        ("https://api.bitget.com", "api.bitget.com"),
        ("https://api.bitget.com:443", "api.bitget.com"),
        ("http://127.0.0.1:9", "127.0.0.1:9"),
        ("https://user:pw@example.com:8443/prefix", "example.com:8443"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_the_host_an_error_names(base_url: str, host: str) -> None:
    assert ClientOptions(base_url=base_url).host == host


TIMEOUTS: list[tuple[Exception, httpx.Timeout | float, str]] = [
    (httpx.ReadTimeout("slow"), 10.0, "10 s per read"),
    (httpx.ReadTimeout("slow"), httpx.Timeout(5.0, read=2.5), "2.5 s per read"),
    (httpx.ConnectTimeout("slow"), httpx.Timeout(5.0, connect=1.5), "1.5 s per connection"),
    (httpx.WriteTimeout("slow"), httpx.Timeout(3.0), "3 s per write"),
    (httpx.PoolTimeout("busy"), httpx.Timeout(5.0, pool=0.5), "0.5 s per wait for a pooled"),
]


@pytest.mark.parametrize(("failure", "configured", "limit"), TIMEOUTS)
async def test_a_timeout_names_its_limit(
    mock_api: respx.MockRouter, failure: Exception, configured: httpx.Timeout | float, limit: str
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=failure)
    async with make_client(max_retries=0, timeout=configured) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.traders.get("1")
    assert info.value.limit is not None and info.value.limit.startswith(limit)
    assert f"timed out ({type(failure).__name__}), at its limit of {limit}" in str(info.value)


async def test_a_timeout_of_the_whole_attempt_names_the_deadline() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(30)
        raise AssertionError("the deadline should have ended the attempt")

    http = httpx.AsyncClient(transport=httpx.MockTransport(never))
    async with http, make_client(http_client=http, timeout=0.05, max_retries=0) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.traders.get("1")
    assert info.value.limit == "0.05 s per attempt"
    assert "at its limit of 0.05 s per attempt; gave up on api.example.test" in str(info.value)
