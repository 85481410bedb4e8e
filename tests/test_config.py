"""Client configuration is checked when the client is made: every bad value is a ValueError
that names the argument and never shows a credential."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from copytrade_async import AsyncCopyTradeClient

from .conftest import make_client

SECRET_LOOKING = "pp-s3cr3t-value-XYZ"


@pytest.mark.parametrize("name", ["api_key", "api_secret", "passphrase"])
@pytest.mark.parametrize(
    "bad",
    [
        f"{SECRET_LOOKING}\r\nX-Injected: 1",
        f"{SECRET_LOOKING}\n",
        f"\t{SECRET_LOOKING}",
        f"{SECRET_LOOKING}\x00",
        f"{SECRET_LOOKING}\x7f",
        f"{SECRET_LOOKING}é",
        f"{SECRET_LOOKING}龙",
        f" {SECRET_LOOKING}",
        "",
    ],
    ids=["crlf", "lf", "tab", "nul", "del", "e-acute", "dragon", "leading space", "empty"],
)
def test_bad_credentials_are_refused_without_showing_them(name: str, bad: str) -> None:
    credentials = {"api_key": "key-1", "api_secret": "secret-1", "passphrase": "pass-1"}
    credentials[name] = bad
    with pytest.raises(ValueError, match=f"^{name} ") as info:
        AsyncCopyTradeClient(**credentials)
    assert SECRET_LOOKING not in str(info.value)
    assert SECRET_LOOKING not in repr(info.value)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"timeout": math.nan}, "timeout"),
        ({"timeout": math.inf}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"timeout": httpx.Timeout(math.nan)}, "timeout"),
        ({"timeout": httpx.Timeout(5.0, read=math.inf)}, "timeout"),
        ({"timeout": httpx.Timeout(5.0, connect=-1)}, "timeout"),
        ({"backoff_base": math.nan}, "backoff_base"),
        ({"backoff_base": 0}, "backoff_base"),
        ({"backoff_max": math.inf}, "backoff_max"),
        ({"retry_after_cap": math.nan}, "retry_after_cap"),
        ({"retry_after_cap": math.inf}, "retry_after_cap"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"locale": "en-US\nX-Injected: 1"}, "locale"),
        ({"locale": ""}, "locale"),
        ({"locale": "é"}, "locale"),
        ({"locale": "x" * 100}, "locale"),
        ({"demo": "yes"}, "demo"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        make_client(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"timeout": math.nan}, "timeout"),
        ({"backoff_max": math.inf}, "backoff_max"),
        ({"locale": "zh\r\nX: 1"}, "locale"),
    ],
)
async def test_with_options_checks_the_same_way(kwargs: dict[str, Any], needle: str) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match=needle):
            client.with_options(**kwargs)


async def test_none_means_no_timeout() -> None:
    async with make_client(timeout=None) as client:
        assert client.options.timeout is None
        assert client.options.httpx_timeout == httpx.Timeout(None)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN", "ja_JP", "fr", "es-419"])
def test_good_locales_are_kept(locale: str) -> None:
    assert make_client(locale=locale).options.locale == locale
