"""The store's schema, one for SQLite and Postgres, with a version number and its migrations.

Tables:

* ``copytrade_schema``: one row, the schema version. :data:`SCHEMA_VERSION` is what this code
  writes; :func:`migrate` brings an older database up to it, one step at a time, each step in
  the transaction that records its version (a database newer than the code is refused).
* ``copytrade_follows``: every follow ever synced: its trader (when known), the first and last
  sync, the *watermark* (the time of the newest order stored, with the ids stored at exactly
  that time) and the state of a walk under way (its newest time and ids, and the oldest time it
  has committed), and ``version``, bumped by every commit that touches the row.
* ``copytrade_orders``: one row per ``(follow_id, order_id)``, every field of the client's
  :class:`~copytrade_async.HistoryOrder`. Money is text (``str(Decimal)``, exact in both
  engines: SQLite has no exact decimal type), times are integer milliseconds since the epoch
  (the exchange's resolution), ``when_ms`` is where the order stands in the history (its close
  time, or its create time while it is open), indexed for the time-range reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ._errors import StoreError

__all__ = ["FOLLOWS", "METADATA", "ORDERS", "SCHEMA", "SCHEMA_VERSION", "migrate"]

#: The schema version this code reads and writes.
SCHEMA_VERSION = 1

METADATA = sa.MetaData()

SCHEMA = sa.Table(
    "copytrade_schema",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
)

FOLLOWS = sa.Table(
    "copytrade_follows",
    METADATA,
    sa.Column("follow_id", sa.String, primary_key=True),
    sa.Column("trader_id", sa.String, nullable=True),
    sa.Column("first_synced_ms", sa.BigInteger, nullable=False),
    sa.Column("last_synced_ms", sa.BigInteger, nullable=True),
    sa.Column("watermark_ms", sa.BigInteger, nullable=True),
    sa.Column("watermark_ids", sa.Text, nullable=False, default="[]"),
    sa.Column("walk_top_ms", sa.BigInteger, nullable=True),
    sa.Column("walk_top_ids", sa.Text, nullable=False, default="[]"),
    sa.Column("walk_low_ms", sa.BigInteger, nullable=True),
    sa.Column("version", sa.BigInteger, nullable=False, default=0),
)

ORDERS = sa.Table(
    "copytrade_orders",
    METADATA,
    sa.Column("follow_id", sa.String, primary_key=True),
    sa.Column("order_id", sa.String, primary_key=True),
    sa.Column("when_ms", sa.BigInteger, nullable=False),
    sa.Column("symbol", sa.String, nullable=False),
    sa.Column("side", sa.String, nullable=False),
    sa.Column("size", sa.String, nullable=False),
    sa.Column("entry_price", sa.String, nullable=False),
    sa.Column("profit", sa.String, nullable=False),
    sa.Column("leverage", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("create_ms", sa.BigInteger, nullable=False),
    sa.Column("exit_price", sa.String, nullable=True),
    sa.Column("close_ms", sa.BigInteger, nullable=True),
    sa.Index("copytrade_orders_by_time", "follow_id", "when_ms", "order_id"),
)

Step = Callable[[AsyncConnection], Awaitable[None]]


async def _create_v1(conn: AsyncConnection) -> None:
    await conn.run_sync(METADATA.create_all)


#: ``version -> the step that builds it from version - 1``. A new version adds its step here
#: (an ``ALTER TABLE``, a backfill) and bumps :data:`SCHEMA_VERSION`.
_STEPS: dict[int, Step] = {1: _create_v1}


async def _current(conn: AsyncConnection) -> int:
    exists = await conn.run_sync(lambda sync: sa.inspect(sync).has_table(SCHEMA.name))
    if not exists:
        return 0
    version = (await conn.execute(sa.select(SCHEMA.c.version).where(SCHEMA.c.id == 1))).scalar()
    return int(version or 0)


async def migrate(conn: AsyncConnection) -> int:
    """Bring the database to :data:`SCHEMA_VERSION` inside the caller's transaction; return the
    version found. A database of a newer schema raises :class:`StoreError`."""
    found = await _current(conn)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {found}; this copytrade_async knows up to "
            f"{SCHEMA_VERSION}: upgrade copytrade_async"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        await _STEPS[version](conn)
        if version == 1:
            await conn.execute(sa.insert(SCHEMA).values(id=1, version=1))
        else:
            await conn.execute(sa.update(SCHEMA).where(SCHEMA.c.id == 1).values(version=version))
    return found
