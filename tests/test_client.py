"""Client lifecycle and safety: pools, closing, repr, redirects, with_options."""

from __future__ import annotations

import httpx
import pytest
import respx

from copytrade_async import APIError, AsyncCopyTradeClient, AuthenticationError
from copytrade_async.sandbox import SandboxClient, sandbox_client

from .conftest import API_KEY, API_SECRET, BASE_URL, PASSPHRASE, PREFIX, fail, make_client, ok


async def test_aclose_is_idempotent_and_closes_our_pool() -> None:
    client = make_client()
    await client.aclose()
    await client.aclose()
    assert client.is_closed
    assert client.http_client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.follows.positions("1")


async def test_a_given_http_client_is_used_and_not_closed(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))
    async with httpx.AsyncClient(headers={"X-App": "mine"}) as http:
        async with make_client(http_client=http) as client:
            assert client.http_client is http
            await client.follows.positions("1")
        assert not http.is_closed
    assert route.calls.last.request.headers["X-App"] == "mine"


def test_secrets_stay_out_of_repr() -> None:
    client = make_client()
    text = repr(client)
    assert API_SECRET not in text and PASSPHRASE not in text and API_KEY not in text
    assert BASE_URL in text


async def test_redirects_are_not_followed(mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/positions").mock(
        return_value=httpx.Response(302, headers={"Location": "https://evil.test/steal"})
    )
    evil = respx.get("https://evil.test/steal").mock(return_value=ok([]))
    async with make_client(max_retries=0) as client:
        with pytest.raises(APIError) as info:
            await client.follows.positions("1")
    assert info.value.http_status == 302
    assert not evil.called


async def test_with_options_shares_pool_and_changes_retries(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/positions").mock(return_value=httpx.Response(502, text="bad"))
    async with make_client(max_retries=2) as client:
        quick = client.with_options(max_retries=0, timeout=1.0)
        assert quick.http_client is client.http_client
        assert quick.options.max_retries == 0 and client.options.max_retries == 2
        assert quick.options.httpx_timeout == httpx.Timeout(1.0)
        with pytest.raises(APIError):
            await quick.follows.positions("1")
        assert route.call_count == 1
    assert quick.is_closed


async def test_with_options_keeps_the_class_and_a_sandbox_its_exchange() -> None:
    async with sandbox_client(seed=1, rate_limits=None) as client:
        other = client.with_options(max_retries=0, backoff_base=0.01, backoff_max=0.02)
        assert type(other) is SandboxClient
        assert other.exchange is client.exchange
        assert (other.options.backoff_base, other.options.backoff_max) == (0.01, 0.02)
        assert (client.options.backoff_base, client.options.backoff_max) == (0.5, 8.0)
        assert (await other.traders.page(page_size=1)).items


async def test_backoff_can_differ_per_call(mock_api: respx.MockRouter) -> None:
    mock_api.get(f"{PREFIX}/positions").mock(return_value=httpx.Response(502, text="bad"))
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async with make_client(max_retries=3, backoff_base=5, backoff_max=60) as client:
        client._pipeline._retry_template.sleep = record  # type: ignore[assignment]
        with pytest.raises(APIError):
            await client.with_options(backoff_base=0.001, backoff_max=0.002).follows.positions("1")
    assert len(waits) == 3
    assert all(0 <= wait <= 0.002 for wait in waits)


async def test_hook_reports_each_call(mock_api: respx.MockRouter) -> None:
    events = []
    mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=fail("40009", "sign error", 401))
    async with make_client(on_request=events.append, max_retries=0) as client:
        await client.follows.positions("1")
        with pytest.raises(AuthenticationError):
            await client.traders.get("1")
    ok_event, failed = events
    assert (ok_event.endpoint, ok_event.status, ok_event.attempts, ok_event.error) == (
        "follows.positions",
        200,
        1,
        None,
    )
    assert (failed.endpoint, failed.status, failed.error) == ("traders.get", 401, "40009")
    assert ok_event.elapsed >= 0 and ok_event.rate_limit_wait == 0


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"retry_after_cap": 0}, "retry_after_cap"),
    ],
)
def test_bad_configuration(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        make_client(**kwargs)


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="api_secret"):
        AsyncCopyTradeClient(api_key="k", api_secret="", passphrase="p")


async def test_a_given_rate_limiter_is_used(mock_api: respx.MockRouter) -> None:
    class Recording:
        def __init__(self) -> None:
            self.acquired: list[str] = []
            self.paused: list[float] = []
            self.closed = False

        limits = None

        def expected_wait(self, group: str) -> float:
            return 0.0

        async def acquire(self, group: str) -> float:
            self.acquired.append(group)
            return 0.0

        async def pause(self, seconds: float) -> None:
            self.paused.append(seconds)

        async def aclose(self) -> None:
            self.closed = True

    limiter = Recording()
    mock_api.get(f"{PREFIX}/positions").mock(
        side_effect=[httpx.Response(429, text="", headers={"Retry-After": "0"}), ok([])]
    )
    async with make_client(rate_limiter=limiter) as client:
        await client.follows.positions("1")
    assert limiter.acquired == ["copytrading", "copytrading"]
    assert limiter.paused == [0.0]
    assert limiter.closed


def test_a_rate_limiter_missing_a_member_is_refused_when_the_client_is_made() -> None:
    class Partial:
        async def acquire(self, group: str) -> float:
            return 0.0

        async def pause(self, seconds: float) -> None: ...

        async def aclose(self) -> None: ...

    with pytest.raises(TypeError, match="Partial has no limits, expected_wait"):
        make_client(rate_limiter=Partial())


async def test_rate_limits_are_visible() -> None:
    from copytrade_async import RateLimit, RateLimits

    limits = RateLimits(groups={"copytrading": RateLimit.per_second(5)}, global_limit=None)
    async with make_client(rate_limits=limits) as client:
        assert client.rate_limits == limits
    async with make_client(rate_limits=None) as client:
        assert client.rate_limits is None
    async with AsyncCopyTradeClient(api_key="k", api_secret="s", passphrase="p") as client:
        assert client.rate_limits == RateLimits.default()


async def test_closing_while_a_task_waits_for_the_limiter(mock_api: respx.MockRouter) -> None:
    import anyio

    from copytrade_async import RateLimit, RateLimits

    mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))
    limits = RateLimits(groups={"copytrading": RateLimit.per_second(1)}, global_limit=None)
    errors: list[BaseException] = []
    client = make_client(rate_limits=limits)
    await client.follows.positions("1")  # takes the only token

    async def waiting() -> None:
        try:
            await client.follows.positions("2")
        except BaseException as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiting)
        await anyio.sleep(0.05)
        await client.aclose()
    [error] = errors
    assert isinstance(error, RuntimeError)
    assert "closed" in str(error)
