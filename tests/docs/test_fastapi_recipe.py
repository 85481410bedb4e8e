"""``examples/fastapi_app.py`` and ``docs/fastapi.md``: the doc's blocks are the program's own
text, the doc's test runs, and the app answers each case of the doc's table with its status,
driven through ``httpx.ASGITransport`` against the sandbox (a loopback socket where a real
connection matters: a timeout, a refused connection).

The program's ``create_app`` takes the client's factory; the tests pass the sandbox's
(``sandbox_client``) where its default builds a client for the real exchange, never called here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys
import types
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastapi  # noqa: F401  (the program needs it: the test extra installs it)
import httpx
import pytest

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.sandbox import (
    Faults,
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    create_app,
    sandbox_client,
)

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "fastapi.md"
PROGRAM = ROOT / "examples" / "fastapi_app.py"
ISO_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
#: The doc's Python blocks: excerpts of the program, and last the test a reader would write.
BLOCKS = re.findall(r"^```py\n(.*?)^```$", DOC.read_text(), flags=re.M | re.S)


def load_program() -> types.ModuleType:
    """The program as the module ``fastapi_app`` (what the doc's test imports)."""
    spec = importlib.util.spec_from_file_location("fastapi_app", PROGRAM)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the request model through it
    spec.loader.exec_module(module)
    return module


APP = load_program()


def test_the_docs_blocks_are_the_programs_own_text() -> None:
    *excerpts, _test = BLOCKS
    assert len(excerpts) >= 3
    program = PROGRAM.read_text()
    for excerpt in excerpts:
        assert excerpt in program, excerpt[:200]
    assert "examples/fastapi_app.py" in DOC.read_text()


async def test_the_docs_own_test_passes() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(BLOCKS[-1], str(DOC), "exec"), namespace)
    await namespace["test_the_app_on_the_sandbox"]()


def test_the_program_runs_with_help() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", str(PROGRAM), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--sandbox" in done.stdout


def exchange(**config: Any) -> SandboxExchange:
    return SandboxExchange(SandboxConfig(seed=5, rate_limit=None, **config), ManualClock())


@asynccontextmanager
async def served(
    make_client: Callable[[], AsyncCopyTradeClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """The program's app, its lifespan running, behind an httpx client."""
    app = APP.create_app(make_client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield http


def on(sandbox: SandboxExchange, **options: Any) -> Callable[[], AsyncCopyTradeClient]:
    return lambda: sandbox_client(exchange=sandbox, rate_limits=None, **options)


def exact(response: httpx.Response) -> Any:
    """The body as JSON, failing on any number with a fraction (money must be strings)."""

    def no_float(number: str) -> Any:
        raise AssertionError(f"a float in the answer: {number}")

    return json.loads(response.text, parse_float=no_float)


def answer(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


async def test_routes_answer_records_as_exact_json() -> None:
    sandbox = exchange()
    async with served(on(sandbox)) as http:
        response = await http.get("/traders", params={"limit": 150})
        assert response.status_code == 200
        traders = exact(response)
        assert len(traders) == 150 and len({t["trader_id"] for t in traders}) == 150
        # Exactly what the exchange sent: the sandbox's own view of the first trader.
        wire = sandbox.trader_detail(traders[0]["trader_id"])
        assert traders[0]["total_profit"] == wire["totalProfit"]
        assert traders[0]["win_rate"] == wire["winRate"]

        busy = next(
            t for t in sandbox.trader_ids(active=True) if sandbox.trader_detail(t)["positions"]
        )
        detail = exact(await http.get(f"/traders/{busy}"))
        assert detail["statistics"]["total_trades"] >= 0
        assert {type(p["unrealized_pnl"]) for p in detail["positions"]} == {str}

        response = await http.post(
            "/follows", json={"trader_id": busy, "copy_amount": "1000.50", "leverage": 5}
        )
        assert response.status_code == 201, response.text
        follow = exact(response)
        assert (follow["copy_amount"], follow["status"]) == ("1000.50", "active")
        sandbox.advance(6 * 3600)
        follow_id = follow["follow_id"]
        page = exact(
            await http.get(
                f"/follows/{follow_id}/history",
                params={"start_time": "2000-01-01T00:00:00+00:00"},
            )
        )
        assert page["current_page"] == 1 and page["total_num"] == len(page["items"]) > 0
        for order in page["items"]:
            assert re.fullmatch(ISO_MS, order["close_time"])
            assert re.fullmatch(r"-?\d+(\.\d+)?", order["profit"])  # plain notation
            Decimal(order["profit"])
        assert re.fullmatch(ISO_MS, page["request_time"])
        assert (await http.get(f"/follows/{follow_id}/positions")).status_code == 200
        stopped = await http.post(f"/follows/{follow_id}/stop")
        assert exact(stopped) == {"follow_id": follow_id, "status": "stopped"}


async def test_what_the_caller_names_that_does_not_exist_is_404() -> None:
    sandbox = exchange()
    async with served(on(sandbox, max_retries=0)) as http:
        assert answer(await http.get("/traders/999999999")) == (404, "InvalidTraderError")
        missing = {"trader_id": "999999999", "copy_amount": "100"}
        assert answer(await http.post("/follows", json=missing)) == (404, "InvalidTraderError")
        for response in (
            await http.get("/follows/404404404/history"),
            await http.get("/follows/404404404/positions"),
            await http.post("/follows/404404404/stop"),
        ):
            assert answer(response) == (404, "FollowNotFoundError")
            assert '"40034"' not in response.text and "code 40034" in response.json()["detail"]


@pytest.mark.parametrize(
    ("request_args", "argument"),
    [
        (("GET", "/traders/bad%20id"), "trader_id"),
        (("GET", "/follows/1/history?start_time=2024-05-01"), "start_time"),
        (("GET", "/follows/1/history?end_time=2024-05-01T12:00:00"), "end_time"),
        (("POST", "/follows", {"trader_id": "1", "copy_amount": "-1"}), "copy_amount"),
        (("POST", "/follows", {"trader_id": "1", "copy_amount": "1e999999"}), "copy_amount"),
        (("POST", "/follows", {"trader_id": "1", "copy_amount": "9", "leverage": 500}), "leverage"),
    ],
)
async def test_a_value_the_client_refuses_is_422_naming_the_argument(
    request_args: tuple[Any, ...], argument: str
) -> None:
    sandbox = exchange()
    method, url, *body = request_args
    async with served(on(sandbox, max_retries=0)) as http:
        response = await http.request(method, url, json=body[0] if body else None)
    assert response.status_code == 422, response.text
    data = response.json()
    assert (data["error"], data["argument"]) == ("ValueError", argument)
    assert data["detail"].startswith(f"{argument} ")


async def test_a_body_of_the_wrong_type_is_fastapis_own_422() -> None:
    async with served(on(exchange())) as http:
        response = await http.post("/follows", json={"trader_id": "1", "copy_amount": 100.5})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "copy_amount"]


async def test_exchange_refusals_become_client_statuses() -> None:
    sandbox = exchange(max_follows=3)
    active = sandbox.trader_ids(active=True)
    async with served(on(sandbox, max_retries=0)) as http:
        body = {"trader_id": active[0], "copy_amount": "100"}
        assert (await http.post("/follows", json=body)).status_code == 201
        answers = {
            "AlreadyFollowingError": (409, {"trader_id": active[0], "copy_amount": "100"}),
            "InsufficientBalanceError": (409, {"trader_id": active[1], "copy_amount": "900000"}),
            "InvalidFollowSettingsError": (422, {"trader_id": active[2], "copy_amount": "5"}),
        }
        for error, (status, payload) in answers.items():
            assert answer(await http.post("/follows", json=payload)) == (status, error)
        for trader_id in active[3:5]:
            body = {"trader_id": trader_id, "copy_amount": "100"}
            assert (await http.post("/follows", json=body)).status_code == 201
        over = {"trader_id": active[5], "copy_amount": "100"}
        assert answer(await http.post("/follows", json=over)) == (409, "CopyLimitExceededError")


@pytest.mark.parametrize(
    ("faults", "status", "error"),
    [
        (Faults(rate_limit_storm=1.0), 503, "RateLimitError"),
        (Faults(drop_rate=1.0), 502, "APIConnectionError"),  # the connection broke mid-request
        (Faults(error_rate=1.0), 502, "ServerError"),
        (Faults(malformed_rate=1.0), 502, "ResponseDecodeError"),
    ],
)
async def test_upstream_failures_become_gateway_statuses(
    faults: Faults, status: int, error: str
) -> None:
    sandbox = exchange()
    async with served(on(sandbox, max_retries=0)) as http:
        sandbox.faults = faults
        response = await http.get("/traders", params={"limit": 5})
        assert answer(response) == (status, error), response.text
        if error == "RateLimitError":
            assert int(response.headers["retry-after"]) >= 1


def direct(base_url: str, sandbox: SandboxExchange, **options: Any) -> AsyncCopyTradeClient:
    creds = sandbox.credentials
    return AsyncCopyTradeClient(
        api_key=creds.api_key,
        api_secret=creds.api_secret,
        passphrase=creds.passphrase,
        base_url=base_url,
        rate_limits=None,
        max_retries=0,
        **options,
    )


async def test_a_timeout_is_504() -> None:
    # Over a loopback socket: httpx's ASGITransport applies no timeout.
    sandbox = exchange()
    with SandboxServer(sandbox) as server:
        async with served(lambda: direct(server.url, sandbox, timeout=0.2)) as http:
            sandbox.faults = Faults(latency_s=1.0)
            response = await http.get("/traders", params={"limit": 5})
            sandbox.faults = Faults()
    assert answer(response) == (504, "APITimeoutError")


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_exchange_that_cannot_be_reached_is_503(closed_port: int) -> None:
    sandbox = exchange()
    async with served(lambda: direct(f"http://127.0.0.1:{closed_port}", sandbox)) as http:
        response = await http.get("/traders/1")
    assert answer(response) == (503, "APIConnectionError")


async def test_refused_credentials_are_the_servers_problem_not_the_callers() -> None:
    sandbox = exchange()
    asgi = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(sandbox)))

    def wrong_secret() -> AsyncCopyTradeClient:
        return AsyncCopyTradeClient(
            api_key=sandbox.credentials.api_key,
            api_secret="not-the-secret",
            passphrase=sandbox.credentials.passphrase,
            base_url="http://sandbox",
            http_client=asgi,
            rate_limits=None,
            max_retries=0,
        )

    async with asgi, served(wrong_secret) as http:
        response = await http.get("/traders")
        assert answer(response) == (502, "AuthenticationError")
        assert "not-the-secret" not in response.text


def test_the_docs_warning_about_fastapis_own_encoder_holds() -> None:
    from fastapi.encoders import jsonable_encoder

    values = {"small": Decimal("0.123456789012345678"), "large": Decimal("12345678901234567.89")}
    assert jsonable_encoder(values) == {
        "small": 0.12345678901234568,
        "large": 1.2345678901234568e16,
    }
