"""Fixtures of the HTTP layer's tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from .keepalive import KeepAliveServer


@pytest.fixture
async def keepalive() -> AsyncIterator[KeepAliveServer]:
    state = KeepAliveServer()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield state
        server.close()
