"""The HTTP layer: everything between a resource's call and the bytes on the wire.

:mod:`._endpoints` names the seven endpoints; :mod:`._signing` signs a request;
:mod:`._clock` keeps the estimate of the server's clock; :mod:`._transport` is the seam to an
HTTP library (:mod:`._transport_httpx` over the pools of :mod:`._transport_pooled`, and
:mod:`._transport_aiohttp`, chosen by :mod:`._transport_factory`); :mod:`._envelope` reads an
answer; :mod:`._retry` decides about a failed attempt; :mod:`._redact` keeps our secrets out of
errors and log lines; :mod:`._hooks` runs the ``on_request`` hook; :mod:`._call` holds the
records of one call; :mod:`._pipeline` runs every call through all of them.
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
from ._transport import Transport, TransportName
from ._transport_factory import create_transport
from ._transport_httpx import HttpxTransport
from ._transport_pooled import PooledAsyncClient, PooledTransport, pooled_http_client

__all__ = [
    "FOLLOW",
    "HISTORY",
    "POSITIONS",
    "STOP",
    "TRADERS",
    "TRADER_DETAIL",
    "UPDATE_SETTINGS",
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
