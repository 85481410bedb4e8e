"""From a URL to an async SQLAlchemy engine: SQLite (aiosqlite, WAL) or Postgres (asyncpg).

Accepted: ``postgresql://`` (or ``postgres://``, ``postgresql+asyncpg://``), ``sqlite:///path``
(or ``sqlite+aiosqlite:///path``), or a plain file path (a SQLite file). ``None`` is the default
file, ``history.sqlite3`` in the user's data directory (platformdirs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["default_path", "make_engine", "shown_url", "to_url"]

#: How long a SQLite writer waits for another process's write lock.
SQLITE_BUSY_TIMEOUT_S = 30.0


def default_path() -> Path:
    """The default store: ``history.sqlite3`` in the user's data directory."""
    return platformdirs.user_data_path("copytrade", appauthor=False) / "history.sqlite3"


def to_url(url: str | Path | None) -> URL:
    """The SQLAlchemy URL (async driver) for what the user gave; ``ValueError`` if unusable."""
    if url is None:
        url = default_path()
    if isinstance(url, Path):
        return URL.create("sqlite+aiosqlite", database=str(url))
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"the store's url must be a non-empty string or a path, got {url!r:.60}")
    if "://" not in url:
        return URL.create("sqlite+aiosqlite", database=url)
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError(
            "the store's url cannot be read (expected postgresql:// or sqlite:///)"
        ) from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("the store needs a SQLite file: sqlite:///path/to/history.sqlite3")
        return parsed.set(drivername="sqlite+aiosqlite")
    raise ValueError(f"the store supports postgresql:// and sqlite:/// urls, not {backend}://")


def shown_url(url: URL) -> str:
    """The URL as it may be printed: never its password."""
    return url.render_as_string(hide_password=True)


def make_engine(url: URL) -> AsyncEngine:
    """An engine for ``url``: SQLite in WAL mode (readers never block the writer) with
    ``synchronous=NORMAL`` (a commit survives a killed process; WAL keeps the file whole) and
    a busy timeout; Postgres through asyncpg."""
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

        @sa.event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)
