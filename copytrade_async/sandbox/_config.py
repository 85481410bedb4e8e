"""The sandbox's configuration and its default credentials.

Every sandbox opens two funded accounts, as the exchange keeps two environments: a live one
(:data:`LIVE_CREDENTIALS`, the default) and a demo (paper trading) one
(:data:`DEMO_CREDENTIALS`), whose requests must carry the header ``paptrading: 1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from .. import to_decimal

__all__ = [
    "DEMO_CREDENTIALS",
    "LIVE_CREDENTIALS",
    "MAX_ADVANCE_SECONDS",
    "MAX_ADVANCE_TICKS",
    "MAX_RETENTION_DAYS",
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "SANDBOX_PASSPHRASE",
    "SandboxConfig",
    "SandboxCredentials",
    "to_deposit",
]


@attrs.frozen
class SandboxCredentials:
    """An API key, its secret and its passphrase, and whether the key is a demo (paper
    trading) key, whose requests carry ``paptrading: 1``, or a live one."""

    api_key: str
    api_secret: str = attrs.field(repr=False)
    passphrase: str = attrs.field(repr=False)
    demo: bool = False


#: The default live account's credentials. They only ever open the sandbox.
LIVE_CREDENTIALS = SandboxCredentials(
    "sandbox-api-key", "sandbox-api-secret-not-a-real-secret", "sandbox-passphrase"
)
#: The default demo account's credentials: its requests must carry ``paptrading: 1``.
DEMO_CREDENTIALS = SandboxCredentials(
    "sandbox-demo-api-key",
    "sandbox-demo-api-secret-not-a-real-secret",
    "sandbox-demo-passphrase",
    demo=True,
)
#: The most simulated time one :meth:`SandboxExchange.advance` covers: two days.
MAX_ADVANCE_SECONDS = 2 * 86_400.0
#: The most ticks one advance steps through: two days of the default 5 s tick. The default
#: sandbox (200 traders) with two accounts of fifty follows each steps them in about 1.2 s;
#: the time grows with the traders and the follows holding positions.
MAX_ADVANCE_TICKS = 34_560

#: The live account's key, secret and passphrase, one by one (as ``LIVE_CREDENTIALS``).
SANDBOX_API_KEY = LIVE_CREDENTIALS.api_key
SANDBOX_API_SECRET = LIVE_CREDENTIALS.api_secret
SANDBOX_PASSPHRASE = LIVE_CREDENTIALS.passphrase


def to_deposit(value: Decimal | int | str) -> Decimal:
    """A deposit as a Decimal, by the client's own rule for money (:func:`to_decimal`: floats
    refused), and at least 0."""
    amount = to_decimal("deposit", value)
    if amount < 0:
        raise ValueError(f"deposit must be at least 0, got {amount}")
    return amount


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
        if value is not None and not (value >= low and math.isfinite(value)):
            raise ValueError(
                f"{attribute.name} must be a finite number at least {low}, or None; got {value!r}"
            )

    return check


#: The longest ``history_retention_days``: a hundred years, beyond any test's horizon.
MAX_RETENTION_DAYS = 36_500


def _retention_days(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{attribute.name} must be a number of days or None, got {value!r}")
    if not (math.isfinite(value) and 0 < value <= MAX_RETENTION_DAYS):
        raise ValueError(
            f"{attribute.name} must be above 0 and at most {MAX_RETENTION_DAYS} days, or None;"
            f" got {value!r}"
        )


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
    ``history_retention_days`` makes the sandbox forget, as the exchange does (Bitget's
    follower history looks back three months at most): a trade that closed longer ago than
    that, by the sandbox's clock, is no longer listed by the history endpoint nor counted in
    its ``totalNum``/``totalPage``. ``None`` (the default) keeps every trade; otherwise a
    finite number of days above 0 (fractions allowed), at most 36,500.
    """

    seed: int = 0
    traders: int = attrs.field(default=200, validator=attrs.validators.ge(1))
    inactive_share: float = attrs.field(default=0.1, validator=_check_share)
    deposit: Decimal = attrs.field(default=Decimal("100000"), converter=to_deposit)
    max_follows: int = attrs.field(default=50, validator=attrs.validators.ge(1))
    tick_seconds: float = attrs.field(
        default=5.0, validator=[attrs.validators.ge(0.001), attrs.validators.le(86_400)]
    )
    rate_limit: float | None = attrs.field(default=5.0, validator=_optional_at_least(1e-6))
    rate_burst: int | None = attrs.field(default=None, validator=_optional_at_least(1))
    timestamp_tolerance_ms: int | None = attrs.field(
        default=30_000, validator=_optional_at_least(0)
    )
    trader_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_trader_ids)
    open_orders_in_history: bool = False
    history_retention_days: float | None = attrs.field(default=None, validator=_retention_days)

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
    def max_advance_seconds(self) -> float:
        """The most one :meth:`SandboxExchange.advance` may move: two simulated days, and at
        most :data:`MAX_ADVANCE_TICKS` ticks (fewer seconds with ticks shorter than 5 s)."""
        return min(MAX_ADVANCE_SECONDS, MAX_ADVANCE_TICKS * self.tick_seconds)

    @property
    def history_retention_ms(self) -> int | None:
        """``history_retention_days`` in milliseconds (None: every trade is kept)."""
        days = self.history_retention_days
        return None if days is None else round(days * 86_400_000)

    @property
    def tick_ms(self) -> int:
        return max(1, round(self.tick_seconds * 1000))
