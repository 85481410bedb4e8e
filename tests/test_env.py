"""The client reads what it is not given from the environment, as openai's client does."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from copytrade_async import AsyncCopyTradeClient

VARIABLES = (
    "COPYTRADE_API_KEY",
    "COPYTRADE_API_SECRET",
    "COPYTRADE_PASSPHRASE",
    "COPYTRADE_BASE_URL",
    "COPYTRADE_DEMO",
    "COPYTRADE_LOG",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def set_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYTRADE_API_KEY", "env-key-123456")
    monkeypatch.setenv("COPYTRADE_API_SECRET", "env-secret")
    monkeypatch.setenv("COPYTRADE_PASSPHRASE", "env-pass")


async def test_credentials_and_base_url_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_credentials(monkeypatch)
    monkeypatch.setenv("COPYTRADE_BASE_URL", "http://127.0.0.1:8765")
    monkeypatch.setenv("COPYTRADE_DEMO", "1")
    async with AsyncCopyTradeClient() as client:
        assert client.options.base_url == "http://127.0.0.1:8765"
        assert client.options.demo is True
        assert "env-key-123456"[:4] in repr(client)
        assert "env-secret" not in repr(client)


async def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    set_credentials(monkeypatch)
    monkeypatch.setenv("COPYTRADE_BASE_URL", "http://127.0.0.1:8765")
    monkeypatch.setenv("COPYTRADE_DEMO", "yes")
    async with AsyncCopyTradeClient(
        api_key="arg-key-123456", base_url="https://api.example.test", demo=False
    ) as client:
        assert client.options.base_url == "https://api.example.test"
        assert client.options.demo is False
        assert "arg-" in repr(client)


def test_missing_credentials_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYTRADE_API_KEY", "env-key")
    with pytest.raises(ValueError, match="COPYTRADE_API_SECRET, COPYTRADE_PASSPHRASE") as info:
        AsyncCopyTradeClient()
    assert "COPYTRADE_API_KEY" not in str(info.value)
    assert "env-key" not in str(info.value)


def test_without_anything_every_variable_is_named() -> None:
    with pytest.raises(ValueError, match="COPYTRADE_API_KEY, COPYTRADE_API_SECRET"):
        AsyncCopyTradeClient()


def test_a_bad_demo_switch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    set_credentials(monkeypatch)
    monkeypatch.setenv("COPYTRADE_DEMO", "maybe")
    with pytest.raises(ValueError, match="COPYTRADE_DEMO"):
        AsyncCopyTradeClient()


@pytest.fixture
def library_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("copytrade_async")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("INFO", logging.INFO)])
async def test_copytrade_log_sends_the_library_log_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    library_logger: logging.Logger,
    value: str,
    level: int,
) -> None:
    set_credentials(monkeypatch)
    monkeypatch.setenv("COPYTRADE_LOG", value)
    library_logger.handlers.clear()
    async with AsyncCopyTradeClient():
        pass
    assert library_logger.level == level
    library_logger.info("hello from the library")
    assert "hello from the library" in capsys.readouterr().err
    async with AsyncCopyTradeClient():  # a second client adds no second handler
        pass
    assert len(library_logger.handlers) == 1


async def test_without_copytrade_log_nothing_is_configured(
    monkeypatch: pytest.MonkeyPatch, library_logger: logging.Logger
) -> None:
    set_credentials(monkeypatch)
    library_logger.handlers.clear()
    async with AsyncCopyTradeClient():
        pass
    assert library_logger.handlers == []
