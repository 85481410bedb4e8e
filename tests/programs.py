"""Running a reader's program as a reader would: in a process of its own
(``python -X dev -W error``, so a warning fails it), with the environment
``copytrade sandbox serve`` tells a reader to set. Used by the tests of the docs' examples, of
``examples/`` and of the tour under trio."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from copytrade_async.sandbox import SandboxServer

#: The interpreter line of every program run here.
PYTHON = (sys.executable, "-X", "dev", "-W", "error")


def reader_env(server: SandboxServer | None = None, **extra: str) -> dict[str, str]:
    """This process's environment without any ``COPYTRADE_*`` of the developer's, then the
    credentials and URL of ``server`` (None: the in-process sandbox, which needs none), then
    ``extra`` (``REDIS_URL=...``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPYTRADE_")}
    if server is not None:
        credentials = server.exchange.credentials
        env.update(
            COPYTRADE_API_KEY=credentials.api_key,
            COPYTRADE_API_SECRET=credentials.api_secret,
            COPYTRADE_PASSPHRASE=credentials.passphrase,
            COPYTRADE_BASE_URL=server.url,
        )
    env.update(extra)
    return env


def run_program(
    script: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> str:
    """Run ``script`` with ``args``; fail the test, with the end of its output, unless it
    exits 0. Returns its standard output."""
    result = subprocess.run(
        [*PYTHON, str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{script.name} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
    )
    return result.stdout
