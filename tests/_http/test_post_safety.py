"""A follow commits money: under any sequence of faults, one call is accepted at most once."""

from __future__ import annotations

import httpx
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import AlreadyFollowingError, CopyTradeError

from ..conftest import BASE_URL, PREFIX, fail, make_client, ok
from ..payloads import FOLLOW

# What the server does with one attempt: (acts on it?, what the client then sees)
FAULTS = {
    "connect_error": False,  # never reached the server
    "503": False,
    "429": False,
    "500_after_acting": True,
    "502_after_acting": True,
    "read_timeout_after_acting": True,
    "drop_after_acting": True,
    "ok": True,
}


class FollowServer:
    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.accepted = 0
        self.attempts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        kind = self.script[min(self.attempts, len(self.script) - 1)]
        self.attempts += 1
        if kind == "connect_error":
            raise httpx.ConnectError("refused", request=request)
        if kind in ("503", "429"):
            return httpx.Response(int(kind), text="busy", headers={"Retry-After-Ms": "1"})
        if self.accepted:
            return fail("80005", "Already following")
        self.accepted += 1
        if kind == "ok":
            return ok(FOLLOW)
        if kind == "read_timeout_after_acting":
            raise httpx.ReadTimeout("slow", request=request)
        if kind == "drop_after_acting":
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return httpx.Response(int(kind[:3]), text="<html>error</html>")


async def _no_sleep(_: float) -> None:
    return None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(sorted(FAULTS)), min_size=1, max_size=6), st.integers(0, 5))
async def test_a_follow_call_is_accepted_at_most_once(script: list[str], max_retries: int) -> None:
    server = FollowServer(script)
    with respx.mock(base_url=BASE_URL) as router:
        router.post(f"{PREFIX}/follow").mock(side_effect=server)
        async with make_client(
            max_retries=max_retries,
        ) as client:
            client._pipeline._retry_template.sleep = _no_sleep  # type: ignore[assignment]
            client._pipeline.limiter.pause = _no_sleep  # type: ignore[method-assign]
            try:
                follow = await client.follows.start(trader_id="1", copy_amount=100, leverage=5)
            except AlreadyFollowingError:
                raise AssertionError("a retry reached a server that had already acted") from None
            except CopyTradeError:
                succeeded = False
            else:
                succeeded = follow.follow_id == FOLLOW["followId"]
    assert server.accepted <= 1
    # A retry happened only after attempts the server provably did not act on.
    acted = [FAULTS[server.script[min(i, len(script) - 1)]] for i in range(server.attempts)]
    assert not any(acted[:-1])
    assert server.attempts <= max_retries + 1
    if succeeded:
        assert server.accepted == 1
