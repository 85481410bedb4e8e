"""The ``on_request`` hook never holds a call hostage (issue 13.6): cancelling the calling task
cancels a hook that blocks, and a slow hook is abandoned after ``hook_timeout`` with one
warning; a hook that does not block still sees every call, a cancelled one too."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx
import pytest
import respx

from copytrade_async import RequestEvent

from ..conftest import PREFIX, make_client, ok

T = TypeVar("T")


async def blocking_hook(event: RequestEvent) -> None:
    await anyio.sleep_forever()


@pytest.fixture
def positions(mock_api: respx.MockRouter) -> respx.Route:
    return mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))


async def time_to_cancel(
    call: Callable[[], Awaitable[object]], ready: anyio.Event, how: str
) -> float:
    """Start ``call``, wait for ``ready``, cancel it (``how``: an anyio cancel scope or
    ``task.cancel()``) and return how long it took to end; fail after 3 s."""
    elapsed: list[float] = []

    async def by_scope() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await ready.wait()
            started = time.monotonic()
            tg.cancel_scope.cancel()
        elapsed.append(time.monotonic() - started)

    async def by_task() -> None:
        task = asyncio.ensure_future(call())
        await ready.wait()
        started = time.monotonic()
        task.cancel()
        await asyncio.wait([task])
        assert task.cancelled()
        elapsed.append(time.monotonic() - started)

    await within(3, by_scope() if how == "scope" else by_task())
    return elapsed[0]


async def within(seconds: float, work: Awaitable[T]) -> T:
    """``await work``, failing (not hanging) when it is not done within ``seconds``: a hook
    held hostage under a shield ignores anyio's cancellation, so it is freed natively."""
    runner = asyncio.ensure_future(work)
    await asyncio.wait([runner], timeout=seconds)
    if not runner.done():
        while not runner.done():
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            await asyncio.sleep(0.01)
        pytest.fail(f"still pending after {seconds} s")
    return runner.result()


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancelling_a_call_stuck_in_its_hook(positions: respx.Route, how: str) -> None:
    """The call is done and its hook blocks: cancelling the task ends it at once (it stayed
    pending when the hook ran shielded)."""
    in_hook = anyio.Event()

    async def hook(event: RequestEvent) -> None:
        in_hook.set()
        await anyio.sleep_forever()

    async with make_client(on_request=hook) as client:
        elapsed = await time_to_cancel(lambda: client.follows.positions("1"), in_hook, how)
    assert elapsed < 0.5


@pytest.mark.parametrize("how", ["scope", "task"])
async def test_cancelling_mid_request_with_a_blocking_hook(
    mock_api: respx.MockRouter, how: str
) -> None:
    """Cancelled while waiting for the server: the hook is handed the event, but its first
    wait is cancelled at once."""
    arrived = anyio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        arrived.set()
        await anyio.sleep(10)
        return ok([])

    mock_api.get(f"{PREFIX}/positions").mock(side_effect=slow)
    seen: list[RequestEvent] = []

    async def hook(event: RequestEvent) -> None:
        seen.append(event)
        await anyio.sleep_forever()

    async with make_client(on_request=hook) as client:
        elapsed = await time_to_cancel(lambda: client.follows.positions("1"), arrived, how)
    assert elapsed < 0.5
    assert [event.error for event in seen] == ["CancelledError"]


async def test_a_slow_hook_is_abandoned_with_one_warning(
    positions: respx.Route, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(on_request=blocking_hook) as client:
        client._pipeline.hook_timeout = 0.2
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="copytrade_async"):
            assert await within(3, client.follows.positions("1")) == []
        assert time.monotonic() - started < 1.0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "follows.positions" in warnings[0].getMessage()
    assert "0.2" in warnings[0].getMessage()


async def test_the_hook_bound_defaults_to_one_second(positions: respx.Route) -> None:
    async with make_client() as client:
        assert client._pipeline.hook_timeout == 1.0


async def test_a_quick_async_hook_runs_to_the_end(positions: respx.Route) -> None:
    done: list[Any] = []

    async def hook(event: RequestEvent) -> None:
        await anyio.sleep(0.01)
        done.append(event.endpoint)

    async with make_client(on_request=hook) as client:
        await client.follows.positions("1")
    assert done == ["follows.positions"]


async def test_a_failing_hook_is_logged_and_the_call_stands(
    positions: respx.Route, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(event: RequestEvent) -> None:
        raise ValueError("metrics backend down")

    async with make_client(on_request=hook) as client:
        with caplog.at_level(logging.ERROR, logger="copytrade_async"):
            assert await client.follows.positions("1") == []
    assert "on_request hook failed" in caplog.records[0].getMessage()
