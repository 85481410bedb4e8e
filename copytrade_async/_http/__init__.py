"""The HTTP layer: everything between a resource's call and the bytes on the wire.

:mod:`._endpoints` names the seven endpoints; :mod:`._signing` signs a request;
:mod:`._clock` keeps the estimate of the server's clock; :mod:`._transport` is the seam to an
HTTP library, with :mod:`._transport_httpx` (the default) and :mod:`._transport_aiohttp`
behind it, chosen by :mod:`._transport_factory`. Under the default, :mod:`._transport_asyncio`
keeps the connections, which speak HTTP/1.1 through :mod:`._h1`, :mod:`._h1_connection` and
:mod:`._h1_body`, and hands trio to the httpcore pools of :mod:`._transport_pooled`;
:mod:`._shared_client` makes a client to share. :mod:`._envelope` reads an answer;
:mod:`._retry` decides about a failed attempt; :mod:`._redact` keeps our secrets out of errors
and log lines; :mod:`._hooks` runs the ``on_request`` hook; :mod:`._call` holds the records of
one call; :mod:`._pipeline` runs every call through all of them.
"""

from ._call import Build
from ._clock import ServerClock
from ._endpoints import (
    FOLLOW,
    HISTORY,
    POSITIONS,
    STOP,
    TRADER_DETAIL,
    TRADERS,
    UPDATE_SETTINGS,
    Endpoint,
    RetrySafety,
)
from ._envelope import Envelope
from ._pipeline import RequestPipeline
from ._retry import build_retry_template
from ._shared_client import PooledAsyncClient, pooled_http_client
from ._transport import Transport, TransportName
from ._transport_asyncio import AsyncioTransport
from ._transport_factory import create_transport
from ._transport_httpx import HttpxTransport
from ._transport_pooled import PooledTransport

__all__ = [
    "FOLLOW",
    "HISTORY",
    "POSITIONS",
    "STOP",
    "TRADERS",
    "TRADER_DETAIL",
    "UPDATE_SETTINGS",
    "AsyncioTransport",
    "Build",
    "Endpoint",
    "Envelope",
    "HttpxTransport",
    "PooledAsyncClient",
    "PooledTransport",
    "RequestPipeline",
    "RetrySafety",
    "ServerClock",
    "Transport",
    "TransportName",
    "build_retry_template",
    "create_transport",
    "pooled_http_client",
]
