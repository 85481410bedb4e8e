"""The seam between the request pipeline and an HTTP library: what a transport must do.

The pipeline needs one thing from HTTP: send a request it has built and signed, and hand back
the status, the headers and the body. :class:`Transport` is that seam, with two
implementations, each in a module of its own:

* :class:`~._transport_httpx.HttpxTransport` (the default) sends through an
  ``httpx.AsyncClient``: one we build, or the caller's own (``http_client=``), which keeps its
  mounts, proxies, event hooks and mock transports (respx, ``httpx.MockTransport``,
  ``httpx.ASGITransport``).
* :class:`~._transport_aiohttp.AiohttpTransport` sends through an ``aiohttp.ClientSession``:
  the faster choice under load, imported only when chosen.

:mod:`._transport_factory` picks one for the client's arguments. Both follow no redirects and
fail the same way, through :func:`timeout_error`, :func:`connection_error` and
:func:`encoding_error`: :class:`APITimeoutError` for a timeout and :class:`APIConnectionError`
for any other transport failure, with ``request_sent=False`` only when the request provably
never left this machine (the connection could not be opened, or no pooled connection became
free in time); :class:`ResponseDecodeError` for a body whose ``Content-Encoding`` (gzip,
deflate) is corrupt or lies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

import httpx

from .._exceptions import APIConnectionError, APITimeoutError, ResponseDecodeError

__all__ = [
    "TRANSPORTS",
    "RawResponse",
    "Transport",
    "TransportName",
    "connection_error",
    "encoding_error",
    "timeout_error",
]

TransportName = Literal["httpx", "aiohttp"]
TRANSPORTS: tuple[TransportName, ...] = ("httpx", "aiohttp")

#: What a transport hands back: status, headers (looked up case-insensitively), body.
RawResponse = tuple[int, Mapping[str, str], bytes]


class Transport(Protocol):
    """What the pipeline needs from an HTTP library."""

    #: "httpx" or "aiohttp".
    name: TransportName

    async def send(
        self,
        endpoint: str,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: httpx.Timeout,
    ) -> RawResponse:
        """Send one request, without following redirects, within ``timeouts``.
        ``endpoint`` names the call in the errors raised."""
        ...

    async def aclose(self) -> None:
        """Close the underlying client if this transport made it; idempotent."""
        ...


def timeout_error(endpoint: str, exc: BaseException, *, request_sent: bool) -> APITimeoutError:
    """The error for a transport's timeout (raise it ``from exc``)."""
    return APITimeoutError(endpoint, f"timed out ({type(exc).__name__})", request_sent=request_sent)


def connection_error(
    endpoint: str, exc: BaseException, *, request_sent: bool
) -> APIConnectionError:
    """The error for any other transport failure (raise it ``from exc``)."""
    return APIConnectionError(
        endpoint, f"connection failed ({type(exc).__name__}: {exc})", request_sent=request_sent
    )


def encoding_error(
    endpoint: str, exc: BaseException, *, http_status: int | None
) -> ResponseDecodeError:
    """The error for a body whose ``Content-Encoding`` cannot be decoded (raise it ``from exc``):
    the bytes came from the server, so it is a malformed response, as a body that is not JSON."""
    return ResponseDecodeError(
        endpoint,
        f"cannot decode the body's Content-Encoding ({type(exc).__name__}: {exc})",
        http_status=http_status,
    )
