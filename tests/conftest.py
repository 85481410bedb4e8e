"""Shared fixtures: a respx-mocked client, and a signature computed by hand.

The suite runs on every core, and one worker more (pytest-xdist, see pyproject's ``addopts`` and
:func:`pytest_xdist_auto_num_workers`): a test may share its process with any other, so it binds
port 0, writes under ``tmp_path`` and changes the environment only through ``monkeypatch``.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from copytrade_async import AsyncCopyTradeClient

from .signing import signature, signed_query_of

# pytest-xdist's workers start with COLUMNS=80 (and LINES) that a plain `pytest` run does not
# have; the CLI sizes its tables by COLUMNS, so a worker sees the environment pytest would.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores. Much of the suite waits on timers and
    sockets (the fleet's seconds, rate-limit schedules, served sandboxes): on the 2-core VM the
    whole suite took 121 s with 2 workers, 102 s with 3 (2m33s of CPU either way)."""
    return (os.cpu_count() or 1) + 1


API_KEY = "test-key-0123456789"
API_SECRET = "test-secret-abcdef"
PASSPHRASE = "test-passphrase"
BASE_URL = "https://api.example.test"
PREFIX = "/api/mix/v1/copytrading"
REQUEST_TIME = 1621441751927


def envelope(data: Any, code: str = "00000", msg: str = "success") -> dict[str, Any]:
    return {"code": code, "msg": msg, "requestTime": REQUEST_TIME, "data": data}


def ok(data: Any, status: int = 200, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json=envelope(data), **kwargs)


def fail(code: str, msg: str, status: int = 400, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json=envelope(None, code=code, msg=msg), **kwargs)


def hand_signature(secret: str, request: httpx.Request) -> str:
    """The signature of a request as sent, by the exchange's rule (the query decoded), computed
    by the tests' own signer, not the library's."""
    return signature(
        secret,
        request.headers["ACCESS-TIMESTAMP"],
        request.method,
        request.url.path,
        signed_query_of(request.url.query.decode()),
        request.content.decode(),
    )


def check_headers(request: httpx.Request) -> None:
    assert request.headers["ACCESS-KEY"] == API_KEY
    assert request.headers["ACCESS-PASSPHRASE"] == PASSPHRASE
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["locale"] == "en-US"
    assert request.headers["ACCESS-TIMESTAMP"].isdigit()
    assert len(request.headers["ACCESS-TIMESTAMP"]) == 13
    assert "paptrading" not in request.headers
    assert request.headers["ACCESS-SIGN"] == hand_signature(API_SECRET, request)


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


@pytest.fixture
def mock_api() -> respx.MockRouter:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def make_client(**overrides: Any) -> AsyncCopyTradeClient:
    """A client with the test credentials on ``BASE_URL`` and no rate limiter, unless told."""
    options: dict[str, Any] = {"base_url": BASE_URL, "rate_limits": None, **overrides}
    return AsyncCopyTradeClient(
        api_key=API_KEY, api_secret=API_SECRET, passphrase=PASSPHRASE, **options
    )


@pytest.fixture
async def client(mock_api: respx.MockRouter) -> AsyncIterator[AsyncCopyTradeClient]:
    async with make_client(max_retries=0) as c:
        yield c
