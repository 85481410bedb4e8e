"""The simulated market: one seeded random walk per symbol, in whole price ticks.

Prices are kept as integer numbers of ticks and stepped with integer arithmetic, so the walk
is exact and identical on every platform; they become :class:`~decimal.Decimal` only when read.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

import attrs

__all__ = ["SYMBOLS", "Market", "SymbolSpec"]

# A step is a relative move of ``k`` units of 1e-5 (a tenth of a basis point), with ``k``
# uniform in [-width, width]; ``width`` is set for a 5 s tick and scaled by sqrt(tick / 5 s).
_UNIT = 100_000
_REFERENCE_TICK_S = 5.0


@attrs.frozen
class SymbolSpec:
    symbol: str
    reference_price: Decimal
    tick_size: Decimal  # price step
    size_step: Decimal  # quantity step
    width: int  # half-width of one 5 s step, in 1e-5 units
    weight: int  # how often traders pick it


SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec("BTCUSDT", Decimal("65000"), Decimal("0.1"), Decimal("0.001"), 40, 30),
    SymbolSpec("ETHUSDT", Decimal("3400"), Decimal("0.01"), Decimal("0.01"), 55, 22),
    SymbolSpec("SOLUSDT", Decimal("150"), Decimal("0.001"), Decimal("0.1"), 80, 14),
    SymbolSpec("BNBUSDT", Decimal("580"), Decimal("0.01"), Decimal("0.01"), 50, 8),
    SymbolSpec("XRPUSDT", Decimal("0.6"), Decimal("0.0001"), Decimal("1"), 80, 10),
    SymbolSpec("DOGEUSDT", Decimal("0.15"), Decimal("0.00001"), Decimal("1"), 100, 10),
    SymbolSpec("ADAUSDT", Decimal("0.45"), Decimal("0.0001"), Decimal("1"), 90, 6),
)


class Market:
    """Mark prices of every symbol, stepped by :meth:`step`."""

    def __init__(self, seed: int, tick_seconds: float) -> None:
        self._rng = random.Random(f"copytrade-sandbox:market:{seed}")
        self.specs: dict[str, SymbolSpec] = {spec.symbol: spec for spec in SYMBOLS}
        self.symbols: tuple[str, ...] = tuple(self.specs)
        scale = math.sqrt(tick_seconds / _REFERENCE_TICK_S)
        self._widths = [max(1, round(spec.width * scale)) for spec in SYMBOLS]
        self._tick_sizes = [spec.tick_size for spec in SYMBOLS]
        # Start within +-5% of the reference price.
        self._ticks = [
            int(spec.reference_price / spec.tick_size)
            * (_UNIT + self._rng.randint(-5000, 5000))
            // _UNIT
            for spec in SYMBOLS
        ]
        self._marks: dict[str, Decimal] | None = None

    @property
    def marks(self) -> dict[str, Decimal]:
        """Every symbol's mark price (built when first read after a step)."""
        marks = self._marks
        if marks is None:
            marks = self._marks = {
                symbol: ticks * tick_size
                for symbol, ticks, tick_size in zip(
                    self.symbols, self._ticks, self._tick_sizes, strict=True
                )
            }
        return marks

    def step(self) -> None:
        """Move every price by one random step."""
        random_ = self._rng.random
        ticks = self._ticks
        for i, width in enumerate(self._widths):
            # Uniform in [-width, width]: random() is a multiple of 2**-53, so the product
            # rounds the same way on every platform.
            k = int(random_() * (2 * width + 1)) - width
            price = ticks[i]
            move = price * abs(k) // _UNIT
            ticks[i] = max(1, price + move if k >= 0 else price - move)
        self._marks = None

    def pick_symbol(self, rng: random.Random, choices: tuple[str, ...]) -> str:
        """A symbol among ``choices``, weighted by how popular it is."""
        weights = [self.specs[symbol].weight for symbol in choices]
        return rng.choices(choices, weights)[0]
