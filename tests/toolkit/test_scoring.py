"""Trader scoring: the components and the ordering properties the formula promises."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copytrade_async import TraderDetail, TraderStatistics
from copytrade_async.toolkit import ScoreWeights, TraderScore, score_trader


def stats(
    sharpe: str = "1.5", drawdown: str = "20", total: int = 100, wins: int = 60
) -> TraderStatistics:
    return TraderStatistics(
        total_trades=total,
        winning_trades=wins,
        average_holding_time=Decimal("2.5"),
        max_drawdown=Decimal(drawdown),
        sharpe_ratio=Decimal(sharpe),
    )


def detail(
    *, win_rate: str = "0.6", days: int = 200, followers: int = 100, **kwargs: str
) -> TraderDetail:
    return TraderDetail(
        trader_id="123",
        nick_name="T",
        followers_count=followers,
        total_profit=Decimal(100),
        monthly_profit=Decimal(10),
        win_rate=Decimal(win_rate),
        trading_days=days,
        risk_level="medium",
        status="active",
        statistics=stats(**kwargs),
    )


def score(**kwargs: object) -> Decimal:
    return score_trader(detail(**kwargs)).score  # type: ignore[arg-type]


# (field, lower value, higher value, does the score go up with the value?)
ORDERING = [
    ("sharpe", "0.5", "2.5", True),
    ("sharpe", "-1", "0", True),
    ("sharpe", "3", "6", True),
    ("drawdown", "5", "40", False),
    ("drawdown", "40", "80", False),
    ("win_rate", "0.45", "0.7", True),
    ("days", 30, 300, True),
    ("followers", 5, 500, True),
]


@pytest.mark.parametrize(("field", "low", "high", "rises"), ORDERING)
def test_ordering(field: str, low: object, high: object, rises: bool) -> None:
    a, b = score(**{field: low}), score(**{field: high})
    assert (b > a) if rises else (b < a)


def test_sharpe_saturates() -> None:
    """An outlier Sharpe gains little over a merely good one: it cannot dominate."""
    good, great, outlier = score(sharpe="2"), score(sharpe="4"), score(sharpe="12")
    assert outlier - great < great - good
    assert outlier - great < Decimal(3)
    # ...so a low drawdown can outweigh an outlier Sharpe.
    assert score(sharpe="2", drawdown="5") > score(sharpe="12", drawdown="60")


def test_confidence_is_log_damped_and_capped() -> None:
    s = [score(days=d) for d in (10, 100, 365, 2000)]
    assert s[1] - s[0] > s[2] - s[1]  # diminishing returns
    assert s[2] == s[3]  # a year counts as full experience


def test_components_and_range() -> None:
    result = score_trader(detail())
    assert isinstance(result, TraderScore)
    assert result.trader_id == "123"
    assert Decimal(0) <= result.score <= Decimal(100)
    assert result.drawdown == Decimal("0.8000")
    assert result.win_rate == Decimal("0.6000")
    assert result.score == result.score.quantize(Decimal("0.01"))
    assert "score" in result.describe() and "sharpe" in result.describe()


def test_statistics_alone_use_their_win_rate_and_drop_unknown_terms() -> None:
    result = score_trader(stats(total=10, wins=7))
    assert result.win_rate == Decimal("0.7000")
    assert result.experience is None and result.followers is None
    assert Decimal(0) <= result.score <= Decimal(100)


def test_best_possible_and_weights() -> None:
    perfect = score_trader(
        detail(sharpe="100", drawdown="0", win_rate="1", days=5000, followers=10**6)
    )
    assert perfect.score == Decimal("100.00")
    only_drawdown = ScoreWeights(sharpe=0, drawdown=1, win_rate=0, experience=0, followers=0)
    assert score_trader(detail(drawdown="25"), weights=only_drawdown).score == Decimal("75.00")


def test_a_vanishing_negative_sharpe_scores_a_plain_zero() -> None:
    only_sharpe = ScoreWeights(sharpe=1, drawdown=0, win_rate=0, experience=0, followers=0)
    result = score_trader(detail(sharpe="-0.00001"), weights=only_sharpe)
    # tanh(-0.000005) rounds to nothing: "0.0000" and a score of "0.00", not "-0.00".
    assert (str(result.sharpe), str(result.score)) == ("0.0000", "0.00")
    assert "-0" not in result.describe()


def test_refusals() -> None:
    with pytest.raises(ValueError, match="no statistics"):
        score_trader(TraderDetail(**{**attrs_dict(detail()), "statistics": None}))
    with pytest.raises(ValueError, match="float"):
        ScoreWeights(sharpe=0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one weight"):
        ScoreWeights(sharpe=0, drawdown=0, win_rate=0, experience=0, followers=0)


def attrs_dict(value: object) -> dict[str, object]:
    import attrs

    return attrs.asdict(value, recurse=False)  # type: ignore[arg-type]
