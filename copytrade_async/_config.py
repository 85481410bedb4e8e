"""Client configuration: credentials, per-call options, and the per-request event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx

from ._validation import check_positive, check_whole

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "ClientOptions",
    "Credentials",
    "RequestEvent",
    "RequestHook",
]

DEFAULT_BASE_URL = "https://api.bitget.com"


def _mask(value: str) -> str:
    return f"{value[:4]}…" if len(value) > 8 else "…"


@attrs.frozen
class Credentials:
    """API credentials. Only a prefix of the key ever appears in ``repr()``."""

    api_key: str = attrs.field(repr=_mask)
    api_secret: str = attrs.field(repr=False)
    passphrase: str = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        for name in ("api_key", "api_secret", "passphrase"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
            if name != "api_secret" and not (value.isascii() and value.isprintable()):
                raise ValueError(f"{name} must be printable ASCII: it is sent as an HTTP header")


def _check_timeout(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, httpx.Timeout):
        check_positive("timeout", value)


def _check_non_negative_int(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_whole(attribute.name, value, 0)


def _check_positive(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_positive(attribute.name, value)


def _check_whole(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_whole(attribute.name, value)


#: The largest body read (16 MiB): a 100-record page is about 30 KB.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


@attrs.frozen
class ClientOptions:
    """What may differ between a client and its ``with_options()`` copies."""

    base_url: str = DEFAULT_BASE_URL
    timeout: float | httpx.Timeout = attrs.field(default=10.0, validator=_check_timeout)
    max_retries: int = attrs.field(default=3, validator=_check_non_negative_int)
    #: A Retry-After longer than this is not waited out: RateLimitError is raised at once.
    retry_after_cap: float = attrs.field(default=60.0, validator=_check_positive)
    #: Full-jitter backoff: a wait drawn from [0, min(backoff_max, backoff_base * 2**attempt)].
    backoff_base: float = attrs.field(default=0.5, validator=_check_positive)
    backoff_max: float = attrs.field(default=8.0, validator=_check_positive)
    locale: str = "en-US"
    demo: bool = False
    #: A body longer than this (decoded) raises ResponseTooLargeError, read no further.
    max_response_bytes: int = attrs.field(
        default=DEFAULT_MAX_RESPONSE_BYTES, validator=_check_whole
    )
    #: ``timeout`` as httpx wants it, built once rather than per request.
    httpx_timeout: httpx.Timeout = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        timeout = self.timeout
        built = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        object.__setattr__(self, "httpx_timeout", built)


@attrs.frozen
class RequestEvent:
    """What one logical call cost, handed to the ``on_request`` hook (for metrics)."""

    endpoint: str
    method: str
    path: str
    #: HTTP status of the last attempt; None when no response came back.
    status: int | None
    attempts: int
    elapsed: float
    rate_limit_wait: float
    #: The exchange's code of a failed call, or the error's class name; None on success.
    error: str | None = None


RequestHook = Callable[[RequestEvent], Awaitable[None] | None]
"""The ``on_request`` hook: called with a :class:`RequestEvent` after every call, failed and
cancelled ones too. It never holds the call hostage: an async hook is awaited without a shield,
so cancelling the calling task cancels it; it may take at most 1 s, then it is cancelled and
one warning is logged; for a cancelled call it gets the event but its first wait ends it. An
exception from the hook is logged and the call's result stands. Keep it quick (hand the event
to a queue); a sync hook that blocks blocks the event loop."""
