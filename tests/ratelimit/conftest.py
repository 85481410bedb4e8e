"""A real ``redis-server`` per test, on a free loopback port.

Without ``redis-server`` on the PATH these tests fail (CI installs it), unless
``COPYTRADE_SKIP_REDIS=1`` is set, which skips them (for a laptop without Redis).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP_ENV = "COPYTRADE_SKIP_REDIS"
_START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process without persistence; it can be killed and started again on
    the same port (state lost, as after a crash)."""

    def __init__(self, executable: str, directory: Path) -> None:
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        assert self._process is None, "already running"
        self._process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not ping(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.01)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as in a crash."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def freeze(self) -> None:
        """Stop the process without closing its sockets: Redis hangs (timeouts, not refusals)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)


def redis_executable() -> str:
    executable = shutil.which("redis-server")
    if executable is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"redis-server is not installed ({SKIP_ENV}=1)")
        pytest.fail(
            "the fleet tests need redis-server on the PATH (Debian/Ubuntu: "
            f"apt-get install -y redis-server); set {SKIP_ENV}=1 to skip them",
            pytrace=False,
        )
    return executable


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.running:
            server.thaw()
        server.kill()
