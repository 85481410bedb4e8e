"""The state the root options set up, and how a command gets its client and runs.

Each command runs one coroutine with :meth:`CliState.run`, which builds the client in an
``async with`` and closes it afterwards. With ``--sandbox`` the client talks to an in-process
:class:`~copytrade_async.sandbox.SandboxExchange`, as its live account (its demo account with
``--demo``): a fresh seeded one per invocation, unless
``CliState.exchange`` holds one already. Tests and embedding programs pass
``obj=CliState(exchange=...)`` to keep one simulated exchange across invocations (start a
follow in one, stop it in the next).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from .. import COPYTRADING_GROUP, DEFAULT_BASE_URL, AsyncCopyTradeClient, RateLimit, RateLimits
from ._errors import CliError

if TYPE_CHECKING:
    from ..sandbox import SandboxExchange

__all__ = [
    "ENV_API_KEY",
    "ENV_API_SECRET",
    "ENV_BASE_URL",
    "ENV_DEMO",
    "ENV_PASSPHRASE",
    "CliState",
    "json_option",
    "pass_state",
]

ENV_API_KEY = "COPYTRADE_API_KEY"
ENV_API_SECRET = "COPYTRADE_API_SECRET"
ENV_PASSPHRASE = "COPYTRADE_PASSPHRASE"
ENV_BASE_URL = "COPYTRADE_BASE_URL"
ENV_DEMO = "COPYTRADE_DEMO"

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@attrs.define
class CliState:
    """What the root options chose, shared by every command of one invocation."""

    sandbox: bool = False
    seed: int = 0
    base_url: str = DEFAULT_BASE_URL
    demo: bool = False
    json: bool = False
    timeout: float = 10.0
    max_retries: int = 3
    #: The sandbox exchange ``--sandbox`` uses; None builds a fresh one seeded with ``seed``.
    exchange: SandboxExchange | None = None

    def client(self) -> AsyncCopyTradeClient:
        """A new client: on the sandbox, or on the exchange with the environment's keys."""
        options: dict[str, Any] = {"timeout": self.timeout, "max_retries": self.max_retries}
        if self.sandbox or self.exchange is not None:
            from ..sandbox import SandboxConfig, SandboxExchange

            exchange = self.exchange or SandboxExchange(SandboxConfig(seed=self.seed))
            rate = exchange.config.rate_limit
            # The client keeps to the simulated exchange's own limit (none when it has none).
            limits = (
                None
                if rate is None
                else RateLimits(
                    groups={COPYTRADING_GROUP: RateLimit.per_second(rate)}, global_limit=None
                )
            )
            account = "demo" if self.demo else "live"
            return AsyncCopyTradeClient.sandbox(
                exchange=exchange, account=account, rate_limits=limits, **options
            )
        env = {
            name: os.environ.get(name, "") for name in (ENV_API_KEY, ENV_API_SECRET, ENV_PASSPHRASE)
        }
        missing = [name for name, value in env.items() if not value]
        if missing:
            raise CliError(
                f"missing credentials: set {', '.join(missing)} (or use --sandbox to try the"
                " simulated exchange)"
            )
        return AsyncCopyTradeClient(
            api_key=env[ENV_API_KEY],
            api_secret=env[ENV_API_SECRET],
            passphrase=env[ENV_PASSPHRASE],
            base_url=self.base_url,
            demo=self.demo,
            **options,
        )

    def run(self, body: Callable[[AsyncCopyTradeClient], Awaitable[T]]) -> T:
        """Run ``body`` with a fresh client, in an event loop of its own."""

        async def main() -> T:
            async with self.client() as client:
                return await body(client)

        return asyncio.run(main())


pass_state = click.make_pass_decorator(CliState, ensure=True)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(CliState).json = True


def json_option(command: F) -> F:
    """``--json`` on a command, the same as the global ``copytrade --json``."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=_set_json,
        help="Print JSON (Decimals as strings, times as ISO 8601 UTC) instead of a table.",
    )(command)
