"""HTTP/1.1 on the wire, without any I/O: the request head we write, and a response parser.

:class:`~._transport_asyncio.AsyncioTransport` speaks HTTP/1.1 itself rather than through
h11 (which httpcore uses): on the benchmark's exchange (a 12-header GET, a 3 kB answer) h11
costs about 74 µs of CPU, more than everything else the transport does together, and this
module about a tenth of that. It knows only what a client of a JSON API needs:

* **Requests**: a method, a target, headers and a ``Content-Length`` body (or chunks the caller
  frames). A header name that is not an RFC 9110 token, or a value with a control character
  (CR, LF, NUL, ...), is refused (:class:`LocalProtocolError`): nothing can be smuggled into
  the head.
* **Responses**: a status line (HTTP/1.0 or 1.1), headers (obs-fold unfolded, bare ``\\n``
  line ends accepted), interim ``1xx`` answers skipped, and a body framed by
  ``Transfer-Encoding: chunked`` (trailers read and dropped), ``Content-Length``, or the end of
  the connection. No body after ``HEAD``, ``204`` or ``304``. Whatever breaks these rules is a
  :class:`RemoteProtocolError` that says what was wrong, and the connection is not used again.
* **Bounds**: the head (and the trailers) at most :data:`MAX_HEAD` bytes, a chunk-size line at
  most :data:`MAX_LINE`; the body itself is bounded by whoever reads it.

The tests check this parser against h11 on generated responses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "MAX_HEAD",
    "MAX_LINE",
    "LocalProtocolError",
    "RemoteProtocolError",
    "ResponseParser",
    "request_head",
]

#: The most bytes a response's status line and headers (or its trailers) may take.
MAX_HEAD = 64 * 1024
#: The most bytes a chunk-size line may take.
MAX_LINE = 4 * 1024

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # every control but HTAB
_TARGET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, no control
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STATUS = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\x00-\x08\x0a-\x1f\x7f]*))?")
_RAW_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RAW_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;.*)?")

#: Header names already found to be tokens (a client sends the same few again and again).
_GOOD_NAMES: set[str] = set()


class LocalProtocolError(Exception):
    """A request that cannot be written as HTTP/1.1 (a bad header name, value or target)."""


class RemoteProtocolError(Exception):
    """A response that breaks HTTP/1.1, or a connection that ended before its response did."""


def request_head(method: str, target: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """The request line and headers, ending with the blank line. ``target`` is the path and
    query as they go on the wire (already percent-encoded)."""
    if not _TOKEN.fullmatch(method):
        raise LocalProtocolError(f"not an HTTP method: {method!r}")
    if not _TARGET.fullmatch(target):
        raise LocalProtocolError(f"not a request target (visible ASCII only): {target!r}")
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in headers:
        if name not in _GOOD_NAMES:
            if not _TOKEN.fullmatch(name):
                raise LocalProtocolError(f"not a header name: {name!r}")
            _GOOD_NAMES.add(name)
        if _BAD_VALUE.search(value):
            raise LocalProtocolError(f"header {name!r} has a control character in its value")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError("a header value has characters beyond Latin-1") from None


#: What :func:`_framing` says of a chunked body.
_CHUNKED = -1

# The parser's states.
_HEAD, _LENGTH, _CHUNK_SIZE_LINE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)


class ResponseParser:
    """Reads the responses of one connection, one at a time: :meth:`start` before each request,
    then :meth:`feed` the bytes as they come and :meth:`feed_eof` at the connection's end.

    Once the head is read, :attr:`status`, :attr:`reason`, :attr:`http_version` and
    :attr:`headers` (names in lower case, in order, repeats kept) are set; body bytes gather in
    :attr:`body` (a list the reader empties) and :attr:`complete` turns true at the body's end.
    :attr:`keep_alive` says whether the connection may carry another request afterwards.
    """

    __slots__ = (
        "_head_request",
        "_pending",
        "_remaining",
        "_scan",
        "_state",
        "body",
        "buffered",
        "complete",
        "headers",
        "http_version",
        "keep_alive",
        "reason",
        "status",
    )

    def __init__(self) -> None:
        self._pending = bytearray()  # bytes held back until more arrive
        self._scan = 0  # how far into them a search found nothing
        self.start(head_request=False)

    def start(self, *, head_request: bool) -> None:
        """Expect the response to a new request (``head_request``: a ``HEAD``, with no body)."""
        self._head_request = head_request
        self._state = _HEAD
        self._remaining = 0
        self.status = 0
        self.reason = b""
        self.http_version = b"HTTP/1.1"
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.buffered = 0  # body bytes in ``body``
        self.complete = False
        self.keep_alive = True

    @property
    def head_done(self) -> bool:
        return self._state != _HEAD

    @property
    def idle(self) -> bool:
        """Nothing received beyond the last complete response."""
        return self.complete and not self._pending

    def take_body(self) -> bytes:
        """The body bytes received so far and not yet taken."""
        body = self.body
        if not body:
            return b""
        self.body = []
        self.buffered = 0
        return body[0] if len(body) == 1 else b"".join(body)

    def feed(self, data: bytes) -> None:
        pending = self._pending
        if pending:
            pending += data
            if self._incomplete(pending):
                return
            data = bytes(pending)
            self._pending = bytearray()
        while data:
            state = self._state
            if state == _HEAD:
                rest = self._read_head(data)
            elif state == _LENGTH:
                rest = self._read_length(data)
            elif state == _CHUNK_SIZE_LINE:
                rest = self._read_chunk_size(data)
            elif state == _CHUNK_DATA:
                rest = self._read_chunk_data(data)
            elif state == _CHUNK_END:
                rest = self._read_chunk_end(data)
            elif state == _TRAILERS:
                rest = self._read_trailers(data)
            elif state == _UNTIL_CLOSE:
                self._add(data)
                return
            else:  # _DONE: bytes nobody asked for; the connection is not to be reused
                self._pending = bytearray(data[:1])
                self.keep_alive = False
                return
            if len(rest) == len(data):  # nothing could be read: wait for more
                self._pending = bytearray(rest)
                self._scan = 0
                self._incomplete(self._pending)
                return
            data = rest

    def _incomplete(self, pending: bytearray) -> bool:
        """Whether the bytes held back (``pending``) still cannot take the state further. A
        head, trailers or chunk-size line that comes in many pieces is searched only in what
        is new (from ``_scan``), so it costs its length once, not once per piece; the caps
        hold as they grow."""
        state = self._state
        if state == _CHUNK_END:
            return pending == b"\r"
        if state == _CHUNK_SIZE_LINE:
            if pending.find(b"\n", self._scan) >= 0:
                return False
            if len(pending) > MAX_LINE:
                raise RemoteProtocolError(f"a chunk-size line is over {MAX_LINE} bytes")
            self._scan = len(pending)
            return True
        if state in (_HEAD, _TRAILERS):
            if state == _TRAILERS and pending[0] in (13, 10):  # CR or LF
                return pending == b"\r"  # the end of a body without trailers, or its start
            if _HEAD_END.search(pending, self._scan) is not None:
                return False
            if len(pending) > MAX_HEAD:
                what = "response head" if state == _HEAD else "trailers"
                raise RemoteProtocolError(f"the {what} is over {MAX_HEAD} bytes")
            self._scan = max(0, len(pending) - 3)
            return True
        return False

    def feed_eof(self) -> None:
        """The connection ended: completes a body read to the end, fails anything else that
        is not complete."""
        self.keep_alive = False
        if self._state == _UNTIL_CLOSE:
            self._finish()
        elif self._state == _HEAD:
            if self._pending or self.status:
                raise RemoteProtocolError("the connection ended in the middle of the head")
            raise RemoteProtocolError("the server disconnected without sending a response")
        elif self._state != _DONE:
            raise RemoteProtocolError("the connection ended before the body did")

    # -- states ----------------------------------------------------------------------------

    def _add(self, chunk: bytes) -> None:
        self.body.append(chunk)
        self.buffered += len(chunk)

    def _finish(self) -> None:
        self._state = _DONE
        self.complete = True

    def _read_head(self, data: bytes) -> bytes:
        end = _HEAD_END.search(data)
        if end is None:
            return data  # the rest is held back, within the cap (``_incomplete``)
        if end.start() > MAX_HEAD:
            raise RemoteProtocolError(f"the response head is over {MAX_HEAD} bytes")
        lines = data[: end.start()].split(b"\n")
        self._parse_head(lines)
        return data[end.end() :]

    def _parse_head(self, lines: list[bytes]) -> None:
        status_line = lines[0].rstrip(b"\r")
        match = _STATUS.fullmatch(status_line)
        if match is None:
            raise RemoteProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        minor, code, reason = match.groups()
        status = int(code)
        if status < 100:
            raise RemoteProtocolError(f"not a status code: {status}")
        headers = _read_fields(lines[1:])
        if status < 200:
            if status == 101:
                raise RemoteProtocolError("unexpected 101 Switching Protocols")
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        self.status = status
        self.reason = reason or b""
        self.headers = headers
        http10 = minor == b"0"
        self.http_version = b"HTTP/1.0" if http10 else b"HTTP/1.1"
        framing = _framing(headers)
        if http10 or any(
            name == b"connection" and b"close" in value.lower() for name, value in headers
        ):
            self.keep_alive = False
        if self._head_request or status in (204, 304):
            self._finish()
        elif framing == _CHUNKED:
            self._state = _CHUNK_SIZE_LINE
        elif framing is None:
            self._state = _UNTIL_CLOSE
            self.keep_alive = False
        elif framing == 0:
            self._finish()
        else:
            self._state = _LENGTH
            self._remaining = framing

    def _take(self, data: bytes) -> tuple[bytes, bool]:
        """Body bytes of ``data``, up to the ``_remaining`` expected: (the rest of ``data``,
        whether all that was expected is now in)."""
        remaining = self._remaining
        if len(data) < remaining:
            self._remaining = remaining - len(data)
            self._add(data)
            return b"", False
        self._add(data[:remaining] if len(data) > remaining else data)
        return data[remaining:], True

    def _read_length(self, data: bytes) -> bytes:
        rest, done = self._take(data)
        if done:
            self._finish()
        return rest

    def _read_chunk_size(self, data: bytes) -> bytes:
        end = data.find(b"\n")
        if end < 0:
            return data
        line = data[:end].rstrip(b"\r")
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise RemoteProtocolError(f"not a chunk-size line: {line[:80]!r}")
        size = int(match.group(1), 16)
        if size == 0:
            self._state = _TRAILERS
        else:
            self._state = _CHUNK_DATA
            self._remaining = size
        return data[end + 1 :]

    def _read_chunk_data(self, data: bytes) -> bytes:
        rest, done = self._take(data)
        if done:
            self._state = _CHUNK_END
        return rest

    def _read_chunk_end(self, data: bytes) -> bytes:
        if data.startswith(b"\r\n"):
            self._state = _CHUNK_SIZE_LINE
            return data[2:]
        if data.startswith(b"\n"):
            self._state = _CHUNK_SIZE_LINE
            return data[1:]
        if data == b"\r":
            return data
        raise RemoteProtocolError("a chunk is longer than its size says")

    def _read_trailers(self, data: bytes) -> bytes:
        if data.startswith(b"\r\n") or data.startswith(b"\n"):  # no trailers
            self._finish()
            return data[2:] if data[0] == 13 else data[1:]
        end = _HEAD_END.search(data)
        if end is None:
            return data
        _read_fields(data[: end.start()].split(b"\n"))  # checked, then dropped
        self._finish()
        return data[end.end() :]


def _read_fields(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Header lines as (lower-case name, value) pairs; a folded line continues the last value."""
    fields: list[tuple[bytes, bytes]] = []
    for raw in lines:
        line = raw.rstrip(b"\r")
        if not line:
            continue
        if line[0] in (32, 9):  # obs-fold: part of the previous value
            if not fields:
                raise RemoteProtocolError("the first header line starts with whitespace")
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not _RAW_TOKEN.fullmatch(name):
            raise RemoteProtocolError(f"not a header line: {line[:80]!r}")
        value = value.strip(b" \t")
        if _RAW_BAD_VALUE.search(value):
            raise RemoteProtocolError(f"header {name!r} has a control character in its value")
        fields.append((name.lower(), value))
    return fields


def _framing(headers: list[tuple[bytes, bytes]]) -> int | None:
    """How the body ends: :data:`_CHUNKED`, a length, or None (at the connection's end)."""
    codings: list[bytes] = []
    lengths: set[bytes] = set()
    for name, value in headers:
        if name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.split(b",") if c.strip()]
        elif name == b"content-length":
            lengths.update(v.strip() for v in value.split(b","))
    if codings:
        if codings != [b"chunked"]:
            raise RemoteProtocolError(
                f"unsupported Transfer-Encoding: {b', '.join(codings).decode('latin-1')!r}"
            )
        return _CHUNKED
    if not lengths:
        return None
    if len(lengths) > 1:
        raise RemoteProtocolError("conflicting Content-Length headers")
    (length,) = lengths
    if not (length.isdigit() and len(length) <= 18):
        raise RemoteProtocolError(f"not a Content-Length: {length[:40]!r}")
    return int(length)
