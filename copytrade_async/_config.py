"""Client configuration: credentials, per-call options, and the per-request event."""

from __future__ import annotations

import re
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
    "attempt_deadline",
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
            _check_credential(name, getattr(self, name))


#: What a credential may hold: printable ASCII, as it must go into an HTTP header (or an HMAC
#: key the exchange made from it), with no white space at either end.
_CREDENTIAL = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
#: A language tag (``en-US``, ``zh_CN``, ``es-419``).
_LOCALE = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}")


def _check_credential(name: str, value: object) -> None:
    """Refuse a credential that cannot be sent, naming it and never showing its value."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if not _CREDENTIAL.fullmatch(value):
        raise ValueError(
            f"{name} must be printable ASCII with no white space at either end (it holds a "
            "control character, a non-ASCII character or surrounding white space)"
        )


def _check_timeout(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, httpx.Timeout):
        check_positive("timeout", value)
        return
    for part, seconds in value.as_dict().items():
        if seconds is not None:
            check_positive(f"timeout ({part})", seconds)


def _check_optional_wait(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """None (wait however long), 0 (never wait), or a positive number of seconds."""
    if value is None or (value == 0 and type(value) in (int, float)):
        return
    check_positive(attribute.name, value)


def _check_locale(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _LOCALE.fullmatch(value):
        raise ValueError(f"locale must be a language tag such as 'en-US', got {value!r:.40}")


def _check_bool(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{attribute.name} must be True or False, got {value!r:.40}")


def _check_non_negative_int(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_whole(attribute.name, value, 0)


def _check_positive(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_positive(attribute.name, value)


def _check_whole(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_whole(attribute.name, value)


def attempt_deadline(timeout: float | httpx.Timeout | None) -> float | None:
    """The deadline of a whole attempt for the client's ``timeout``: the number itself, or the
    longest phase of an ``httpx.Timeout`` (None, no deadline, when a phase has no limit or
    ``timeout`` is None)."""
    if timeout is None:
        return None
    if not isinstance(timeout, httpx.Timeout):
        return float(timeout)
    phases = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    if any(phase is None for phase in phases):
        return None
    return max(phase for phase in phases if phase is not None)


#: The largest body read (16 MiB): a 100-record page is about 30 KB.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


@attrs.frozen
class ClientOptions:
    """What may differ between a client and its ``with_options()`` copies."""

    base_url: str = DEFAULT_BASE_URL
    #: Seconds a request may take (see the README), an ``httpx.Timeout``, or None for no limit.
    timeout: float | httpx.Timeout | None = attrs.field(default=10.0, validator=_check_timeout)
    max_retries: int = attrs.field(default=3, validator=_check_non_negative_int)
    #: A Retry-After longer than this is not waited out: RateLimitError is raised at once.
    retry_after_cap: float = attrs.field(default=60.0, validator=_check_positive)
    #: Full-jitter backoff: a wait drawn from [0, min(backoff_max, backoff_base * 2**attempt)].
    backoff_base: float = attrs.field(default=0.5, validator=_check_positive)
    backoff_max: float = attrs.field(default=8.0, validator=_check_positive)
    locale: str = attrs.field(default="en-US", validator=_check_locale)
    demo: bool = attrs.field(default=False, validator=_check_bool)
    #: How long a call may wait for the rate limiter; past it ``RateLimitWaitError``, nothing
    #: sent. None: a call waits its turn however long.
    max_rate_limit_wait: float | None = attrs.field(default=None, validator=_check_optional_wait)
    #: A body longer than this (decoded) raises ResponseTooLargeError, read no further.
    max_response_bytes: int = attrs.field(
        default=DEFAULT_MAX_RESPONSE_BYTES, validator=_check_whole
    )
    #: ``timeout`` as httpx wants it, built once rather than per request.
    httpx_timeout: httpx.Timeout = attrs.field(init=False, repr=False, eq=False)
    #: Seconds one whole attempt may take (see :func:`attempt_deadline`), None for no limit.
    attempt_deadline: float | None = attrs.field(init=False, repr=False, eq=False)
    #: The host of ``base_url`` (with its port when not the scheme's default), which errors
    #: name; never the user info, path or query.
    host: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        timeout = self.timeout
        built = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        object.__setattr__(self, "httpx_timeout", built)
        object.__setattr__(self, "attempt_deadline", attempt_deadline(timeout))
        url = httpx.URL(self.base_url)
        host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 address
        port = f":{url.port}" if url.port is not None else ""  # None: the scheme's default
        object.__setattr__(self, "host", f"{host}{port}")


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
