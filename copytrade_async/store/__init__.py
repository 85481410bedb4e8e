"""A durable, incremental store of follows' histories: SQLite by default, Postgres for a fleet.

Needs the ``store`` extra (``pip install -e '.[store]'``)::

    async with HistoryStore("postgresql://bot@db/copytrade") as store:
        await store.sync(client, ["follow-1", "follow-2"])
        async for order in store.orders("follow-1"):
            ...

Each page of a sync is one transaction that upserts its orders by ``orderId`` and records how
far the walk got, so a sync killed at any point and run again ends with every order once (see
:mod:`._sync` and ``docs/store.md``). Orders come back as the client's own
:class:`~copytrade_async.HistoryOrder`.
"""

from __future__ import annotations

try:
    import sqlalchemy as _sqlalchemy  # noqa: F401  (only in the store extra)
except ImportError as _missing:  # pragma: no cover - depends on the install
    raise ImportError(
        "copytrade_async.store needs the store extra: pip install -e '.[store]'"
    ) from _missing

from ._engine import default_path, to_url
from ._errors import StoreError
from ._rows import from_ms
from ._schema import SCHEMA_VERSION
from ._store import EXPORT_FIELDS, HistoryStore, StoredFollow, order_writer
from ._sync import FollowSync, SyncProgress

__all__ = [
    "EXPORT_FIELDS",
    "SCHEMA_VERSION",
    "FollowSync",
    "HistoryStore",
    "StoreError",
    "StoredFollow",
    "SyncProgress",
    "default_path",
    "from_ms",
    "order_writer",
    "to_url",
]
