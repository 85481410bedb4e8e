"""Every error code and class: the envelope decoder, and the client raising them end to end."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import httpx
import pytest
import respx

import copytrade_async
from copytrade_async import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
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
    ResponseDecodeError,
    ResponseValidationError,
    ServerError,
)
from copytrade_async._http._envelope import decode_envelope, parse_retry_after

from .conftest import API_SECRET, PASSPHRASE, PREFIX, REQUEST_TIME, envelope, fail, ok
from .payloads import FOLLOW, TRADER_DETAIL

CODE_TABLE = [
    ("80001", 400, InvalidTraderError),
    ("80002", 400, InvalidFollowSettingsError),
    ("80003", 400, InsufficientBalanceError),
    ("80004", 400, CopyLimitExceededError),
    ("80005", 400, AlreadyFollowingError),
    ("40034", 400, FollowNotFoundError),
    ("40020", 400, InvalidParameterError),
    ("40017", 400, InvalidParameterError),
    ("40006", 400, AuthenticationError),
    ("40008", 400, AuthenticationError),
    ("40009", 400, AuthenticationError),
    ("40012", 400, AuthenticationError),
    ("40037", 400, AuthenticationError),
    ("429", 429, RateLimitError),
    ("429", 200, RateLimitError),
    ("99999", 400, APIError),
    ("40010", 400, APIError),
]


@pytest.mark.parametrize(("code", "status", "cls"), CODE_TABLE)
def test_codes_map_to_classes(code: str, status: int, cls: type[APIError]) -> None:
    body = httpx.Response(status, json=envelope(None, code=code, msg="boom")).content
    with pytest.raises(cls) as info:
        decode_envelope("follows.start", status, {}, body)
    err = info.value
    assert type(err) is cls
    assert (err.code, err.message, err.http_status) == (code, "boom", status)
    assert err.request_time == datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC)
    assert err.request_time_ms == REQUEST_TIME
    assert "follows.start" in str(err) and code in str(err)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, APIError),
    ],
)
def test_http_status_without_envelope(status: int, cls: type[APIError]) -> None:
    with pytest.raises(cls) as info:
        decode_envelope(
            "traders.list", status, {}, b"<html><body><h1>Bad</h1> gateway</body></html>"
        )
    assert type(info.value) is cls
    assert info.value.code == f"HTTP {status}"
    assert "Bad gateway" in info.value.message
    assert "<h1>" not in str(info.value)


def test_html_502_is_a_server_error_not_a_json_traceback() -> None:
    with pytest.raises(ServerError) as info:
        decode_envelope(
            "traders.get", 502, {"content-type": "text/html"}, b"<html>502 Bad Gateway</html>"
        )
    assert str(info.value) == "traders.get: code HTTP 502: 502 Bad Gateway (HTTP 502)"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b'{"data": 1}', "not the envelope"),
        (b"[1]", "not the envelope"),
        (b'{"code": "00000", "data": {', "body is not JSON"),
        (b"", "body is not JSON"),
    ],
)
def test_malformed_success_body(body: bytes, reason: str) -> None:
    with pytest.raises(ResponseDecodeError, match=reason) as info:
        decode_envelope("follows.positions", 200, {}, body)
    assert "follows.positions" in str(info.value)


def test_rate_limit_carries_retry_after() -> None:
    body = httpx.Response(429, json=envelope(None, code="429", msg="Too many requests")).content
    with pytest.raises(RateLimitError) as info:
        decode_envelope("traders.list", 429, {"retry-after": "3"}, body)
    assert info.value.retry_after == 3.0
    assert "retry after 3s" in str(info.value)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2026 07:28:05 GMT"}, 5.0),
        ({"retry-after": "Wed, 21 Oct 2026 07:27:00 GMT"}, 0.0),
        ({"retry-after": "-3"}, None),  # not a delay-seconds: ignored as if absent
        ({"retry-after": "soon"}, None),
        ({"retry-after-ms": "x", "retry-after": "1"}, 1.0),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(headers, now) == expected


async def test_errors_through_the_client(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    mock_api.post(f"{PREFIX}/follow").mock(return_value=fail("80003", "Insufficient balance"))
    with pytest.raises(InsufficientBalanceError) as info:
        await client.follows.start(trader_id="1", copy_amount=10, leverage=1)
    assert str(info.value) == "follows.start: code 80003: Insufficient balance (HTTP 400)"
    assert isinstance(info.value, CopyTradeError)


@pytest.mark.parametrize("call", ["stop", "positions", "history"])
async def test_an_unknown_follow_is_follow_not_found_on_the_sandbox(call: str) -> None:
    from copytrade_async.sandbox import sandbox_client

    async with sandbox_client(seed=3, rate_limits=None) as sandbox:
        follows = sandbox.follows
        calls = {
            "stop": lambda: follows.stop("404404404"),
            "positions": lambda: follows.positions("404404404"),
            "history": lambda: sandbox.history.page("404404404"),
        }
        with pytest.raises(FollowNotFoundError) as info:
            await calls[call]()
    # The code is the string the exchange sends: a comparison with the number is False.
    assert info.value.code == "40034" and info.value.code != 40034  # type: ignore[comparison-overlap]
    assert info.value.message == "follow not found"


async def test_no_secret_in_any_error(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(
        return_value=fail("40009", "sign signature error", 401)
    )
    with pytest.raises(AuthenticationError) as info:
        await client.traders.get("1")
    sign = mock_api.calls.last.request.headers["ACCESS-SIGN"]
    for text in (str(info.value), repr(info.value)):
        assert API_SECRET not in text and PASSPHRASE not in text and sign not in text


async def test_missing_field_names_endpoint_and_field(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    broken = {k: v for k, v in FOLLOW.items() if k != "followId"}
    mock_api.post(f"{PREFIX}/follow").mock(return_value=ok(broken))
    with pytest.raises(ResponseValidationError) as info:
        await client.follows.start(trader_id="1", copy_amount=10, leverage=1)
    assert info.value.field == "followId"
    assert (
        str(info.value)
        == "follows.start: malformed response: field 'followId': required field is missing"
    )


async def test_nested_bad_value_names_the_path(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    detail = {**TRADER_DETAIL, "positions": [{**TRADER_DETAIL["positions"][0], "size": "lots"}]}
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(detail))
    with pytest.raises(ResponseValidationError) as info:
        await client.traders.get("1")
    assert info.value.field == "positions.0.size"
    assert "traders.get" in str(info.value)


async def test_transport_errors(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/positions").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as conn:
        await client.follows.positions("1")
    assert conn.value.request_sent is False
    assert not isinstance(conn.value, APITimeoutError)
    mock_api.get(f"{PREFIX}/positions").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as timeout:
        await client.follows.positions("1")
    assert timeout.value.request_sent is True
    assert "follows.positions" in str(timeout.value)


# ----- pickling ---------------------------------------------------------------------------------


def _api_error(cls: type[APIError]) -> APIError:
    error = cls(
        "traders.get",
        "80001",
        "Invalid trader",
        http_status=400,
        request_time_ms=REQUEST_TIME,
        retry_after=2.5,
    )
    error.hint = "an earlier attempt may have succeeded"
    return error


def _portfolio_error() -> CopyTradeError:
    from copytrade_async.toolkit import AllocationFailure, PortfolioError

    failure = AllocationFailure(
        trader_id="7", stage="follow", error=_api_error(InsufficientBalanceError)
    )
    return PortfolioError(failure, ("11", "12"), (("13", _api_error(ServerError)),))


#: One instance of every exception class we export, with every attribute set.
SAMPLES: dict[str, Callable[[], BaseException]] = {
    "CopyTradeError": lambda: CopyTradeError("something failed"),
    **{
        cls.__name__: (lambda cls=cls: _api_error(cls))
        for cls in (
            APIError,
            InvalidTraderError,
            InvalidFollowSettingsError,
            InsufficientBalanceError,
            CopyLimitExceededError,
            AlreadyFollowingError,
            FollowNotFoundError,
            InvalidParameterError,
            AuthenticationError,
            RateLimitError,
            ServerError,
        )
    },
    "APIConnectionError": lambda: APIConnectionError(
        "follows.start", "refused", request_sent=False
    ),
    "APITimeoutError": lambda: APITimeoutError("follows.start", "timed out", request_sent=True),
    "ResponseDecodeError": lambda: ResponseDecodeError(
        "traders.list", "body is not JSON", http_status=200
    ),
    "ResponseValidationError": lambda: ResponseValidationError(
        "traders.get", "positions.0.size", "not a decimal number"
    ),
    "ResponseTooLargeError": lambda: copytrade_async.ResponseTooLargeError(
        "history.list", limit=1024, http_status=200
    ),
    "ClientClosedError": lambda: copytrade_async.ClientClosedError("traders.get"),
    "PaginationError": lambda: copytrade_async.PaginationError("history.list", "pages repeat"),
    "RateLimitWaitError": lambda: copytrade_async.RateLimitWaitError(
        "traders.get", retry_after=1.5, limit=0.5
    ),
    "PortfolioError": _portfolio_error,
}


def _exported_exceptions() -> list[type[BaseException]]:
    from copytrade_async import toolkit

    found = []
    for module in (copytrade_async, toolkit):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                found.append(value)
    return found


def _state(error: BaseException) -> tuple[object, ...]:
    return (type(error), str(error), repr(error), error.args, _comparable(vars(error)))


def _comparable(value: object) -> object:
    """Attributes with nested exceptions compared by their own state (exceptions have no ==)."""
    if isinstance(value, BaseException):
        return _state(value)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return tuple(_comparable(v) for v in value)
    if attrs.has(type(value)):
        return _comparable(attrs.asdict(value, recurse=False))
    return value


def test_every_exported_exception_has_a_sample() -> None:
    exported = {cls.__name__ for cls in _exported_exceptions()}
    assert exported == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_exception_pickles_with_all_its_attributes(name: str) -> None:
    error = SAMPLES[name]()
    assert type(error).__name__ == name
    assert vars(error) or name == "CopyTradeError"  # the sample sets the attributes
    copy = pickle.loads(pickle.dumps(error))
    assert _state(copy) == _state(error)
    if isinstance(error, APIError):
        assert copy.request_time == error.request_time


def test_a_request_time_made_by_hand_out_of_range_is_none() -> None:
    error = APIError("x", "1", "m", http_status=400, request_time_ms=10**20)
    assert error.request_time is None
