"""URLs, the schema's version, the errors, and exact round trips of the stored records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from copytrade_async import CopyTradeError, HistoryOrder, OrderSide, OrderStatus
from copytrade_async.store import SCHEMA_VERSION, HistoryStore, StoreError, to_url
from copytrade_async.store._rows import order_from_row, order_to_row

from .pgserver import free_port


@pytest.mark.parametrize(
    ("given_url", "driver"),
    [
        ("postgresql://u:pw@db:5433/copy", "postgresql+asyncpg"),
        ("postgres://u@db/copy", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@db/copy", "postgresql+asyncpg"),
        ("sqlite:///tmp/h.sqlite3", "sqlite+aiosqlite"),
        ("history.sqlite3", "sqlite+aiosqlite"),
    ],
)
def test_urls_get_the_async_driver(given_url: str, driver: str) -> None:
    assert to_url(given_url).drivername == driver


@pytest.mark.parametrize("bad", ["mysql://x/y", "sqlite://", "sqlite:///:memory:", "", "  "])
def test_unusable_urls_are_value_errors(bad: str) -> None:
    with pytest.raises(ValueError, match=r"url|SQLite file"):
        HistoryStore(bad)


def test_the_password_is_never_shown() -> None:
    assert "s3cret" not in HistoryStore("postgresql://bot:s3cret@db/x").url


async def test_an_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    store = HistoryStore(f"postgresql://bot:s3cret@127.0.0.1:{free_port()}/x")
    with pytest.raises(StoreError) as caught:
        await store.__aenter__()
    assert isinstance(caught.value, CopyTradeError)
    assert "s3cret" not in str(caught.value)


async def test_a_newer_schema_is_refused_and_the_version_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    async with HistoryStore(path) as store, store.engine.begin() as conn:
        version = (await conn.execute(sa.text("SELECT version FROM copytrade_schema"))).one()
        assert version == (SCHEMA_VERSION,)
        await conn.execute(sa.text("UPDATE copytrade_schema SET version = version + 1"))
    with pytest.raises(StoreError, match="schema version"):
        async with HistoryStore(path):
            pass
    with pytest.raises(StoreError, match="schema version"):
        await HistoryStore.open(path)


async def test_bad_arguments_fail_before_any_request(tmp_path: Path) -> None:
    async with HistoryStore(tmp_path / "h.sqlite3") as store:
        for follows, match in ((["ok", ""], "follow_id"), ("123", "list")):
            with pytest.raises(ValueError, match=match):
                await store.sync(None, follows)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="page_size"):
            await store.sync(None, ["1"], page_size=101)  # type: ignore[arg-type]
        for wait in (float("inf"), float("nan"), -1, True, "5"):
            with pytest.raises(ValueError, match="lock_wait"):
                await store.sync(None, ["1"], lock_wait=wait)  # type: ignore[arg-type]
        assert await store.follows() == []


money = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.adjusted()) < 30
)
moments = st.integers(0, 4_102_444_800_000).map(
    lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
)


@given(
    size=money, profit=money, exit_price=st.none() | money, create=moments,
    close=st.none() | moments, side=st.sampled_from(["buy", "sell", "short_future"]),
)  # fmt: skip
def test_a_record_survives_its_row_exactly(
    size: Decimal,
    profit: Decimal,
    exit_price: Decimal | None,
    create: datetime,
    close: datetime | None,
    side: str,
) -> None:
    order = HistoryOrder(
        order_id="42", symbol="BTCUSDT", side=OrderSide.from_wire(side), size=size,
        entry_price=Decimal("30000.5"), profit=profit, leverage=Decimal("10"),
        status=OrderStatus.from_wire("closed" if close else "open"), create_time=create,
        exit_price=exit_price, close_time=close,
    )  # fmt: skip
    back = order_from_row(order_to_row("f", order))
    assert back == order
    assert str(back.size) == str(size) and str(back.profit) == str(profit)  # exponent kept
    assert back.side.is_known == (side != "short_future")
