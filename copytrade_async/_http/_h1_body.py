"""Reading a whole response body off an :class:`~._h1_connection.H1Connection`, decoded and
capped: the body our clients' short cut (:meth:`~._transport_asyncio.AsyncioTransport.fetch`)
hands back.

``Content-Encoding`` ``gzip`` or ``deflate`` (zlib-wrapped, or raw as some servers send it),
and ``identity``: the encodings the short cut asks for (:data:`ACCEPTED_ENCODINGS`). Any other,
or several stacked, is a ``httpx.DecodingError``, as is a body that does not decode. The cap
counts decoded bytes, and decompression never makes more than the cap allows: a gzip bomb stops
there (``ResponseTooLargeError``).
"""

from __future__ import annotations

import zlib

import httpx

from ._h1_connection import H1Connection
from ._transport import too_large

__all__ = ["ACCEPTED_ENCODINGS", "read_body"]

#: The ``Accept-Encoding`` the short cut sends: what :func:`read_body` decodes.
ACCEPTED_ENCODINGS = "gzip, deflate"


class _Inflate:
    """The gzip or deflate layer of a body, fed piece by piece, never making more than asked."""

    __slots__ = ("_deflate", "_first", "_z")

    def __init__(self, coding: str) -> None:
        self._deflate = coding == "deflate"
        self._first = True
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        """``data`` decoded, but at most ``limit`` bytes (``limit`` means: over the cap)."""
        try:
            try:
                out = self._z.decompress(data, limit)
            except zlib.error:
                if not (self._deflate and self._first):
                    raise
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header
                out = self._z.decompress(data, limit)
            self._first = False
            while len(out) < limit and self._z.unconsumed_tail:
                out += self._z.decompress(self._z.unconsumed_tail, limit - len(out))
            if len(out) < limit:
                out += self._z.flush() if not data else b""
        except zlib.error as exc:
            raise httpx.DecodingError(f"the body does not decode ({exc})") from exc
        return out


def _layer(encoding: str | None) -> _Inflate | None:
    """The decoder for a ``Content-Encoding`` (None for none or ``identity``)."""
    if not encoding:
        return None
    codings = [c.strip().lower() for c in encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise httpx.DecodingError(f"stacked Content-Encodings are not supported: {encoding!r}")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Inflate("gzip")
    if coding == "deflate":
        return _Inflate("deflate")
    raise httpx.DecodingError(f"unsupported Content-Encoding {coding!r}")


async def read_body(
    conn: H1Connection,
    read_timeout: float | None,
    encoding: str | None,
    *,
    endpoint: str,
    max_bytes: int,
    status: int,
) -> bytes:
    """The body, decoded, read to its end (so ``conn`` is free again) and no further than
    ``max_bytes`` decoded bytes."""
    layer = _layer(encoding)
    parts: list[bytes] = []
    size = 0
    while chunk := await conn.read_chunk(read_timeout):
        if layer is not None:
            chunk = layer.feed(chunk, max_bytes - size + 1)
        size += len(chunk)
        if size > max_bytes:
            raise too_large(endpoint, max_bytes, status)
        parts.append(chunk)
    if layer is not None:  # what the decoder still holds
        tail = layer.feed(b"", max_bytes - size + 1)
        size += len(tail)
        if size > max_bytes:
            raise too_large(endpoint, max_bytes, status)
        parts.append(tail)
    return parts[0] if len(parts) == 1 else b"".join(parts)
