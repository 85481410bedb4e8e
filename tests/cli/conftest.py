"""Fixtures for the command-line tests."""

from __future__ import annotations

import pytest

from copytrade_async.sandbox import SandboxConfig, SandboxExchange

from .helpers import CREDENTIAL_VARS


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*CREDENTIAL_VARS, "COPYTRADE_BASE_URL", "COPYTRADE_DEMO"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def exchange() -> SandboxExchange:
    """A sandbox shared by the invocations of one test, moved in time by the test itself:
    no rate limit, and no timestamp window (its clock runs ahead of the signing clock)."""
    return SandboxExchange(
        SandboxConfig(seed=11, traders=40, rate_limit=None, timestamp_tolerance_ms=None)
    )
