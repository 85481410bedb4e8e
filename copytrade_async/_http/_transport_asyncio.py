"""An httpx transport that speaks HTTP/1.1 over asyncio's protocol API: the default's wire.

Under concurrency most of httpx's cost per request is below its transport seam: httpcore's
pool (whose cost grows with the connections in use, encode/httpx#3215; :mod:`._transport_pooled`
spreads that), then per request h11's state machine, an anyio stream per connection and a
cancel scope per read and write. :class:`AsyncioTransport` is an ``httpx.AsyncBaseTransport``
(httpx's public seam) that does the same job with less: keep-alive connections that are
``asyncio.Protocol``\\ s (:mod:`._h1_connection`), HTTP/1.1 written and parsed by
:mod:`._h1`, one ``asyncio.Semaphore`` as the pool's queue, and one dictionary of idle
connections per origin (the most recently used first). ``benchmarks/bench_throughput.py``
prints what that is worth, against httpcore's pools, in the same run.

It keeps httpx's contract:

* **Limits** (``httpx.Limits``): at most ``max_connections`` open (and as many requests in
  flight; the others wait in one FIFO queue, within the request's ``pool`` timeout, then
  ``httpx.PoolTimeout``), at most ``max_keepalive_connections`` kept idle, none idle longer
  than ``keepalive_expiry``. An idle connection the server closed is never used again.
* **Timeouts** (the request's ``connect``, ``read``, ``write`` and ``pool``), raising httpx's
  exceptions, as are failures: ``ConnectError``, ``ReadError``, ``WriteError``,
  ``RemoteProtocolError``, ``LocalProtocolError``.
* **TLS** with httpx's default context (certifi's CAs), or ``verify``/``cert``/``trust_env``.
* The response is an ``httpx.Response`` that streams its body; httpx decodes it.

What it does not do, it hands to a :class:`~._transport_pooled.PooledTransport` (httpcore's
pools) made on first need: event loops other than asyncio (trio), and any option beyond limits
and TLS (``proxy``, ``http2``, ``uds``, ``local_address``, ``retries``, ``socket_options``),
with which every request goes there. So do requests made while a test library has replaced
httpx's or httpcore's sending (respx, pytest-httpx patch
``httpcore.AsyncConnectionPool.handle_async_request`` or
``httpx.AsyncHTTPTransport.handle_async_request``): a bot's tests that mock httpx keep
working against the default client.

:meth:`AsyncioTransport.fetch` is the short cut our own clients take (see
:class:`~._transport_httpx.HttpxTransport`): the same connections, without building httpx's
request and response objects, reading the whole body (decoded from gzip or deflate) no further
than a cap.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import AsyncIterator
from typing import Any, NoReturn, Protocol

import httpx
from sniffio import current_async_library

from ._h1 import LocalProtocolError, RemoteProtocolError, request_head
from ._h1_body import ACCEPTED_ENCODINGS, read_body
from ._h1_connection import H1Connection
from ._h1_pool import H1Pool, Origin
from ._transport import RawResponse, declared_length, encoding_error
from ._transport_pooled import DEFAULT_POOLS, PooledTransport

__all__ = ["AsyncioTransport", "httpx_is_mocked"]

_TLS_OPTIONS = ("verify", "cert", "trust_env")


_TRANSPORT_SEND = httpx.AsyncHTTPTransport.handle_async_request
#: httpcore's own ``AsyncConnectionPool.handle_async_request``, once seen (httpcore is imported
#: by httpx only when one of its transports is made, and costs about 55 ms to import).
_pool_send: list[object] = []


def _original(method: object, module: str) -> bool:
    return isinstance(method, types.FunctionType) and method.__module__.startswith(module)


def httpx_is_mocked() -> bool:
    """Whether something (respx, pytest-httpx, a ``mock.patch``) has replaced how httpcore's
    pool or httpx's transport sends: then requests must go through them to be seen. httpcore
    not imported yet cannot have been patched (patching it imports it)."""
    transport_send = httpx.AsyncHTTPTransport.handle_async_request
    if transport_send is not _TRANSPORT_SEND and not _original(transport_send, "httpx."):
        return True
    httpcore = sys.modules.get("httpcore")
    if httpcore is None:
        return False
    pool_send = httpcore.AsyncConnectionPool.handle_async_request
    if _pool_send and pool_send is _pool_send[0]:
        return False
    if not _original(pool_send, "httpcore."):
        return True
    _pool_send[:] = [pool_send]
    return False


#: Headers :meth:`AsyncioTransport.fetch` writes itself, whatever the caller's say.
_OURS = frozenset({"host", "accept-encoding", "content-length", "transfer-encoding"})


class SendProbe(Protocol):
    """Told when the request starts to go out (see ``HttpxTransport``)."""

    started: bool


class AsyncioTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections on asyncio's protocols, behind httpx's transport seam
    (see the module docs). ``limits`` as ``httpx.AsyncHTTPTransport`` takes them (its default:
    100 connections, 20 kept alive, 5 s); ``verify``, ``cert`` and ``trust_env`` make the TLS
    context (by default one for the whole process). Any other keyword goes to the
    :class:`~._transport_pooled.PooledTransport` (``pools`` of them) that then carries every
    request, as it carries those made under an event loop other than asyncio."""

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        pools: int = DEFAULT_POOLS,
        **transport_options: Any,
    ) -> None:
        if isinstance(pools, bool) or not isinstance(pools, int) or pools < 1:
            raise ValueError(f"pools must be a whole number >= 1, got {pools!r}")
        if limits is None:
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._limits = limits
        self._pools = pools
        self._options = transport_options
        self._tls_options = {k: v for k, v in transport_options.items() if k in _TLS_OPTIONS}
        self._direct = len(self._tls_options) == len(transport_options)
        self._fallback: PooledTransport | None = None
        if not self._direct:
            self._pooled()  # made now: its options are checked where they are given
        self._h1 = H1Pool(limits, self._tls_options)
        self._closed = False

    # -- httpx's seam --------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the AsyncioTransport is closed")
        if not self.direct:
            return await self._pooled().handle_async_request(request)
        timeouts = request.extensions.get("timeout")
        timeouts = timeouts if isinstance(timeouts, dict) else {}
        url = request.url
        origin = Origin(url)
        try:
            target = url.raw_path.decode("ascii")
            names_values = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in request.headers.raw
            ]
            head = request_head(request.method, target, names_values)
        except (LocalProtocolError, UnicodeDecodeError) as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        chunked = any(
            n.lower() == b"transfer-encoding" and b"chunked" in v.lower()
            for n, v in request.headers.raw
        )
        pool = self._h1
        gate = await pool.admit(timeouts.get("pool"))
        try:
            conn = await pool.connection(origin, timeouts.get("connect"))
            try:
                conn.start(head_request=request.method == "HEAD")
                await conn.write(head, timeouts.get("write"))
                await self._send_body(conn, request.stream, chunked, timeouts.get("write"))
                await conn.read_head(timeouts.get("read"))
            except BaseException as exc:
                pool.discard(conn)
                _reraise(exc)
        except BaseException:
            pool.leave(gate)
            raise
        parser = conn.parser
        return httpx.Response(
            parser.status,
            headers=parser.headers,
            stream=_Body(pool, conn, gate, timeouts.get("read")),
            extensions={"http_version": parser.http_version, "reason_phrase": parser.reason},
        )

    async def aclose(self) -> None:
        """Close every connection, idle or carrying a request (which then fails); idempotent."""
        self._closed = True
        self._h1.close()
        if self._fallback is not None:
            await self._fallback.aclose()

    @property
    def in_flight(self) -> int:
        """Requests sent here (not to the fallback) whose responses are not closed yet."""
        return self._h1.in_flight

    @property
    def idle_connections(self) -> int:
        """Connections kept open for the next request."""
        return self._h1.idle_connections

    @property
    def open_connections(self) -> int:
        """Connections open (or opening): idle, or carrying a request."""
        return self._h1.open_connections

    # -- our clients' short cut ----------------------------------------------------------------

    @property
    def direct(self) -> bool:
        """Whether requests go over our own connections here and now (and :meth:`fetch` may be
        used): no option sends them through httpcore, this is asyncio, and httpx's sending is
        not mocked (see the module docs)."""
        return self._direct and current_async_library() == "asyncio" and not httpx_is_mocked()

    async def fetch(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: httpx.Timeout,
        *,
        endpoint: str,
        max_bytes: int,
        probe: SendProbe,
    ) -> RawResponse:
        """Send one request (``url`` percent-encoded already) and read the whole response, its
        body decoded, as (status, headers with lower-case names, body). Only where
        :attr:`direct`. Raises httpx's exceptions as :meth:`handle_async_request` does, and
        ``ResponseTooLargeError`` past ``max_bytes``."""
        pool = self._h1
        origin, target = pool.split(url)
        fields = [("Host", origin.host_header)]
        fields += [item for item in headers.items() if item[0].lower() not in _OURS]
        fields.append(("Accept-Encoding", ACCEPTED_ENCODINGS))
        if body is not None or method in ("POST", "PUT", "PATCH"):
            fields.append(("Content-Length", str(len(body or b""))))
        try:
            head = request_head(method, target, fields)
        except LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        gate = await pool.admit(timeouts.pool)
        try:
            conn = await pool.connection(origin, timeouts.connect)
            try:
                conn.start(head_request=method == "HEAD")
                probe.started = True
                await conn.write(head + body if body else head, timeouts.write)
                await conn.read_head(timeouts.read)
                parser = conn.parser
                status = parser.status
                response_headers = _as_dict(parser.headers)
                declared_length(response_headers.get("content-length"), endpoint, max_bytes, status)
                content = await read_body(
                    conn,
                    timeouts.read,
                    response_headers.get("content-encoding"),
                    endpoint=endpoint,
                    max_bytes=max_bytes,
                    status=status,
                )
            except httpx.DecodingError as exc:  # a corrupt gzip or deflate body
                pool.discard(conn)
                raise encoding_error(endpoint, exc, http_status=conn.parser.status) from exc
            except BaseException as exc:
                pool.discard(conn)
                _reraise(exc)
            pool.release(conn)
        finally:
            pool.leave(gate)
        return status, response_headers, content

    # -- the pool ------------------------------------------------------------------------------

    def _pooled(self) -> PooledTransport:
        if self._fallback is None:
            self._fallback = PooledTransport(
                pools=self._pools, limits=self._limits, **self._options
            )
        return self._fallback

    async def _send_body(
        self,
        conn: H1Connection,
        stream: httpx.AsyncByteStream | httpx.SyncByteStream,
        chunked: bool,
        write_timeout: float | None,
    ) -> None:
        if not isinstance(stream, httpx.AsyncByteStream):
            raise RuntimeError("an AsyncioTransport needs an async request body")
        async for chunk in stream:
            if chunk:
                await conn.write(
                    b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk, write_timeout
                )
        if chunked:
            await conn.write(b"0\r\n\r\n", write_timeout)


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; at its end (or when closed) the connection
    goes back to the pool (or is closed, if not read to the end) and the request's place is
    given up."""

    def __init__(
        self,
        pool: H1Pool,
        conn: H1Connection,
        gate: asyncio.Semaphore | None,
        timeout: float | None,
    ) -> None:
        self._pool = pool
        self._conn: H1Connection | None = conn
        self._gate = gate
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        try:
            while chunk := await conn.read_chunk(self._timeout):
                yield chunk
        except BaseException as exc:
            await self.aclose()
            _reraise(exc)
        self._done(conn)

    def _done(self, conn: H1Connection) -> None:
        if self._conn is not None:
            self._conn = None
            self._pool.release(conn)
            self._pool.leave(self._gate)

    async def aclose(self) -> None:
        conn = self._conn
        if conn is not None:
            self._conn = None
            self._pool.discard(conn)
            self._pool.leave(self._gate)


def _as_dict(fields: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header fields as one dict, a repeated name's values joined by ", " (as httpx's
    ``Headers.get`` gives them)."""
    result: dict[str, str] = {}
    for raw_name, raw_value in fields:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


def _reraise(exc: BaseException) -> NoReturn:
    """Raise our parser's errors as httpx's, anything else as it is."""
    if isinstance(exc, RemoteProtocolError):
        raise httpx.RemoteProtocolError(str(exc)) from exc
    if isinstance(exc, LocalProtocolError):
        raise httpx.LocalProtocolError(str(exc)) from exc
    raise exc
