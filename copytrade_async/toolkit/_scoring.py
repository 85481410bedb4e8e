"""Trader scoring: one documented number from a trader's statistics, in Decimal.

The spec's analyze step calls ``calculate_trader_score(sharpe_ratio, max_drawdown, win_rate)``
without defining it (see ``docs/best-practices.md``); this is our definition.

The score is a weighted mean of five components, scaled to 0..100 (a negative Sharpe ratio can
take it a little below 0)::

    score = 100 * sum(weight_i * component_i) / sum(weight_i)

=============  ===========================================  ==================================
component      formula                                      why this shape
=============  ===========================================  ==================================
sharpe         tanh(sharpe_ratio / sharpe_scale)            Risk-adjusted return is the core
                                                            signal, but it is squashed by a
                                                            saturating curve: a Sharpe of 8 (an
                                                            outlier, or a short lucky record)
                                                            counts barely more than one of 4,
                                                            so it cannot outvote everything else.
                                                            Negative Sharpe scores below zero.
drawdown       1 - max_drawdown% / 100 (clamped to 0..1)    The worst fall from a peak is what a
                                                            follower lives through; every point
                                                            of it costs the same.
win_rate       win rate (0..1)                              Consistency; weighted lightly, as a
                                                            high win rate says nothing about
                                                            the size of the losses.
experience     min(1, ln(1+days) / ln(1+full_days))         Confidence terms: a longer record
followers      min(1, ln(1+n) / ln(1+full_followers))       and more followers make the other
                                                            numbers more believable, with
                                                            diminishing returns (log-damped),
                                                            and stop counting once "enough".
=============  ===========================================  ==================================

Each component only ever moves the score one way (more Sharpe, win rate, days or followers
never lowers it; more drawdown never raises it), so rankings are easy to reason about. When the
trading days or follower count are unknown (scoring bare :class:`TraderStatistics`), their
weights drop out of the mean instead of counting as zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext

import attrs

from .. import Amount, TraderDetail, TraderStatistics, to_decimal
from ._convert import unsigned_zero

__all__ = ["DEFAULT_WEIGHTS", "ScoreWeights", "TraderScore", "score_trader"]

_CTX = Context(prec=40, rounding=ROUND_HALF_EVEN)
_COMPONENT_QUANTUM = Decimal("0.0001")
_SCORE_QUANTUM = Decimal("0.01")
_TANH_CLAMP = Decimal(40)  # tanh(40) is 1 to far beyond our 4 decimals


def _weight(value: Amount) -> Decimal:
    number = to_decimal("weight", value)
    if number < 0:
        raise ValueError(f"a weight must not be negative, got {number}")
    return number


def _positive(value: Amount) -> Decimal:
    number = to_decimal("scale", value)
    if number <= 0:
        raise ValueError(f"a scale must be greater than 0, got {number}")
    return number


@attrs.frozen
class ScoreWeights:
    """The weights of the score's components, and the scales of its curves."""

    sharpe: Decimal = attrs.field(default=Decimal("0.35"), converter=_weight)
    drawdown: Decimal = attrs.field(default=Decimal("0.25"), converter=_weight)
    win_rate: Decimal = attrs.field(default=Decimal("0.20"), converter=_weight)
    experience: Decimal = attrs.field(default=Decimal("0.10"), converter=_weight)
    followers: Decimal = attrs.field(default=Decimal("0.10"), converter=_weight)
    #: The Sharpe ratio at which the sharpe component reaches tanh(1) = 0.76.
    sharpe_scale: Decimal = attrs.field(default=Decimal(2), converter=_positive)
    #: Days of record that count as full experience.
    full_experience_days: Decimal = attrs.field(default=Decimal(365), converter=_positive)
    #: Followers that count as full social proof.
    full_followers: Decimal = attrs.field(default=Decimal(1000), converter=_positive)

    def __attrs_post_init__(self) -> None:
        if not (self.sharpe + self.drawdown + self.win_rate + self.experience + self.followers):
            raise ValueError("at least one weight must be greater than 0")


DEFAULT_WEIGHTS = ScoreWeights()


@attrs.frozen
class TraderScore:
    """A score and the components it was made from (each 0..1; sharpe -1..1).

    ``experience`` and ``followers`` are ``None`` when the input did not say.
    """

    score: Decimal
    sharpe: Decimal
    drawdown: Decimal
    win_rate: Decimal
    experience: Decimal | None
    followers: Decimal | None
    trader_id: str | None = None

    def describe(self) -> str:
        """A one-line explanation: ``score 63.20 (sharpe 0.62, drawdown 0.84, ...)``."""
        parts = [f"sharpe {self.sharpe}", f"drawdown {self.drawdown}", f"win {self.win_rate}"]
        if self.experience is not None:
            parts.append(f"experience {self.experience}")
        if self.followers is not None:
            parts.append(f"followers {self.followers}")
        return f"score {self.score} ({', '.join(parts)})"


def _tanh(x: Decimal) -> Decimal:
    x = max(-_TANH_CLAMP, min(_TANH_CLAMP, x))
    return 1 - 2 / ((2 * x).exp() + 1)


def _log_confidence(value: Decimal, full: Decimal) -> Decimal:
    value = max(Decimal(0), value)
    return min(Decimal(1), (1 + value).ln() / (1 + full).ln())


def _clamp01(value: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), value))


def _q(value: Decimal) -> Decimal:
    return unsigned_zero(value.quantize(_COMPONENT_QUANTUM))


def score_trader(
    trader: TraderDetail | TraderStatistics,
    *,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    win_rate: Amount | None = None,
    trading_days: int | None = None,
    followers: int | None = None,
) -> TraderScore:
    """Score a trader (see the module docs for the formula and its reasons).

    Pass a :class:`TraderDetail` (its ``statistics`` must be present), or bare
    :class:`TraderStatistics`. ``win_rate``, ``trading_days`` and ``followers`` override what
    the input says; for statistics the win rate defaults to ``winning_trades / total_trades``.
    Raises :class:`ValueError` when there are no statistics to score.
    """
    trader_id: str | None = None
    if isinstance(trader, TraderDetail):
        if trader.statistics is None:
            raise ValueError(f"trader {trader.trader_id} has no statistics to score")
        stats = trader.statistics
        trader_id = trader.trader_id
        rate = trader.win_rate
        days: int | None = trader.trading_days
        follower_count: int | None = trader.followers_count
    elif isinstance(trader, TraderStatistics):
        stats = trader
        total = stats.total_trades
        rate = Decimal(stats.winning_trades) / total if total > 0 else Decimal(0)
        days = follower_count = None
    else:
        raise TypeError(f"expected TraderDetail or TraderStatistics, got {type(trader).__name__}")
    if win_rate is not None:
        rate = to_decimal("win_rate", win_rate)
    if trading_days is not None:
        days = trading_days
    if followers is not None:
        follower_count = followers

    with localcontext(_CTX):
        sharpe = _q(_tanh(to_decimal("sharpe_ratio", stats.sharpe_ratio) / weights.sharpe_scale))
        drawdown = _q(_clamp01(1 - to_decimal("max_drawdown", stats.max_drawdown) / 100))
        win = _q(_clamp01(rate))
        terms = [
            (weights.sharpe, sharpe),
            (weights.drawdown, drawdown),
            (weights.win_rate, win),
        ]
        experience = None
        if days is not None:
            experience = _q(_log_confidence(Decimal(days), weights.full_experience_days))
            terms.append((weights.experience, experience))
        social = None
        if follower_count is not None:
            social = _q(_log_confidence(Decimal(follower_count), weights.full_followers))
            terms.append((weights.followers, social))
        weight_sum = sum((w for w, _ in terms), Decimal(0))
        if not weight_sum:
            raise ValueError("every weight of the known components is 0")
        score = 100 * sum((w * c for w, c in terms), Decimal(0)) / weight_sum
        score = unsigned_zero(score.quantize(_SCORE_QUANTUM))
    return TraderScore(
        score=score,
        sharpe=sharpe,
        drawdown=drawdown,
        win_rate=win,
        experience=experience,
        followers=social,
        trader_id=trader_id,
    )
