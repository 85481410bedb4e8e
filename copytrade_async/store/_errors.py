"""The store's own error: a bot catching :class:`~copytrade_async.CopyTradeError` sees it too."""

from __future__ import annotations

from .. import CopyTradeError

__all__ = ["StoreError"]


class StoreError(CopyTradeError):
    """The history store failed: the database could not be reached or read, or it holds a
    schema this version does not know. The database is left as the last commit left it."""
