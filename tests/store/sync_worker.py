"""A sync in its own process, for the kill and fleet tests:
``python -m tests.store.sync_worker BASE_URL DB_URL FOLLOW_ID...`` syncs once (page size 5)
with the sandbox's live credentials, printing ``page`` after each committed page."""

from __future__ import annotations

import asyncio
import sys

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.sandbox import LIVE_CREDENTIALS
from copytrade_async.store import HistoryStore, SyncProgress


async def main(base_url: str, db_url: str, follow_ids: list[str]) -> None:
    def progress(_: SyncProgress) -> None:
        print("page", flush=True)

    async with (
        AsyncCopyTradeClient(
            api_key=LIVE_CREDENTIALS.api_key,
            api_secret=LIVE_CREDENTIALS.api_secret,
            passphrase=LIVE_CREDENTIALS.passphrase,
            base_url=base_url,
            rate_limits=None,
        ) as client,
        HistoryStore(db_url) as store,
    ):
        await store.sync(client, follow_ids, page_size=5, on_page=progress)
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
