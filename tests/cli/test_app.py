"""The root command: credentials, exit codes, ``--demo``, ``copytrade demo``, ``python -m``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from copytrade_async import APIConnectionError, APIError, APITimeoutError, ResponseDecodeError
from copytrade_async._cli._context import CliState
from copytrade_async._cli._errors import CliError, exit_code_for
from copytrade_async.sandbox import DEMO_CREDENTIALS, SandboxExchange

from .helpers import CREDENTIAL_VARS, one_line, python, run_cli


class NotTheExchange(BaseHTTPRequestHandler):
    """Answers every request with an HTML page, and remembers the headers it got."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        NotTheExchange.seen.append(dict(self.headers))
        body = b"<html>maintenance</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def html_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotTheExchange)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARS:
        monkeypatch.setenv(name, f"test-{name.lower()}")


def test_missing_credentials_is_exit_2() -> None:
    result = run_cli("traders", "list")
    assert result.exit_code == 2
    assert one_line(result) == (
        "error: missing credentials: set COPYTRADE_API_KEY, COPYTRADE_API_SECRET,"
        " COPYTRADE_PASSPHRASE (or use --sandbox to try the simulated exchange)"
    )


def test_one_missing_credential_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPYTRADE_API_KEY", "key")
    monkeypatch.setenv("COPYTRADE_API_SECRET", "secret")
    result = run_cli("positions", "1")
    assert result.exit_code == 2
    assert "set COPYTRADE_PASSPHRASE (or" in one_line(result)


@pytest.mark.usefixtures("credentials")
def test_connection_refused_is_exit_3() -> None:
    import socket

    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli(
        "--base-url", f"http://127.0.0.1:{port}", "--max-retries", "0", "positions", "1"
    )
    assert result.exit_code == 3
    assert one_line(result).startswith("error: follows.positions: connection failed")


@pytest.mark.usefixtures("credentials")
def test_an_undecodable_answer_is_exit_3_and_demo_sends_the_paper_header(
    html_server: str,
) -> None:
    NotTheExchange.seen.clear()
    result = run_cli("--base-url", html_server, "--demo", "--max-retries", "0", "traders", "list")
    assert result.exit_code == 3
    assert one_line(result).startswith("error: traders.list: malformed response (HTTP 200)")
    (headers,) = NotTheExchange.seen
    assert headers["paptrading"] == "1"
    assert headers["ACCESS-KEY"] == "test-copytrade_api_key"


@pytest.mark.usefixtures("credentials")
def test_copytrade_demo_in_the_environment_is_demo(
    html_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    NotTheExchange.seen.clear()
    monkeypatch.setenv("COPYTRADE_DEMO", "1")
    run_cli("--base-url", html_server, "--max-retries", "0", "traders", "list")
    monkeypatch.setenv("COPYTRADE_DEMO", "0")
    run_cli("--base-url", html_server, "--max-retries", "0", "traders", "list")
    assert [headers.get("paptrading") for headers in NotTheExchange.seen] == ["1", None]
    monkeypatch.setenv("COPYTRADE_DEMO", "maybe")
    result = run_cli("--base-url", html_server, "traders", "list")
    assert result.exit_code == 2
    assert "invalid value for '--demo'" in result.stderr.lower()


def test_sandbox_demo_uses_the_demo_account(
    exchange: SandboxExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    trader_id = exchange.trader_ids(active=True)[0]
    start = ("follow", "start", trader_id, "--amount", "300", "--leverage", "2")
    assert run_cli("--sandbox", "--demo", *start, exchange=exchange).exit_code == 0
    assert exchange.account(DEMO_CREDENTIALS.api_key).active_follows == 1
    assert exchange.account().active_follows == 0
    assert run_cli("--sandbox", *start, exchange=exchange).exit_code == 0
    assert exchange.account().active_follows == 1
    monkeypatch.setenv("COPYTRADE_DEMO", "1")  # as the demo block of `sandbox serve` exports
    result = run_cli("--sandbox", *start, exchange=exchange)
    assert result.exit_code == 1  # already following, on the demo account
    assert "80005" in one_line(result)
    # A fresh sandbox per run, either account.
    assert run_cli("--sandbox", "--demo", "traders", "list").exit_code == 0


def test_a_bad_base_url_is_exit_2(credentials: None) -> None:
    result = run_cli("--base-url", "ftp://example.com", "traders", "list")
    assert result.exit_code == 2
    assert one_line(result) == "error: --base-url must be an http(s) URL, got 'ftp://example.com'"


def test_interrupted_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: CliState, body: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(CliState, "run", interrupted)
    result = run_cli("--sandbox", "traders", "list")
    assert result.exit_code == 130
    assert result.stderr == "interrupted\n"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (APIError("follows.start", "80003", "Insufficient balance", http_status=400), 1),
        (APIConnectionError("traders.list", "connection failed"), 3),
        (APITimeoutError("traders.list", "timed out"), 3),
        (ResponseDecodeError("traders.list", "not JSON"), 3),
        (ValueError("leverage must be between 1 and 125, got 0"), 2),
        (CliError("missing credentials"), 2),
        (KeyboardInterrupt(), 130),
        (RuntimeError("a bug"), None),
    ],
)
def test_exit_codes(error: BaseException, code: int | None) -> None:
    assert exit_code_for(error) == code


def test_help_documents_the_exit_codes() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "Exit codes:" in result.stdout and "130  interrupted" in result.stdout
    for command in ("traders", "follow", "positions", "history", "sandbox", "demo"):
        assert command in result.stdout


def test_demo_runs_without_credentials_or_network() -> None:
    result = run_cli("demo", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("copytrade demo: sandbox seed 7")
    assert "4. Results (all follows stopped):" in result.stdout
    assert "exit status" not in result.stdout  # the exit code says it


def test_python_dash_m() -> None:
    done = python("-m", "copytrade_async", "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: python -m copytrade_async" in done.stdout and "Exit codes:" in done.stdout


def test_python_dash_m_without_the_cli_extra() -> None:
    # Importing click fails as it would if the [cli] extra were not installed.
    code = (
        "import runpy, sys; sys.modules['click'] = None;"
        " runpy.run_module('copytrade_async', run_name='__main__', alter_sys=True)"
    )
    done = python("-c", code, "traders", "list")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "copytrade: the command line needs the [cli] extra: pip install -e '.[cli]'\n"
    )
