"""A stateful, deterministic simulation of the copy-trading exchange, behind the same HTTP API.

::

    from copytrade_async.sandbox import SandboxExchange, create_app

    exchange = SandboxExchange()          # seeded traders, a funded default account
    app = create_app(exchange)            # an ASGI 3 app: httpx.ASGITransport(app=app)
    exchange.advance(3600)                # one simulated hour: markets move, traders trade

``sandbox_client(seed=7)`` gives an :class:`~copytrade_async.AsyncCopyTradeClient` wired to a
fresh in-process exchange (``client.exchange``). Every exchange opens a live account
(:data:`LIVE_CREDENTIALS`, also :data:`SANDBOX_API_KEY`, :data:`SANDBOX_API_SECRET` and
:data:`SANDBOX_PASSPHRASE`) and a demo one (:data:`DEMO_CREDENTIALS`), whose requests must carry
``paptrading: 1``: ``sandbox_client(account="demo")`` signs with it.
:class:`Faults` injects latency and failures; :func:`serve` and :class:`SandboxServer` run the
app under uvicorn. Time comes from the exchange's clock: a :class:`ManualClock` (the default;
it moves with ``advance``), a :class:`ScaledClock` (``speed`` simulated seconds per real second)
or the :class:`WallClock`.
"""

from __future__ import annotations

from ._accounts import AccountView, FollowView
from ._app import SandboxApp, SandboxConnectionDropped, create_app
from ._client import SandboxClient, sandbox_client
from ._clock import AdvancingClock, ManualClock, SandboxClock, ScaledClock, WallClock
from ._config import (
    DEMO_CREDENTIALS,
    LIVE_CREDENTIALS,
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_PASSPHRASE,
    SandboxConfig,
    SandboxCredentials,
)
from ._errors import SandboxError
from ._exchange import SandboxExchange
from ._faults import Faults
from ._server import SandboxServer, serve
from ._stats import SandboxStats

__all__ = [
    "DEMO_CREDENTIALS",
    "LIVE_CREDENTIALS",
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "SANDBOX_PASSPHRASE",
    "AccountView",
    "AdvancingClock",
    "Faults",
    "FollowView",
    "ManualClock",
    "SandboxApp",
    "SandboxClient",
    "SandboxClock",
    "SandboxConfig",
    "SandboxConnectionDropped",
    "SandboxCredentials",
    "SandboxError",
    "SandboxExchange",
    "SandboxServer",
    "SandboxStats",
    "ScaledClock",
    "WallClock",
    "create_app",
    "sandbox_client",
    "serve",
]
