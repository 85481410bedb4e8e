"""Admin input is validated like any other input: an error envelope (40020, HTTP 400), never a
500, and the server keeps serving. The same bounds hold in the Python API (``ValueError``)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copytrade_async.sandbox import (
    Faults,
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    create_app,
)

from .sandbox_helpers import START_MS, new_exchange

DAY_S = 86_400
FAULT_FIELDS = (
    "latency_s",
    "error_rate",
    "rate_limit_storm",
    "malformed_rate",
    "drop_rate",
    "clock_offset_ms",
)

# ----- the Python API ---------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, 1e30, 1e300, -1, True, "10"])
def test_a_manual_clock_refuses_what_it_cannot_do(seconds: Any) -> None:
    clock = ManualClock(START_MS)
    with pytest.raises(ValueError, match="seconds"):
        clock.advance(seconds)
    assert clock.now_ms() == START_MS


def test_a_manual_clock_stops_short_of_the_year_10000() -> None:
    clock = ManualClock(START_MS)
    clock.advance(10 * 365 * DAY_S)  # ten years in one step is fine for a bare clock
    assert clock.now_ms() == START_MS + 10 * 365 * DAY_S * 1000
    with pytest.raises(ValueError, match="9999"):
        clock.advance(8000 * 365 * DAY_S)
    with pytest.raises(ValueError, match="start_ms"):
        ManualClock(10**20)
    with pytest.raises(ValueError, match="start_ms"):
        ManualClock(True)


@pytest.mark.parametrize("seconds", [math.nan, math.inf, 1e30, -1, False, "1", Decimal(1)])
def test_exchange_advance_refuses_bad_seconds(seconds: Any) -> None:
    exchange = new_exchange(traders=10)
    with pytest.raises(ValueError, match="seconds"):
        exchange.advance(seconds)
    assert exchange.now_ms() == START_MS


def test_exchange_advance_is_bounded_per_call() -> None:
    exchange = new_exchange(traders=10)
    assert exchange.config.max_advance_seconds == 2 * DAY_S  # two days of the default 5 s tick
    with pytest.raises(ValueError, match="at most 172800"):
        exchange.advance(2 * DAY_S + 0.001)
    assert exchange.now_ms() == START_MS
    exchange.advance(2 * DAY_S)
    assert exchange.now_ms() == START_MS + 2 * DAY_S * 1000
    # Shorter ticks mean more steps per second: the bound is 34,560 ticks.
    fine = new_exchange(traders=10, tick_seconds=0.5)
    assert fine.config.max_advance_seconds == 34_560 * 0.5
    with pytest.raises(ValueError, match="seconds"):
        fine.advance(34_560 * 0.5 + 1)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"latency_s": 1e300}, "latency_s"),
        ({"latency_s": math.nan}, "latency_s"),
        ({"latency_s": math.inf}, "latency_s"),
        ({"latency_s": 60.5}, "latency_s"),
        ({"latency_s": "1"}, "latency_s"),
        ({"error_rate": math.nan}, "error_rate"),
        ({"error_rate": True}, "error_rate"),
        ({"drop_rate": "0.5"}, "drop_rate"),
        ({"malformed_rate": -0.0001}, "malformed_rate"),
        ({"rate_limit_storm": math.inf}, "rate_limit_storm"),
        ({"clock_offset_ms": 86_400_001}, "clock_offset_ms"),
        ({"clock_offset_ms": -86_400_001}, "clock_offset_ms"),
        ({"clock_offset_ms": 10**30}, "clock_offset_ms"),
        ({"clock_offset_ms": 1.5}, "clock_offset_ms"),
        ({"clock_offset_ms": True}, "clock_offset_ms"),
    ],
)
def test_faults_refuse_what_the_sandbox_cannot_do(fields: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Faults(**fields)


def test_faults_at_their_bounds() -> None:
    faults = Faults(latency_s=60, error_rate=1, clock_offset_ms=-86_400_000)
    assert (faults.latency_s, faults.error_rate, faults.clock_offset_ms) == (60, 1, -86_400_000)
    assert Faults(clock_offset_ms=86_400_000).clock_offset_ms == 86_400_000


@pytest.mark.parametrize("deposit", [1000.0, 0.1, math.nan])
def test_deposits_refuse_floats(deposit: float) -> None:
    with pytest.raises(ValueError, match="deposit"):
        SandboxConfig(deposit=deposit)  # type: ignore[arg-type]
    exchange = new_exchange(traders=10)
    with pytest.raises(ValueError, match="deposit"):
        exchange.add_account("bot", "s", "p", deposit=deposit)  # type: ignore[arg-type]
    assert exchange.lookup_account("bot") is None


@pytest.mark.parametrize("deposit", ["-1", "NaN", "Infinity", "lots", True])
def test_deposits_refuse_what_is_not_an_amount(deposit: Any) -> None:
    with pytest.raises(ValueError, match="deposit"):
        SandboxConfig(deposit=deposit)
    with pytest.raises(ValueError, match="deposit"):
        new_exchange(traders=10).add_account("bot", "s", "p", deposit=deposit)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"rate_limit": math.inf}, "rate_limit"),
        ({"rate_limit": math.nan}, "rate_limit"),
        ({"tick_seconds": math.inf}, "tick_seconds"),
        ({"tick_seconds": math.nan}, "tick_seconds"),
        ({"tick_seconds": DAY_S + 1}, "tick_seconds"),
    ],
)
def test_the_config_refuses_infinite_rates_and_ticks(fields: dict[str, float], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        SandboxConfig(**fields)  # type: ignore[arg-type]


def test_deposits_take_decimals_ints_and_strings() -> None:
    assert SandboxConfig(deposit="2500.5").deposit == Decimal("2500.5")
    exchange = new_exchange(traders=10)
    exchange.add_account("a", "s", "p", deposit=7)
    exchange.add_account("b", "s", "p", deposit=Decimal("0.01"))
    assert exchange.account("a").available == 7
    assert exchange.account("b").available == Decimal("0.01")


# ----- over HTTP ----------------------------------------------------------------------------


async def _post(client: httpx.AsyncClient, path: str, body: str) -> httpx.Response:
    return await client.post(path, content=body.encode())


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/sandbox/faults", '{"clock_offset_ms": NaN}', "JSON"),
        ("/sandbox/faults", '{"clock_offset_ms": Infinity}', "JSON"),
        ("/sandbox/faults", '{"clock_offset_ms": 1e400}', "clock_offset_ms"),
        ("/sandbox/faults", '{"clock_offset_ms": 86400001}', "clock_offset_ms"),
        ("/sandbox/faults", '{"clock_offset_ms": 1.5}', "clock_offset_ms"),
        ("/sandbox/faults", '{"latency_s": 1e400}', "latency_s"),
        ("/sandbox/faults", '{"latency_s": -Infinity}', "JSON"),
        ("/sandbox/faults", '{"latency_s": 1e999999}', "latency_s"),
        ("/sandbox/faults", '{"error_rate": true}', "error_rate"),
        ("/sandbox/faults", '{"error_rate": "0.5"}', "error_rate"),
        ("/sandbox/faults", '{"drop_rate": ' + "9" * 400 + "}", "drop_rate"),
        ("/sandbox/advance", '{"seconds": 1e400}', "seconds"),
        ("/sandbox/advance", '{"seconds": 1e30}', "seconds"),
        ("/sandbox/advance", '{"seconds": NaN}', "JSON"),
        ("/sandbox/advance", '{"seconds": ' + "9" * 400 + "}", "seconds"),
        ("/sandbox/advance", '{"seconds": 172801}', "at most 172800"),
        ("/sandbox/advance", '{"seconds": "60"}', "seconds"),
        ("/sandbox/advance", '{"seconds": true}', "seconds"),
        ("/sandbox/advance", "{}", "seconds"),
    ],
)
async def test_bad_admin_input_is_a_parameter_error(path: str, body: str, detail: str) -> None:
    exchange = new_exchange(traders=10)
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await _post(client, path, body)
        assert response.status_code == 400, response.text
        envelope = response.json()
        assert envelope["code"] == "40020"
        assert envelope["msg"].startswith("Parameter error: ")
        assert detail in envelope["msg"]
        assert envelope["data"] is None
        assert (await client.get("/sandbox/time")).status_code == 200
    assert exchange.faults == Faults()
    assert exchange.now_ms() == START_MS


async def test_a_bad_admin_request_leaves_a_served_sandbox_serving() -> None:
    exchange = new_exchange(traders=10)
    with SandboxServer(exchange, port=0) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for path, body in [
                ("/sandbox/faults", '{"clock_offset_ms": NaN}'),
                ("/sandbox/faults", '{"clock_offset_ms": Infinity}'),
                ("/sandbox/advance", '{"seconds": 1e400}'),
                ("/sandbox/advance", '{"seconds": 1e30}'),
            ]:
                response = await _post(client, path, body)
                assert (response.status_code, response.json()["code"]) == (400, "40020")
            response = await client.get("/sandbox/time")  # within the client's 10 s timeout
            assert response.status_code == 200
            assert response.json()["data"]["nowMs"] == START_MS


# JSON text for a value: ordinary values, and the literals a fuzzer of JSON numbers would try.
json_literals = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-1e400",
            "1e30",
            "1e-400",
            "-0",
            "0.0",
            "172800",
            "172801",
            "86400000",
            "86400001",
            "9" * 300,
            "true",
            "false",
            "null",
            "[]",
            "{}",
            '"1"',
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: json.dumps(x)),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=5).map(json.dumps),
)
field_names = st.sampled_from([*FAULT_FIELDS, "seconds", "nope", ""])
json_objects = st.lists(st.tuples(field_names, json_literals), max_size=4).map(
    lambda pairs: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in pairs) + "}"
)
bodies = st.one_of(json_objects, json_literals, st.text(max_size=20))
admin_posts = st.sampled_from(["/sandbox/faults", "/sandbox/advance", "/sandbox/stats/reset"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(admin_posts, bodies), min_size=1, max_size=4))
async def test_admin_endpoints_answer_200_or_400_and_keep_serving(
    requests: list[tuple[str, str]],
) -> None:
    # Hour-long ticks and few traders: the largest advance stays a few dozen steps.
    exchange = SandboxExchange(
        SandboxConfig(traders=5, tick_seconds=3600, rate_limit=None), ManualClock(START_MS)
    )
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        for path, body in requests:
            response = await _post(client, path, body)
            assert response.status_code in (200, 400), response.text
            envelope = response.json()
            assert (envelope["code"] == "00000") == (response.status_code == 200)
            if response.status_code == 400:
                assert envelope["code"] == "40020", envelope
            faults = exchange.faults
            assert 0 <= faults.latency_s <= 60
            assert abs(faults.clock_offset_ms) <= 86_400_000
        response = await client.get("/sandbox/time")
        assert response.status_code == 200
        now = response.json()["data"]["nowMs"]
        assert START_MS <= now <= START_MS + 4 * 2 * DAY_S * 1000
