"""The seam between the request pipeline and an HTTP library: what a transport must do.

The pipeline needs one thing from HTTP: send a request it has built and signed, and hand back
the status, the headers and the body. :class:`Transport` is that seam, with two
implementations, each in a module of its own:

* :class:`~._transport_httpx.HttpxTransport` (the default) sends through an
  ``httpx.AsyncClient``: one we build (on an :class:`~._transport_asyncio.AsyncioTransport`,
  whose own connections it uses directly), or the caller's own (``http_client=``), which keeps
  its mounts, proxies, event hooks and mock transports (respx, ``httpx.MockTransport``,
  ``httpx.ASGITransport``).
* :class:`~._transport_aiohttp.AiohttpTransport` sends through an ``aiohttp.ClientSession``,
  imported only when chosen.

:mod:`._transport_factory` picks one for the client's arguments. Both follow no redirects and
fail the same way, through :func:`timeout_error`, :func:`connection_error`,
:func:`encoding_error` and :func:`too_large`: :class:`APITimeoutError` for a timeout and
:class:`APIConnectionError` for any other transport failure, with ``request_sent=False`` only
when the request provably never left this machine (the connection could not be opened, or no
pooled connection became free in time); :class:`ResponseDecodeError` for a body whose
``Content-Encoding`` (gzip, deflate) is corrupt or lies.

Both bound every attempt the same way:

* **Time**: besides httpx's per-phase timeouts (each connect, each read, each write, the wait
  for a pooled connection), one deadline for the whole attempt: getting a connection, sending,
  the headers and the whole body together (``ClientOptions.attempt_deadline``). A server that
  drips its answer a byte at a time gets :class:`APITimeoutError` at the deadline, with
  ``request_sent=True`` once the request went out.
* **Memory**: the body is read in chunks and no further than ``max_bytes`` (decoded: a gzip
  bomb stops there too); a ``Content-Length`` above it fails at once, before the body is read.
  Past the cap: :class:`ResponseTooLargeError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from typing import Literal, Protocol

import httpx
import sniffio

from .._exceptions import (
    APIConnectionError,
    APITimeoutError,
    ResponseDecodeError,
    ResponseTooLargeError,
)

__all__ = [
    "TRANSPORTS",
    "RawResponse",
    "Transport",
    "TransportName",
    "connection_error",
    "declared_length",
    "encoding_error",
    "read_capped",
    "refuse_unless_asyncio",
    "timeout_error",
    "too_large",
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
        *,
        deadline: float | None,
        max_bytes: int,
    ) -> RawResponse:
        """Send one request, without following redirects, within ``timeouts`` per phase and
        ``deadline`` seconds in all (None: no deadline), reading at most ``max_bytes`` of body.
        ``endpoint`` names the call in the errors raised."""
        ...

    async def aclose(self) -> None:
        """Close the underlying client if this transport made it; idempotent."""
        ...


def refuse_unless_asyncio(transport: TransportName) -> None:
    """Raise ``ValueError`` naming the fix when running under an event loop other than asyncio
    (trio); do nothing outside any event loop, where it cannot be known yet."""
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return
    if library != "asyncio":
        raise ValueError(
            f"transport={transport!r} runs only under asyncio, and this is {library}: "
            "use the default transport='httpx' (it runs under asyncio and trio), or run the "
            "client under asyncio"
        )


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


def too_large(endpoint: str, max_bytes: int, http_status: int) -> ResponseTooLargeError:
    """The error for a body past the cap of ``max_bytes``."""
    return ResponseTooLargeError(endpoint, limit=max_bytes, http_status=http_status)


def declared_length(
    value: str | None, endpoint: str, max_bytes: int, http_status: int
) -> int | None:
    """A ``Content-Length`` as a number (None when absent or not ASCII digits); one above
    ``max_bytes`` raises :class:`ResponseTooLargeError` at once, before the body is read."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    length = int(value)
    if length > max_bytes:
        raise too_large(endpoint, max_bytes, http_status)
    return length


async def read_capped(
    chunks: AsyncIterable[bytes], endpoint: str, max_bytes: int, http_status: int
) -> bytes:
    """Join the body's (decoded) chunks, raising :class:`ResponseTooLargeError` as soon as
    they pass ``max_bytes``: nothing past the cap is read."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise too_large(endpoint, max_bytes, http_status)
        parts.append(chunk)
    return b"".join(parts)
