"""The sandbox's configuration and its default credentials."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "SANDBOX_PASSPHRASE",
    "SandboxConfig",
    "SandboxCredentials",
]

#: The default account's credentials. They only ever open the sandbox.
SANDBOX_API_KEY = "sandbox-api-key"
SANDBOX_API_SECRET = "sandbox-api-secret-not-a-real-secret"
SANDBOX_PASSPHRASE = "sandbox-passphrase"


@attrs.frozen
class SandboxCredentials:
    """An API key, its secret and its passphrase."""

    api_key: str
    api_secret: str = attrs.field(repr=False)
    passphrase: str = attrs.field(repr=False)


def _to_decimal(value: Decimal | int | str) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _check_share(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < 1:
        raise ValueError(f"{attribute.name} must be in [0, 1), got {value!r}")


def _trader_ids(value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise ValueError("trader_ids must be a sequence of ids, not one string")
    ids = tuple(value)
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError("trader_ids must be non-empty strings, at least one")
    if len(set(ids)) != len(ids):
        raise ValueError("trader_ids must not repeat")
    return ids


def _optional_at_least(low: float) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
        if value is not None and not value >= low:
            raise ValueError(f"{attribute.name} must be at least {low} or None, got {value!r}")

    return check


@attrs.frozen
class SandboxConfig:
    """How the simulated exchange is built and how strict it is.

    ``rate_limit`` is in requests per second per API key (``None`` turns the limiter off);
    ``rate_burst`` is the bucket size, one second's worth of requests when ``None``.
    ``timestamp_tolerance_ms`` is how far a request's ``ACCESS-TIMESTAMP`` may be from the
    server's clock (``None`` turns the check off, for clients signing with real time against a
    clock that was advanced). ``trader_ids``, when given, names the traders (one per id, in id
    order, replacing ``traders``): ids that need percent-encoding test a bot's signing.
    ``open_orders_in_history`` makes the history endpoint list a follow's open copies too, as
    orders with ``status: "open"``, ``exitPrice: ""``, ``closeTime: null`` and the unrealised
    PnL at the mark as ``profit`` (the exchange's history may do so; the spec does not say).
    """

    seed: int = 0
    traders: int = attrs.field(default=200, validator=attrs.validators.ge(1))
    inactive_share: float = attrs.field(default=0.1, validator=_check_share)
    deposit: Decimal = attrs.field(
        default=Decimal("100000"), converter=_to_decimal, validator=attrs.validators.ge(Decimal(0))
    )
    max_follows: int = attrs.field(default=50, validator=attrs.validators.ge(1))
    tick_seconds: float = attrs.field(default=5.0, validator=attrs.validators.ge(0.001))
    rate_limit: float | None = attrs.field(default=5.0, validator=_optional_at_least(1e-6))
    rate_burst: int | None = attrs.field(default=None, validator=_optional_at_least(1))
    timestamp_tolerance_ms: int | None = attrs.field(
        default=30_000, validator=_optional_at_least(0)
    )
    trader_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_trader_ids)
    open_orders_in_history: bool = False

    @property
    def burst(self) -> int:
        """The token bucket's size: ``rate_burst``, or one second's worth of requests."""
        if self.rate_burst is not None:
            return self.rate_burst
        return max(1, math.ceil(self.rate_limit or 1))

    @property
    def trader_count(self) -> int:
        """How many traders there are: one per ``trader_ids``, else ``traders``."""
        return self.traders if self.trader_ids is None else len(self.trader_ids)

    @property
    def tick_ms(self) -> int:
        return max(1, round(self.tick_seconds * 1000))
