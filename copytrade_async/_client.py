"""``AsyncCopyTradeClient``: configuration, lifecycle, resources and ``with_options``."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import attrs
import httpx

from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_BYTES,
    ClientOptions,
    Credentials,
    RequestHook,
)
from ._env import ENV_BASE_URL, credentials_from_env, demo_from_env, setup_logging
from ._http import (
    Build,
    Endpoint,
    HttpxTransport,
    RequestPipeline,
    ServerClock,
    TransportName,
    build_retry_template,
    create_transport,
)
from ._validation import check_whole
from .ratelimit import RateLimiter, RateLimits, create_rate_limiter, missing_members
from .resources import Follows, History, Traders

if TYPE_CHECKING:
    import aiohttp

    from .sandbox import SandboxClient

__all__ = ["AsyncCopyTradeClient"]

T = TypeVar("T")
_UNSET: Any = object()
DEFAULT_MAX_IN_FLIGHT = 64


class AsyncCopyTradeClient:
    """Async client for the copy-trading futures API.

    Use it as ``async with AsyncCopyTradeClient(...) as client:`` or call :meth:`aclose`.
    Credentials, ``base_url`` and ``demo`` that are not passed come from the environment
    (``COPYTRADE_API_KEY``, ``COPYTRADE_API_SECRET``, ``COPYTRADE_PASSPHRASE``,
    ``COPYTRADE_BASE_URL``, ``COPYTRADE_DEMO``; see :mod:`._env`).

    ``rate_limits`` configures the built-in in-memory limiter (``None`` turns it off);
    ``rate_limiter`` replaces it with another backend, such as one shared by a fleet.
    Pass ``http_client`` to share a pool with your web app or to inject a transport in tests:
    it is used as it is and not closed by us. Every request is signed, rate-limited (per
    endpoint group and overall), retried where it is safe, and decoded into attrs records.

    Requests go through httpx (over our own HTTP/1.1 connections, an ``AsyncioTransport``,
    under asyncio) unless ``transport="aiohttp"`` (the ``aiohttp`` extra); passing an
    ``aiohttp.ClientSession`` as ``http_client`` selects it too. Both behave the same: no
    redirects, the same errors (see :mod:`._transport`).
    """

    traders: Traders
    follows: Follows
    history: History

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        passphrase: str | None = None,
        base_url: str | None = None,
        demo: bool | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        http_client: httpx.AsyncClient | aiohttp.ClientSession | None = None,
        transport: TransportName | None = None,
        max_retries: int = 3,
        retry_after_cap: float = 60.0,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        rate_limits: RateLimits | None = _UNSET,
        rate_limiter: RateLimiter | None = None,
        max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
        locale: str = "en-US",
        on_request: RequestHook | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_rate_limit_wait: float | None = None,
    ) -> None:
        setup_logging()
        credentials = Credentials(*credentials_from_env(api_key, api_secret, passphrase))
        if base_url is None:
            base_url = os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
        options = ClientOptions(
            base_url=_check_base_url(base_url),
            timeout=timeout,
            max_retries=max_retries,
            retry_after_cap=retry_after_cap,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            locale=locale,
            demo=demo_from_env() if demo is None else demo,
            max_response_bytes=max_response_bytes,
            max_rate_limit_wait=max_rate_limit_wait,
        )
        if max_in_flight is not None:
            check_whole("max_in_flight", max_in_flight)
        if rate_limiter is not None and (missing := missing_members(rate_limiter)):
            raise TypeError(
                "rate_limiter must implement the RateLimiter protocol; "
                f"{type(rate_limiter).__name__} has no {', '.join(missing)}"
            )
        pipeline = RequestPipeline(
            credentials=credentials,
            transport=create_transport(
                transport,
                http_client,
                timeout=options.httpx_timeout,
                max_connections=max_in_flight,
            ),
            limiter=rate_limiter
            if rate_limiter is not None
            else create_rate_limiter(
                RateLimits.default() if rate_limits is _UNSET else rate_limits
            ),
            retry_template=build_retry_template(),
            clock=ServerClock(),
            max_in_flight=max_in_flight,
            on_request=on_request,
        )
        self._setup(pipeline, options)

    def _setup(self, pipeline: RequestPipeline, options: ClientOptions) -> None:
        self._pipeline = pipeline
        self._options = options
        self.traders = Traders(self._request)
        self.follows = Follows(self._request)
        self.history = History(self._request)

    @property
    def options(self) -> ClientOptions:
        return self._options

    @property
    def rate_limits(self) -> RateLimits | None:
        """The limits this client's rate limiter enforces, or None when it has none (or its
        backend does not say)."""
        return self._pipeline.limiter.limits

    @property
    def transport(self) -> TransportName:
        """Which library sends the requests: ``"httpx"`` or ``"aiohttp"``."""
        return self._pipeline.transport.name

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` requests go through (with the httpx transport only)."""
        transport = self._pipeline.transport
        if not isinstance(transport, HttpxTransport):
            raise AttributeError(
                f"this client sends through {transport.name}, not an httpx.AsyncClient"
            )
        return transport.client

    @property
    def is_closed(self) -> bool:
        return self._pipeline.closed

    def with_options(
        self,
        *,
        max_retries: int = _UNSET,
        timeout: float | httpx.Timeout | None = _UNSET,
        retry_after_cap: float = _UNSET,
        backoff_base: float = _UNSET,
        backoff_max: float = _UNSET,
        locale: str = _UNSET,
        max_rate_limit_wait: float | None = _UNSET,
        max_response_bytes: int = _UNSET,
    ) -> Self:
        """A client of the same class with other per-call options, sharing this one's pool,
        rate limiter and clock estimate (a sandbox client keeps its ``exchange``):
        ``await client.with_options(max_retries=0).follows.start(...)``. Every option that can
        differ per call is here; the rest (credentials, pool, limiter, hook) is the client's."""
        given = {
            "max_retries": max_retries,
            "timeout": timeout,
            "retry_after_cap": retry_after_cap,
            "backoff_base": backoff_base,
            "backoff_max": backoff_max,
            "locale": locale,
            "max_rate_limit_wait": max_rate_limit_wait,
            "max_response_bytes": max_response_bytes,
        }
        changes: dict[str, Any] = {k: v for k, v in given.items() if v is not _UNSET}
        clone = copy.copy(self)
        clone._setup(self._pipeline, attrs.evolve(self._options, **changes))
        return clone

    async def _request(
        self,
        endpoint: Endpoint,
        build: Build[T],
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> T:
        return await self._pipeline.request(
            endpoint, self._options, build, params=params, body=body
        )

    async def aclose(self) -> None:
        """Close the connection pool (unless it was given to us). Idempotent. Clients made by
        :meth:`with_options` share the pool, so closing any of them closes it for all."""
        await self._pipeline.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        creds = self._pipeline.credentials
        return f"{type(self).__name__}(base_url={self._options.base_url!r}, {creds!r})"

    @classmethod
    def sandbox(cls, seed: int = 0, **kwargs: Any) -> SandboxClient:
        """A client on a fresh in-process sandbox exchange: the older spelling of
        :func:`copytrade_async.sandbox.sandbox_client`, which takes the same arguments."""
        from .sandbox import sandbox_client  # on call: the core never imports the sandbox

        return sandbox_client(seed, **kwargs)


def _check_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if url.query or url.fragment:
        raise ValueError("base_url must not have a query or fragment")
    return base_url.rstrip("/")
