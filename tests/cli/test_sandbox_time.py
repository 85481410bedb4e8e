"""Time in a served sandbox: ``sandbox serve --manual-clock`` / ``--speed`` and
``copytrade sandbox advance``.

The end-to-end test serves the sandbox in a subprocess, as a user would, and drives it with the
commands the README shows; the others serve it from a thread of the test (quicker) or answer
with respx.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from copytrade_async.sandbox import (
    ManualClock,
    SandboxClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    ScaledClock,
    WallClock,
)

from .helpers import json_of, one_line, run_cli
from .test_sandbox_serve import export_blocks

DAY = timedelta(days=1)
START_MS = 1_700_000_000_000


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def admin(url: str, method: str, path: str) -> dict[str, object]:
    data = httpx.request(method, f"{url}/sandbox/{path}", timeout=10).json()["data"]
    assert isinstance(data, dict)
    return data


@pytest.fixture
def served_sandbox(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[SandboxExchange, str]]:
    """A sandbox served from a thread on the clock the test names (hour-long ticks, five
    traders: advancing days is a few dozen steps)."""
    clock: SandboxClock = request.param
    config = SandboxConfig(traders=5, tick_seconds=3600, rate_limit=None)
    exchange = SandboxExchange(config, clock)
    with SandboxServer(exchange, port=0, keep_up_s=None) as server:
        yield exchange, server.url


def test_manual_clock_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve --manual-clock, follow traders, `sandbox advance 1d`, find the closed trades in
    `history export`; then a second day with a one-day retention forgets the first day's."""
    command = [sys.executable, "-m", "copytrade_async", "sandbox", "serve", "--port", "0"]
    options = ["--manual-clock", "--seed", "5", "--traders", "40", "--rate-limit", "0"]
    options += ["--history-retention-days", "1"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None and server.stderr is not None
        printed: list[str] = []
        try:
            while not printed or printed[-1] != "Ctrl-C to stop.":
                line = server.stdout.readline()
                assert line, f"the server ended early: {server.stderr.read()}"
                printed.append(line.rstrip("\n"))
            for name, value in export_blocks("\n".join(printed))["live"].items():
                monkeypatch.setenv(name, value)
            url = printed[0].rpartition(" at ")[2]
            assert printed[1].startswith("clock: manual, time moves only with `copytrade sandbox")
            assert "forgotten" in printed[1], printed[1]
            _drive(url)
        finally:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=15)


def test_serve_at_a_speed() -> None:
    command = [sys.executable, "-m", "copytrade_async", "sandbox", "serve", "--port", "0"]
    options = ["--speed", "1440", "--traders", "10", "--max-follows", "3", "--deposit", "2500.5"]
    with subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout is not None
        try:
            printed = [server.stdout.readline().rstrip("\n") for _ in range(2)]
            url = printed[0].rpartition(" at ")[2]
            clock = admin(url, "GET", "time")
            admin_account = admin(url, "GET", "account")["available"]
        finally:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=15)
    assert "10 traders, 3 follows per account, 2,500.5 USDT each," in printed[0], printed
    assert printed[1] == (
        "clock: 1440 simulated seconds per real second; history: every closed trade kept"
    )
    assert (clock["clock"], clock["speed"], clock["advances"]) == ("scaled", 1440, True)
    assert admin_account == "2500.5"


def _drive(url: str) -> None:
    start = admin(url, "GET", "time")
    assert (start["clock"], start["advances"]) == ("manual", True)
    start_time = datetime.fromtimestamp(int(str(start["nowMs"])) / 1000, UTC)

    traders = json_of(run_cli("--json", "traders", "list", "--limit", "40"))
    active = [t["trader_id"] for t in traders if t["status"] == "active"][:6]
    follow_ids = [
        json_of(run_cli("--json", "follow", "start", t, "--amount", "1000", "--leverage", "2"))[
            "follow_id"
        ]
        for t in active
    ]
    assert len(follow_ids) == 6
    # The clock has not moved for any of those requests: no trade has closed.
    assert admin(url, "GET", "time")["nowMs"] == start["nowMs"]
    assert export(follow_ids[0]) == []

    moved = run_cli("sandbox", "advance", "1d", "--url", url)
    assert moved.exit_code == 0, moved.stderr
    reached = re.fullmatch(r"sandbox time (\S+) \(advanced 86400 s\)\n", moved.stdout)
    assert reached is not None, moved.stdout
    assert iso(reached[1]) == start_time + DAY

    first_day = {f: export(f) for f in follow_ids}
    trades = [row for rows in first_day.values() for row in rows]
    assert len(trades) >= 10, {f: len(rows) for f, rows in first_day.items()}
    for row in trades:
        assert row["status"] == "closed"
        assert start_time < iso(row["close_time"]) <= start_time + DAY
    # Every trade the books realised is in the exports, to the last digit.
    books = admin(url, "GET", "account")
    assert sum(Decimal(row["profit"]) for row in trades) == Decimal(str(books["realizedPnl"]))

    # A second day: with one day of retention, the first day's trades are forgotten (but the one
    # closed at its very end, if any, which is exactly one day old).
    assert run_cli("sandbox", "advance", "86400", "--url", url).exit_code == 0
    horizon = start_time + DAY
    forgotten_in_all = 0
    for follow_id, before in first_day.items():
        after = export(follow_id)
        assert all(iso(row["close_time"]) >= horizon for row in after)
        kept = {row["order_id"] for row in before if iso(row["close_time"]) >= horizon}
        assert kept <= {row["order_id"] for row in after}
        forgotten = {row["order_id"] for row in before} - kept
        assert not forgotten & {row["order_id"] for row in after}
        forgotten_in_all += len(forgotten)
    assert forgotten_in_all >= 10


def export(follow_id: str) -> list[dict[str, str]]:
    result = run_cli("history", "export", follow_id)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_the_readme_shows_these_commands() -> None:
    """The README's shell example of a manual clock: the commands the end-to-end test runs, each
    of whose options the command line knows (a command and ``--help`` parse every option
    first)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)^```$", readme, re.M | re.S)
    block = next(b for b in blocks if "--manual-clock" in b)
    commands = [shlex.split(line.partition("#")[0]) for line in block.splitlines()]
    assert [c[1:3] for c in commands] == [
        ["sandbox", "serve"],
        ["--json", "traders"],
        ["follow", "start"],
        ["sandbox", "advance"],
        ["history", "export"],
    ]
    assert "--manual-clock" in commands[0] and "1d" in commands[3]
    for command in commands:
        assert command[0] == "copytrade"
        result = run_cli(*command[1:], "--help")
        assert result.exit_code == 0, (command, result.stderr)


# ----- copytrade sandbox advance against a sandbox served from the test ----------------------


@pytest.mark.parametrize("served_sandbox", [ManualClock(START_MS)], indirect=True)
def test_advance_moves_a_manual_clock_in_steps(
    served_sandbox: tuple[SandboxExchange, str],
) -> None:
    exchange, url = served_sandbox
    # Five days: more than one call may move (two days), so three calls.
    result = run_cli("--json", "sandbox", "advance", "5d", "--url", url + "/")
    moved = json_of(result)
    assert exchange.now_ms() == START_MS + 5 * 86_400_000
    assert moved["now_ms"] == START_MS + 5 * 86_400_000
    assert iso(moved["now"]) == datetime.fromtimestamp(START_MS / 1000, UTC) + 5 * DAY
    assert moved["advanced_seconds"] == 432_000
    # Zero seconds reports the time and moves nothing.
    still = run_cli("sandbox", "advance", "0", "--url", url)
    assert still.stdout.startswith("sandbox time ") and "(advanced 0 s)" in still.stdout
    assert exchange.now_ms() == START_MS + 5 * 86_400_000


@pytest.mark.parametrize(
    "served_sandbox", [ScaledClock(60, START_MS, monotonic_ns=lambda: 0)], indirect=True
)
def test_advance_moves_a_scaled_clock(served_sandbox: tuple[SandboxExchange, str]) -> None:
    exchange, url = served_sandbox
    assert admin(url, "GET", "time") | {"nowMs": 0, "serverTimeMs": 0} == {
        "nowMs": 0,
        "serverTimeMs": 0,
        "clock": "scaled",
        "speed": 60,
        "advances": True,
        "maxAdvanceSeconds": 2 * 86_400,
    }
    assert json_of(run_cli("--json", "sandbox", "advance", "1.5h", "--url", url))["now_ms"] == (
        START_MS + 5_400_000
    )
    assert exchange.now_ms() == START_MS + 5_400_000


@pytest.mark.parametrize("served_sandbox", [WallClock()], indirect=True)
def test_advance_refuses_a_wall_clock_in_one_line(
    served_sandbox: tuple[SandboxExchange, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = served_sandbox
    monkeypatch.setenv("COPYTRADE_BASE_URL", url)  # --url from the environment
    result = run_cli("sandbox", "advance", "60")
    assert result.exit_code == 1
    assert one_line(result) == (
        f"error: the sandbox at {url} follows the wall clock and cannot be moved: serve it with"
        " `copytrade sandbox serve --manual-clock` (or --speed N)"
    )
    # The endpoint itself says the same, naming the flags.
    answer = httpx.post(f"{url}/sandbox/advance", json={"seconds": 60}, timeout=10).json()
    assert answer["code"] == "40020" and "--manual-clock" in answer["msg"]
    assert admin(url, "GET", "time")["advances"] is False


def test_advance_without_a_url_is_a_usage_error() -> None:
    result = run_cli("sandbox", "advance", "60")
    assert result.exit_code == 2
    assert one_line(result).startswith(
        "error: invalid value for '--url': the served sandbox's URL is needed: --url http://"
    )


def test_advance_to_nothing_listening_is_exit_3() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("sandbox", "advance", "60", "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 3
    assert one_line(result).startswith(
        f"error: cannot reach the sandbox at http://127.0.0.1:{port} ("
    )


@respx.mock(base_url="http://exchange.test", assert_all_called=True)
def test_advance_to_something_else_says_so(respx_mock: respx.MockRouter) -> None:
    respx_mock.get("/sandbox/time").respond(404, html="<h1>Not Found</h1>")
    result = run_cli("sandbox", "advance", "60", "--url", "http://exchange.test")
    assert result.exit_code == 3
    assert one_line(result) == (
        "error: http://exchange.test does not answer as a served sandbox (GET /sandbox/time:"
        " HTTP 404); start one with `copytrade sandbox serve`"
    )


@respx.mock(base_url="http://sandbox.test", assert_all_called=True)
def test_advance_reports_the_sandbox_refusal(respx_mock: respx.MockRouter) -> None:
    time_data = {"nowMs": START_MS, "clock": "manual", "advances": True, "maxAdvanceSeconds": 60}
    respx_mock.get("/sandbox/time").respond(json={"code": "00000", "data": time_data})
    refusal = {"code": "40020", "msg": "Parameter error:\nseconds  too big", "data": None}
    advance = respx_mock.post("/sandbox/advance").respond(400, json=refusal)
    result = run_cli("sandbox", "advance", "2m", "--url", "http://sandbox.test")
    assert result.exit_code == 1
    assert one_line(result) == (
        "error: http://sandbox.test: code 40020: Parameter error: seconds too big"
    )
    assert json.loads(advance.calls.last.request.content) == {"seconds": 60}  # a first step


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        *[("0", 0), ("86400", 86_400), ("1.5", 1.5), (".5s", 0.5), ("45s", 45), ("30m", 1800)],
        *[("12h", 43_200), ("2d", 172_800), ("1.5D", 129_600), (" 366d ", 366 * 86_400)],
    ],
)
def test_durations(text: str, seconds: float) -> None:
    with respx.mock(base_url="http://sandbox.test") as mock:
        data = {"nowMs": START_MS, "clock": "manual", "advances": True, "maxAdvanceSeconds": 10**9}
        mock.get("/sandbox/time").respond(json={"code": "00000", "data": data})
        advance = mock.post("/sandbox/advance").respond(
            json={"code": "00000", "data": {"nowMs": START_MS}}
        )
        result = run_cli("sandbox", "advance", text, "--url", "http://sandbox.test")
    assert result.exit_code == 0, result.stderr
    assert json.loads(advance.calls.last.request.content) == {"seconds": seconds}


@pytest.mark.parametrize("text", ["-1", "1x", "1 d", "d", "", "1e3", "367d", "nan", "inf"])
def test_bad_durations_are_refused_in_one_line(text: str) -> None:
    result = run_cli("sandbox", "advance", text, "--url", "http://sandbox.test")
    assert result.exit_code == 2
    assert one_line(result).startswith("error: ")


@pytest.mark.parametrize("url", ["ftp://sandbox.test", "sandbox.test:8765", "http://"])
def test_bad_urls_are_refused_in_one_line(url: str) -> None:
    result = run_cli("sandbox", "advance", "60", "--url", url)
    assert result.exit_code == 2
    assert one_line(result).startswith("error: invalid value for '--url': ")


# ----- sandbox serve's clock options ----------------------------------------------------------


def test_manual_clock_and_speed_exclude_each_other() -> None:
    result = run_cli("sandbox", "serve", "--manual-clock", "--speed", "60")
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("error: --manual-clock and --speed exclude each other: pick one (")
    assert line.endswith(" sandbox serve --help)")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--speed", "0"),
        ("--speed", "-1"),
        ("--speed", "10001"),
        ("--speed", "nan"),
        ("--speed", "fast"),
        ("--history-retention-days", "0"),
        ("--history-retention-days", "-1"),
        ("--history-retention-days", "36501"),
        ("--history-retention-days", "nan"),
        ("--history-retention-days", "inf"),
        ("--deposit", "-1"),
        ("--deposit", "lots"),
        ("--deposit", "NaN"),
        ("--deposit", "1e16"),
    ],
)
def test_clock_options_are_validated(option: str, value: str) -> None:
    result = run_cli("sandbox", "serve", option, value)
    assert result.exit_code == 2
    assert one_line(result).startswith(f"error: invalid value for '{option}': ")
