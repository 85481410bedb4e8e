"""Retry rules, table-driven over respx: what is retried, how often, and how long we wait."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import respx

from copytrade_async import (
    AlreadyFollowingError,
    APIConnectionError,
    APIError,
    AsyncCopyTradeClient,
    RateLimitError,
)

from ..conftest import API_SECRET, PASSPHRASE, PREFIX, fail, make_client, ok
from ..payloads import FOLLOW, STOPPED, TRADER_DETAIL

Reply = httpx.Response | Exception


def call_for(name: str) -> Callable[[AsyncCopyTradeClient], Any]:
    return {
        "get": lambda c: c.traders.get("1"),
        "follow": lambda c: c.follows.start(trader_id="1", copy_amount=10, leverage=2),
        "stop": lambda c: c.follows.stop("1"),
        "update": lambda c: c.follows.update("1", take_profit=50),
    }[name]


ROUTES = {
    "get": ("GET", "/trader/detail", TRADER_DETAIL),
    "follow": ("POST", "/follow", FOLLOW),
    "stop": ("POST", "/stop", STOPPED),
    "update": ("POST", "/updateSettings", {**FOLLOW, "takeProfit": "50"}),
}


@pytest.fixture
async def retrying_client(mock_api: respx.MockRouter) -> AsyncIterator[AsyncCopyTradeClient]:
    async with make_client(
        max_retries=3,
    ) as client:
        yield client


@pytest.fixture
def sleeps(retrying_client: AsyncCopyTradeClient) -> list[float]:
    """Record retry waits instead of sleeping them."""
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    retrying_client._pipeline._retry_template.sleep = fake_sleep  # type: ignore[assignment]
    # The shared 429 pause is the limiter's business (tested with it); here it must not sleep.
    retrying_client._pipeline.limiter.pause = fake_sleep  # type: ignore[method-assign]
    return recorded


def s502() -> httpx.Response:
    return httpx.Response(502, text="<html>502 Bad Gateway</html>")


# (endpoint, first failure, retried?)
RULES: list[tuple[str, Callable[[], Reply], bool]] = [
    ("get", lambda: httpx.ConnectError("refused"), True),
    ("get", lambda: httpx.ReadTimeout("slow"), True),
    ("get", lambda: httpx.ConnectTimeout("slow"), True),
    ("get", lambda: httpx.RemoteProtocolError("dropped"), True),
    ("get", lambda: httpx.Response(429, text="busy"), True),
    ("get", lambda: httpx.Response(500, text="x"), True),
    ("get", s502, True),
    ("get", lambda: httpx.Response(503, text="x"), True),
    ("get", lambda: httpx.Response(504, text="x"), True),
    ("get", lambda: fail("429", "too many requests", 200), True),
    ("get", lambda: fail("40015", "System is abnormal, please try again later"), True),
    ("get", lambda: fail("40200", "server upgrade, please try again later"), True),
    # Not transient: no source says to try again (see TRANSIENT_CODES).
    ("get", lambda: fail("40010", "sign signature error"), False),
    ("get", lambda: fail("45001", "Unknown error"), False),
    ("get", lambda: fail("40725", "service return an error"), False),
    ("get", lambda: fail("40808", "Parameter verification exception"), False),
    ("get", lambda: httpx.Response(200, text="{trunc"), True),
    ("get", lambda: fail("80001", "Invalid trader"), False),
    ("get", lambda: fail("40009", "sign error", 401), False),
    ("get", lambda: httpx.Response(404, text="no"), False),
    ("stop", s502, True),
    ("stop", lambda: httpx.ReadTimeout("slow"), True),
    ("update", lambda: httpx.Response(500, text="x"), True),
    ("update", lambda: fail("40015", "System is abnormal, please try again later"), True),
    ("stop", lambda: fail("40200", "server upgrade, please try again later"), True),
    # follow moves money: only where the server provably did not act.
    ("follow", lambda: httpx.ConnectError("refused"), True),
    ("follow", lambda: httpx.ConnectTimeout("no connection"), True),
    ("follow", lambda: httpx.Response(429, text="busy"), True),
    ("follow", lambda: fail("429", "too many requests", 429), True),
    ("follow", lambda: httpx.Response(503, text="down"), True),
    ("follow", lambda: httpx.ReadTimeout("slow"), False),
    ("follow", lambda: httpx.WriteTimeout("slow"), False),
    ("follow", lambda: httpx.RemoteProtocolError("dropped"), False),
    ("follow", lambda: httpx.Response(500, text="x"), False),
    ("follow", s502, False),
    ("follow", lambda: httpx.Response(504, text="x"), False),
    ("follow", lambda: fail("40015", "System is abnormal, please try again later"), False),
    ("follow", lambda: fail("40200", "server upgrade, please try again later"), False),
    ("follow", lambda: httpx.Response(200, text="{trunc"), False),
]


@pytest.mark.parametrize(("name", "failure", "retried"), RULES)
async def test_retry_rules(
    retrying_client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    sleeps: list[float],
    name: str,
    failure: Callable[[], Reply],
    retried: bool,
) -> None:
    method, path, data = ROUTES[name]
    route = mock_api.route(method=method, path=f"{PREFIX}{path}").mock(
        side_effect=[failure(), ok(data)]
    )
    if retried:
        await call_for(name)(retrying_client)
        assert route.call_count == 2
        assert len(sleeps) >= 1
    else:
        with pytest.raises((APIError, APIConnectionError, Exception)):
            await call_for(name)(retrying_client)
        assert route.call_count == 1
        assert sleeps == []


async def test_a_parameter_verification_error_is_raised_at_once(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    """40808 is the exchange refusing a parameter (ccxt's table holds a real one, "size
    checkBDScale error"): asking again gives the same answer."""
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(
        return_value=fail("40808", "Parameter verification exception size checkBDScale error")
    )
    with pytest.raises(APIError) as info:
        await retrying_client.traders.get("1")
    assert info.value.code == "40808"
    assert route.call_count == 1
    assert sleeps == []


# (code, message, requests sent): with max_retries=3, a transient code is asked four times
# with a backoff wait before each retry; a refused parameter once.
TRANSIENT_OR_NOT = [
    ("40200", "server upgrade, please try again later", 4),
    ("40015", "System is abnormal, please try again later", 4),
    ("40808", "Parameter verification exception", 1),
]


@pytest.mark.parametrize(("code", "message", "sent"), TRANSIENT_OR_NOT)
async def test_maintenance_is_retried_with_backoff_and_a_refused_parameter_is_not(
    retrying_client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    sleeps: list[float],
    code: str,
    message: str,
    sent: int,
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=fail(code, message))
    with pytest.raises(APIError) as info:
        await retrying_client.traders.get("1")
    assert info.value.code == code
    assert route.call_count == sent
    assert len(sleeps) == sent - 1
    # Full jitter: the wait before retry n is drawn from [0, min(8, 0.5 * 2**n)].
    for attempt, wait in enumerate(sleeps, start=1):
        assert 0 <= wait <= min(8.0, 0.5 * 2**attempt)


async def test_a_sandbox_in_maintenance_is_retried_until_it_is_back() -> None:
    """The sandbox answers 40200 to every request: the call is sent 1 + max_retries times and
    raises the exchange's refusal; once the upgrade is over, calls go through at once."""
    from copytrade_async.sandbox import Faults, SandboxConfig

    config = SandboxConfig(seed=2, rate_limit=None)
    async with AsyncCopyTradeClient.sandbox(config=config, rate_limits=None, max_retries=2) as c:
        c._pipeline._retry_template.sleep = _no_sleep  # type: ignore[assignment]
        c.exchange.faults = Faults(maintenance_rate=1.0)
        with pytest.raises(APIError) as info:
            await c.traders.page(page_size=5)
        assert (info.value.code, info.value.http_status) == ("40200", 400)
        assert c.exchange.stats.total == 3
        c.exchange.faults = Faults()
        assert len((await c.traders.page(page_size=5)).items) == 5
        assert c.exchange.stats.total == 4


async def test_gives_up_after_max_retries(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=s502())
    with pytest.raises(APIError) as info:
        await retrying_client.traders.get("1")
    assert info.value.http_status == 502
    assert route.call_count == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= 8 for s in sleeps)


async def test_max_retries_per_call(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=s502())
    with pytest.raises(APIError):
        await retrying_client.with_options(max_retries=1).traders.get("1")
    assert route.call_count == 2


async def test_backoff_is_exponential_with_full_jitter(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=s502())
    client = retrying_client.with_options(max_retries=6)
    for _ in range(30):
        with pytest.raises(APIError):
            await client.traders.get("1")
    by_attempt = [sleeps[i::6] for i in range(6)]
    # Full jitter: each wait is drawn from [0, min(8, 0.5 * 2**attempt)].
    for attempt, waits in enumerate(by_attempt, start=1):
        assert all(0 <= w <= min(8.0, 0.5 * 2**attempt) for w in waits)
    assert len(set(sleeps)) > 100  # jittered, not a fixed schedule
    assert max(by_attempt[5]) > max(by_attempt[0])


RETRY_AFTER = [
    ({"Retry-After": "2"}, 2.0),
    ({"Retry-After": "0.25"}, 0.25),
    ({"Retry-After-Ms": "1500"}, 1.5),
    ({"retry-after-ms": "40", "Retry-After": "9"}, 0.04),
]


@pytest.mark.parametrize(("headers", "wait"), RETRY_AFTER)
@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_waited_exactly(
    retrying_client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    sleeps: list[float],
    headers: dict[str, str],
    wait: float,
    status: int,
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(
        side_effect=[httpx.Response(status, text="busy", headers=headers), ok(TRADER_DETAIL)]
    )
    await retrying_client.traders.get("1")
    assert route.call_count == 2
    # The retry waits exactly the Retry-After; a 429 also pauses the shared limiter for it.
    assert sleeps[-1] == pytest.approx(wait)
    assert sleeps == [pytest.approx(wait)] * len(sleeps)


async def test_retry_after_as_http_date(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=4), usegmt=True)
    mock_api.get(f"{PREFIX}/trader/detail").mock(
        side_effect=[httpx.Response(429, text="", headers={"Retry-After": when}), ok(TRADER_DETAIL)]
    )
    await retrying_client.traders.get("1")
    assert 2.5 <= sleeps[-1] <= 4.0


@pytest.mark.parametrize("headers", [{"Retry-After": "61"}, {"Retry-After-Ms": "90000"}])
async def test_retry_after_over_the_cap_raises_at_once(
    retrying_client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    sleeps: list[float],
    headers: dict[str, str],
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(
        return_value=httpx.Response(
            429, json={"code": "429", "msg": "Too many requests"}, headers=headers
        )
    )
    with pytest.raises(RateLimitError) as info:
        await retrying_client.traders.get("1")
    assert info.value.retry_after is not None and info.value.retry_after > 60
    assert route.call_count == 1
    assert sleeps == []


async def test_cap_is_configurable(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(
        side_effect=[httpx.Response(429, text="", headers={"Retry-After": "5"}), ok(TRADER_DETAIL)]
    )
    with pytest.raises(RateLimitError):
        await retrying_client.with_options(retry_after_cap=1).traders.get("1")


async def test_already_following_after_a_retry_says_an_earlier_attempt_may_have_won(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter, sleeps: list[float]
) -> None:
    mock_api.post(f"{PREFIX}/follow").mock(
        side_effect=[httpx.Response(503, text="busy"), fail("80005", "Already following")]
    )
    with pytest.raises(AlreadyFollowingError) as info:
        await call_for("follow")(retrying_client)
    assert "earlier attempt may have succeeded" in str(info.value)


async def test_already_following_on_first_attempt_has_no_hint(
    retrying_client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    mock_api.post(f"{PREFIX}/follow").mock(return_value=fail("80005", "Already following"))
    with pytest.raises(AlreadyFollowingError) as info:
        await call_for("follow")(retrying_client)
    assert info.value.hint is None


async def test_one_log_line_per_retry_without_secrets(
    retrying_client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=[s502(), s502(), ok(TRADER_DETAIL)])
    with caplog.at_level(logging.INFO, logger="copytrade_async"):
        await retrying_client.traders.get("1")
    lines = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(lines) == 2
    assert "traders.get" in lines[0] and "attempt 1" in lines[0] and "waiting" in lines[0]
    sign = mock_api.calls.last.request.headers["ACCESS-SIGN"]
    for record in caplog.records:
        text = record.getMessage()
        assert API_SECRET not in text and PASSPHRASE not in text and sign not in text


async def test_hook_counts_attempts(mock_api: respx.MockRouter) -> None:
    events: list[Any] = []

    async def hook(event: Any) -> None:
        events.append(event)

    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=[s502(), ok(TRADER_DETAIL)])
    async with make_client(
        on_request=hook,
    ) as client:
        client._pipeline._retry_template.sleep = _no_sleep  # type: ignore[assignment]
        await client.traders.get("1")
    [event] = events
    assert (event.attempts, event.status, event.error) == (2, 200, None)


async def _no_sleep(_: float) -> None:
    return None


async def test_backoff_is_configurable(mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=s502())
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)

    async with make_client(
        max_retries=5,
        backoff_base=0.01,
        backoff_max=0.02,
    ) as client:
        client._pipeline._retry_template.sleep = record  # type: ignore[assignment]
        with pytest.raises(APIError):
            await client.traders.get("1")
    assert len(recorded) == 5
    assert all(0 <= wait <= 0.02 for wait in recorded)
