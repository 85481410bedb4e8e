"""The records of one logical call, which the pipeline fills in as it runs it: what is sent
(:class:`Outgoing`, worked out once), what one attempt got back (:class:`Answer`), what the
call has cost so far (:class:`CallState`), and what an error says about where the call went
and which limit ran out (:func:`locate`, :func:`timeout_limit`). No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import attrs
import httpx

from .._config import ClientOptions
from .._exceptions import APIConnectionError, APITimeoutError
from ._endpoints import Endpoint
from ._envelope import Envelope
from ._redact import Redactor
from ._signing import Query

__all__ = ["Answer", "Build", "CallState", "Outgoing", "locate", "timeout_limit"]

T = TypeVar("T")
#: Builds the records a caller gets from a decoded envelope, inside the attempt (so a body
#: that does not fit the records is a failed attempt like any other); raises our own errors.
Build = Callable[[Envelope], T]


@attrs.define(slots=True)
class Answer:
    """What one attempt got back: the transport's status, headers and body, and when it was
    sent and received on the local clock (ms), for the server clock estimate."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    sent_ms: int
    received_ms: int


class Outgoing:
    """What one logical call sends, worked out once for all its attempts."""

    __slots__ = ("body", "body_text", "endpoint", "options", "query", "url")

    def __init__(
        self, endpoint: Endpoint, options: ClientOptions, query: Query, body_text: str
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        #: Signed decoded, sent encoded (see :mod:`._signing`).
        self.query = query.signed
        self.body_text = body_text
        self.body = body_text.encode() if body_text else None
        url = f"{options.base_url}{endpoint.path}"
        self.url = f"{url}?{query.wire}" if query.wire else url


class CallState:
    """Book-keeping for one logical call across its attempts (facts, never decisions: the
    retry policy reads the attempt's outcome from tenacity)."""

    __slots__ = ("_redactor", "attempts", "rate_limit_wait", "redactor", "signatures", "status")

    def __init__(self, redactor: Redactor) -> None:
        self.attempts = 0
        self.rate_limit_wait = 0.0
        #: The HTTP status of the last answer; None while no answer came back.
        self.status: int | None = None
        #: The client's redactor, and the signatures this call sent (hidden too).
        self.redactor = redactor
        self.signatures: list[str] = []
        self._redactor: tuple[int, Redactor] | None = None

    def redact(self, text: str) -> str:
        """``text`` without the credentials or any signature this call sent."""
        built = self._redactor
        if built is None or built[0] != len(self.signatures):
            built = self._redactor = (
                len(self.signatures),
                self.redactor.with_signatures(self.signatures),
            )
        return built[1](text)


#: The phase of an ``httpx.Timeout`` each library's timeout exception stands for (by class
#: name: aiohttp is optional). Any other timeout is the deadline of the whole attempt.
_PHASES = {
    "ConnectTimeout": "connect",  # httpx
    "ReadTimeout": "read",
    "WriteTimeout": "write",
    "PoolTimeout": "pool",
    "ConnectionTimeoutError": "connect",  # aiohttp: connecting (its connect and pool phases)
    "SocketTimeoutError": "read",  # aiohttp: a read on the socket
}
_PHASE_NAMES = {
    "connect": "connection",
    "read": "read",
    "write": "write",
    "pool": "wait for a pooled connection",
}


def timeout_limit(
    exc: APITimeoutError, timeout: httpx.Timeout, deadline: float | None
) -> str | None:
    """The limit that ran out for ``exc`` (raised from the HTTP library's own exception), such
    as ``"10 s per read"`` or ``"10 s per attempt"``; None when no limit was set."""
    cause = exc.__cause__
    phase = _PHASES.get(type(cause).__name__) if cause is not None else None
    if phase is not None:
        seconds: float | None = getattr(timeout, phase)
        if seconds is not None:
            return f"{seconds:g} s per {_PHASE_NAMES[phase]}"
    return None if deadline is None else f"{deadline:g} s per attempt"


def locate(exc: APIConnectionError, host: str, attempts: int, elapsed: float) -> None:
    """Say in ``exc`` where the call went and what it cost, once it gives up."""
    exc.host = host
    exc.attempts = attempts
    exc.elapsed = elapsed
