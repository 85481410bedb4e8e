"""Every Python example in README.md and docs/ runs as written.

Each fenced ``python`` block is run as a program of its own (``python -X dev -W error``); a
block whose first line is ``# continued`` runs after the blocks before it in the same file. With
the environment a reader would have set up: ``COPYTRADE_API_KEY``, ``COPYTRADE_API_SECRET``,
``COPYTRADE_PASSPHRASE`` and ``COPYTRADE_BASE_URL`` pointing at a sandbox served on loopback
(what ``copytrade sandbox serve`` prints), and ``REDIS_URL`` at a real Redis server (the one the
rate-limit tests use). So an example can't rot: one that stops running fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock

from .programs import reader_env, run_program
from .ratelimit.conftest import RedisServer, redis_executable

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)
#: A whole example may take this long (the slowest runs the toolkit's monitor for a few rounds).
TIMEOUT_S = 60


CONTINUED = "# continued"


def examples() -> Iterator[tuple[str, str]]:
    for path in DOCS:
        text = path.read_text()
        before = ""
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            code = match.group(1)
            if code.startswith(CONTINUED):
                code = before + code
            before = code
            yield f"{path.relative_to(ROOT)}:{line}", code


EXAMPLES = list(examples())


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 5
    assert {name.partition(":")[0] for name, _ in EXAMPLES} >= {"README.md"}


@pytest.fixture(scope="module")
def served_sandbox() -> Iterator[SandboxServer]:
    # Real time (the examples sign with their own clock), 40 traders (walking them all takes a
    # few seconds at the client's default 5/s) and a generous limit: examples run one after
    # another and must not wait on the sandbox's per-key bucket.
    config = SandboxConfig(seed=7, traders=40, rate_limit=200)
    with SandboxServer(SandboxExchange(config, clock=WallClock())) as server:
        yield server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(redis_executable(), tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_example_runs_as_written(
    name: str,
    code: str,
    served_sandbox: SandboxServer,
    redis_url: str,
    tmp_path: Path,
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = reader_env(served_sandbox, REDIS_URL=redis_url)
    run_program(script, env=env, cwd=tmp_path, timeout=TIMEOUT_S)
