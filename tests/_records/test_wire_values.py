"""How single wire values are read: millisecond timestamps become exact aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async._records._converter import (
    ms_to_datetime,
)


@settings(max_examples=300)
@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_timestamps_are_exact(ms: int) -> None:
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert ms_to_datetime(ms) == expected
    assert ms_to_datetime(str(ms)) == expected
