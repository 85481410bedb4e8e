"""The HTTP/1.1 parser and writer of the default's connections, checked against h11 (the
parser httpcore uses, which we did not write): the same responses, cut anywhere, read the same;
bytes from a hostile server give a response or our protocol error, never anything else; and
nothing can be smuggled into a request's head."""

from __future__ import annotations

import h11
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from copytrade_async._http._h1 import (
    MAX_HEAD,
    LocalProtocolError,
    RemoteProtocolError,
    ResponseParser,
    request_head,
)

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
names = st.text(TOKEN_CHARS, min_size=1, max_size=12).filter(
    lambda n: n.lower() not in ("content-length", "transfer-encoding", "connection")
)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, int, list[tuple[bytes, bytes]], bytes]:
    """(wire bytes, status, the headers h11 reports, body) of a well-formed response."""
    status = draw(st.sampled_from([200, 201, 400, 404, 429, 500, 503]))
    body = draw(st.binary(max_size=300))
    framing = draw(st.sampled_from(["length", "chunked"]))
    headers = [
        (n.encode(), v.encode()) for n, v in draw(st.lists(st.tuples(names, values), max_size=6))
    ]
    if framing == "length":
        headers.append((b"Content-Length", str(len(body)).encode()))
        payload = body
    else:
        headers.append((b"Transfer-Encoding", b"chunked"))
        cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
        pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p) + b"0\r\n\r\n"
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" if draw(st.booleans()) else b""
    reason = draw(st.sampled_from([b"OK", b"", b"Some Reason"]))
    head = b"HTTP/1.1 %d %s\r\n" % (status, reason) + b"".join(
        b"%s: %s\r\n" % (n, v) for n, v in headers
    )
    return interim + head + b"\r\n" + payload, status, headers, body


def h11_reads(wire: bytes, cuts: list[int]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """What h11 makes of ``wire`` fed in pieces: (status, headers, body)."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    status, headers, body = 0, [], b""
    for piece in pieces_of(wire, cuts):
        conn.receive_data(piece)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Response):
                status, headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, headers, body
    raise AssertionError("h11 did not finish")


def ours_reads(wire: bytes, cuts: list[int]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    parser = ResponseParser()
    parser.start(head_request=False)
    body = b""
    for piece in pieces_of(wire, cuts):
        parser.feed(piece)
        body += parser.take_body()
    assert parser.complete and parser.idle and parser.keep_alive
    return parser.status, parser.headers, body


def pieces_of(wire: bytes, cuts: list[int]) -> list[bytes]:
    """``wire`` cut at ``cuts`` (modulo its length), without empty pieces (an empty piece is
    the end of the connection to h11)."""
    points = sorted({c % (len(wire) + 1) for c in cuts})
    pieces = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    return [piece for piece in pieces if piece]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(responses(), st.lists(st.integers(0, 10_000), max_size=6))
@example(
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, [(b"Content-Length", b"2")], b"ok"),
    [17, 18, 36],  # cut inside the status line, the header and right after the head
)
def test_responses_read_as_h11_reads_them(
    response: tuple[bytes, int, list[tuple[bytes, bytes]], bytes], cuts: list[int]
) -> None:
    wire, status, _, body = response
    expected = h11_reads(wire, cuts)
    assert expected[0] == status and expected[2] == body
    assert ours_reads(wire, cuts) == expected


@pytest.mark.parametrize(
    ("wire", "body", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", b"ok", True),  # bare LF line ends
        (b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", b"", True),  # obs-fold
        (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", b"x", False),
        (b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\nx", b"x", False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", b"abc", True),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n",
            b"abc",
            True,
        ),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", b"", True),
        (b"HTTP/1.1 304 Not Modified\r\n\r\n", b"", True),
    ],
)
def test_what_servers_send_besides(wire: bytes, body: bytes, keep_alive: bool) -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    parser.feed(wire)
    assert parser.complete and parser.take_body() == body and parser.keep_alive is keep_alive


def test_a_body_to_the_close_ends_with_the_connection() -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    parser.feed(b"HTTP/1.1 200 OK\r\n\r\nsome")
    parser.feed(b" more")
    assert not parser.complete
    parser.feed_eof()
    assert parser.complete and parser.take_body() == b"some more" and not parser.keep_alive


def test_no_body_after_head() -> None:
    parser = ResponseParser()
    parser.start(head_request=True)
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    assert parser.complete and parser.idle


def test_bytes_after_the_response_forbid_reuse() -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA")
    assert parser.complete and not parser.keep_alive


@pytest.mark.parametrize(
    ("wire", "eof", "message"),
    [
        (b"", True, "disconnected without sending a response"),
        (b"HTTP/1.1 200 OK\r\nContent-", True, "in the middle of the head"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", True, "before the body did"),
        (b"SMTP ready\r\n\r\n", False, "not an HTTP/1.x status line"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", False, "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", False, "not a header line"),
        (b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n", False, "control character"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            False,
            "conflicting",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", False, "not a Content-Length"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            False,
            "unsupported Transfer-Encoding",
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", False, "not a chunk-size"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc",
            False,
            "longer than its size",
        ),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", False, "101"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEAD // 6), False, "over 65536 bytes"),
    ],
)
def test_broken_responses_say_what_was_wrong(wire: bytes, eof: bool, message: str) -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    with pytest.raises(RemoteProtocolError, match=message):
        parser.feed(wire)
        if eof:
            parser.feed_eof()


@settings(max_examples=400)
@given(st.binary(max_size=400), st.lists(st.integers(0, 500), max_size=5), st.booleans())
def test_any_bytes_give_a_response_or_our_error(wire: bytes, cuts: list[int], eof: bool) -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    try:
        for piece in pieces_of(b"HTTP/1.1 200 OK\r\n" + wire, cuts):
            parser.feed(piece)
            assert parser.buffered <= len(wire)
        if eof:
            parser.feed_eof()
    except RemoteProtocolError:
        return
    assert parser.status in (0, 200)


@given(st.text(max_size=20), st.sampled_from(["\r", "\n", "\x00", "\x7f", "\x1b"]))
def test_no_control_character_reaches_the_head(value: str, control: str) -> None:
    with pytest.raises(LocalProtocolError):
        request_head("GET", "/x", [("X-Value", value + control)])
    with pytest.raises(LocalProtocolError):
        request_head("GET", "/x" + control, [])
    with pytest.raises(LocalProtocolError):
        request_head("GET", "/x", [("X" + control, "v")])


def test_a_request_head_is_what_h11_writes() -> None:
    headers = [("Host", "127.0.0.1:8000"), ("ACCESS-KEY", "k"), ("Content-Length", "2")]
    ours = request_head("POST", "/api/x?a=1&b=%20", headers)
    conn = h11.Connection(h11.CLIENT)
    theirs = conn.send(h11.Request(method="POST", target="/api/x?a=1&b=%20", headers=headers))
    assert ours.lower() == theirs.lower()  # h11 writes names in lower case


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_response_fed_a_byte_at_a_time_reads_the_same(framing: str) -> None:
    """A long head, chunk lines and trailers that arrive one byte at a time (each piece
    searched only where it is new) read as they do in one piece, as h11 reads them."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 40) for i in range(300))
    if framing == "length":
        wire = head + b"Content-Length: 5\r\n\r\nhello"
    else:
        wire = (
            head + b"Transfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\nT: 1\r\n\r\n"
        )
    assert len(head) > 10_000
    whole = ours_reads(wire, [])
    assert ours_reads(wire, list(range(1, len(wire)))) == whole == h11_reads(wire, [])
    assert whole[2] == b"hello"


def test_a_head_that_never_ends_is_refused_at_the_cap_even_in_small_pieces() -> None:
    parser = ResponseParser()
    parser.start(head_request=False)
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(RemoteProtocolError, match="over 65536 bytes"):
        for _ in range(MAX_HEAD // 100 + 2):
            parser.feed(b"X: " + b"v" * 95 + b"\r\n")
