"""The exception tree, and the pure rule that maps a failed response to a class.

::

    CopyTradeError
    ├── APIError                       the exchange answered with an error
    │   ├── InvalidTraderError         80001
    │   ├── InvalidFollowSettingsError 80002
    │   ├── InsufficientBalanceError   80003
    │   ├── CopyLimitExceededError     80004
    │   ├── AlreadyFollowingError      80005
    │   ├── FollowNotFoundError        40034: no such follow (or not this account's)
    │   ├── InvalidParameterError      40017, 40020: a parameter the exchange refused
    │   ├── AuthenticationError        HTTP 401/403, 40001-40003, 40005, 40006, 40008,
    │   │                              40009, 40011, 40012, 40037
    │   ├── RateLimitError             HTTP 429 or code 429 (``.retry_after``)
    │   │   └── RateLimitWaitError     the client's own limiter would wait too long
    │   └── ServerError                HTTP 5xx
    ├── APIConnectionError             the request did not get an answer
    │   └── APITimeoutError            ... within ``timeout`` (a phase, or the whole attempt)
    ├── PaginationError                a list's pages stopped bringing anything new
    ├── ResponseDecodeError            the body is not JSON, not the envelope, or its
    │   │                              Content-Encoding cannot be decoded
    │   ├── ResponseValidationError    the envelope's data does not fit the record
    │   └── ResponseTooLargeError      the body is longer than ``max_response_bytes``
    ├── ClientClosedError              the client was closed (also a ``RuntimeError``)
    └── toolkit.PortfolioError         diversify() failed; says what was rolled back

``APIError.code`` is the exchange's code as the string it sends (``"80001"``, never the number
80001): compare it with a string, or better, catch the class.

No message ever carries the secret, the passphrase or a signature: errors are built only
from the endpoint name, the status, the exchange's code and message, and our own text, and the
request pipeline redacts every error it raises (the server's text included, see
:mod:`._http._redact`).

Every class pickles with all its attributes (:meth:`CopyTradeError.__reduce__`), so an error
can cross a process boundary (a process pool, a task queue).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AlreadyFollowingError",
    "AuthenticationError",
    "ClientClosedError",
    "CopyLimitExceededError",
    "CopyTradeError",
    "FollowNotFoundError",
    "InsufficientBalanceError",
    "InvalidFollowSettingsError",
    "InvalidParameterError",
    "InvalidTraderError",
    "PaginationError",
    "RateLimitError",
    "RateLimitWaitError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "error_for_response",
]

#: Codes that refuse the credentials, the signature, the passphrase or the timestamp (the
#: exchange's error table, as ccxt maps it to AuthenticationError or InvalidNonce).
AUTH_CODES = frozenset(
    {"40001", "40002", "40003", "40005", "40006", "40008", "40009", "40011", "40012", "40037"}
    | {"40099"}  # "exchange environment is incorrect": a demo key used live, or a live key as demo
)
TIMESTAMP_EXPIRED = "40008"


def _rebuild(cls: type[CopyTradeError], args: tuple[object, ...]) -> CopyTradeError:
    """Unpickle an error without calling its ``__init__`` (whose arguments are not ``args``);
    pickle then restores the attributes from the instance's ``__dict__``."""
    error = cls.__new__(cls)
    error.args = args
    return error


class CopyTradeError(Exception):
    """Base class of every error this library raises."""

    def __reduce__(self) -> tuple[object, ...]:
        # The default (``cls(*self.args)`` and the ``__dict__``) fails for every class whose
        # ``__init__`` takes other arguments than it passes on to ``Exception``.
        return _rebuild, (type(self), self.args), self.__dict__


class APIError(CopyTradeError):
    """The exchange answered, and the answer is an error."""

    def __init__(
        self,
        endpoint: str,
        code: str,
        message: str,
        *,
        http_status: int,
        request_time_ms: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.code = code
        self.message = message
        self.http_status = http_status
        #: The server's clock when it answered, in ms since the epoch (``requestTime``).
        self.request_time_ms = request_time_ms
        #: Seconds the server asked us to wait (Retry-After), when it said.
        self.retry_after = retry_after
        #: Extra context added by the client, such as "an earlier attempt may have succeeded".
        self.hint: str | None = None
        super().__init__(endpoint, code, message)

    @property
    def request_time(self) -> datetime | None:
        """The server's clock when it answered, as an aware UTC datetime."""
        if self.request_time_ms is None:
            return None
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=self.request_time_ms)
        except OverflowError:  # not from a response (those are bounded), but made by hand
            return None

    def __str__(self) -> str:
        text = f"{self.endpoint}: code {self.code}: {self.message} (HTTP {self.http_status})"
        return f"{text}; {self.hint}" if self.hint else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self})"


class InvalidTraderError(APIError):
    """80001: the trader does not exist or is inactive."""


class InvalidFollowSettingsError(APIError):
    """80002: the copy settings are out of range."""


class InsufficientBalanceError(APIError):
    """80003: the balance does not cover the copy amount."""


class CopyLimitExceededError(APIError):
    """80004: the account follows as many traders as it may."""


class AlreadyFollowingError(APIError):
    """80005: the account already follows this trader."""


class FollowNotFoundError(APIError):
    """40034: no follow has this id (or it belongs to another account)."""


class InvalidParameterError(APIError):
    """40017, 40020: the exchange refused a parameter the client's own checks let through
    (the message says which). Not retried: the same request would be refused again."""


class AuthenticationError(APIError):
    """The credentials, signature, passphrase or timestamp were refused."""


class RateLimitError(APIError):
    """Too many requests. ``retry_after`` is the server's wait in seconds, when it gave one."""

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after is None:
            return text
        if math.isinf(self.retry_after):
            return f"{text}; the server asks for a wait too long to read"
        return f"{text}; retry after {self.retry_after:g}s"


class RateLimitWaitError(RateLimitError):
    """The client's own rate limiter would have held this call longer than
    ``max_rate_limit_wait``, so it was refused and nothing was sent. ``retry_after`` is how long
    it would have waited (at least); ``http_status`` is the 429 the client gives itself."""

    def __init__(self, endpoint: str, *, retry_after: float, limit: float) -> None:
        #: The ``max_rate_limit_wait`` in force.
        self.limit = limit
        super().__init__(
            endpoint,
            "rate_limit_wait",
            f"the client's rate limiter would hold this call {retry_after:.3g}s, more than "
            f"max_rate_limit_wait ({limit:g}s); nothing was sent",
            http_status=429,
            retry_after=retry_after,
        )

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.message}"


class ServerError(APIError):
    """The exchange failed (HTTP 5xx)."""


class APIConnectionError(CopyTradeError):
    """No answer: the connection failed or broke.

    ``request_sent`` is False only when the request provably never left (the connection
    could not be opened), which is what makes a retry of a money-moving call safe.
    """

    def __init__(self, endpoint: str, message: str, *, request_sent: bool = True) -> None:
        self.endpoint = endpoint
        self.message = message
        self.request_sent = request_sent
        #: Where and how long, filled in by the client when the call gives up: the host it
        #: tried (never the query or a secret), the attempts made, the seconds they took.
        self.host: str | None = None
        self.attempts: int | None = None
        self.elapsed: float | None = None
        super().__init__(f"{endpoint}: {message}")

    def __str__(self) -> str:
        return self._where(f"{self.endpoint}: {self.message}")

    def _where(self, text: str) -> str:
        if self.host is None or self.attempts is None or self.elapsed is None:
            return text
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return f"{text}; gave up on {self.host} after {tries} in {self.elapsed:.2f} s"


class APITimeoutError(APIConnectionError):
    """The request timed out. ``limit`` names the limit that ran out (such as ``"10 s per
    read"``), when the client could tell."""

    def __init__(self, endpoint: str, message: str, *, request_sent: bool = True) -> None:
        self.limit: str | None = None
        super().__init__(endpoint, message, request_sent=request_sent)

    def __str__(self) -> str:
        text = f"{self.endpoint}: {self.message}"
        return self._where(f"{text}, at its limit of {self.limit}" if self.limit else text)


class PaginationError(CopyTradeError):
    """A list's pages contradict themselves: several pages in a row brought items but nothing
    new (a server repeating itself), so the walk was ended instead of following its
    ``totalPage``. What was yielded before is good; nothing is left out that the pages held."""

    def __init__(self, endpoint: str, message: str) -> None:
        self.endpoint = endpoint
        self.message = message
        super().__init__(f"{endpoint}: {message}")


class ResponseDecodeError(CopyTradeError):
    """The body could not be read as the exchange's envelope."""

    def __init__(self, endpoint: str, reason: str, *, http_status: int | None = None) -> None:
        self.endpoint = endpoint
        self.reason = reason
        self.http_status = http_status
        status = f" (HTTP {http_status})" if http_status is not None else ""
        super().__init__(f"{endpoint}: malformed response{status}: {reason}")


class ResponseValidationError(ResponseDecodeError):
    """The envelope was fine, but its data does not fit the record (a field missing or bad)."""

    def __init__(self, endpoint: str, field: str, reason: str) -> None:
        self.field = field
        super().__init__(endpoint, f"field {field!r}: {reason}")


class ResponseTooLargeError(ResponseDecodeError):
    """The body was longer than ``limit`` bytes (the client's ``max_response_bytes``); it was
    not read past that. Not retried: the same answer would be read again."""

    def __init__(self, endpoint: str, *, limit: int, http_status: int | None = None) -> None:
        self.limit = limit
        super().__init__(
            endpoint,
            f"body longer than {limit:,} bytes (max_response_bytes)",
            http_status=http_status,
        )


class ClientClosedError(CopyTradeError, RuntimeError):
    """The client was closed before or during this call, or the ``http_client`` given to it
    was. Also a ``RuntimeError``, which is what earlier versions (and httpx and aiohttp)
    raised."""

    def __init__(self, endpoint: str | None = None, *, what: str = "the client") -> None:
        self.endpoint = endpoint
        text = f"{what} is closed"
        super().__init__(f"{endpoint}: {text}" if endpoint else text)


_BY_CODE: dict[str, type[APIError]] = {
    "80001": InvalidTraderError,
    "80002": InvalidFollowSettingsError,
    "80003": InsufficientBalanceError,
    "80004": CopyLimitExceededError,
    "80005": AlreadyFollowingError,
    "40034": FollowNotFoundError,
    "40017": InvalidParameterError,
    "40020": InvalidParameterError,
    "429": RateLimitError,
    **dict.fromkeys(AUTH_CODES, AuthenticationError),
}


def error_class_for(http_status: int, code: str | None) -> type[APIError]:
    """Pick the class for a failed response. The exchange's code wins over the HTTP status."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    if http_status == 429:
        return RateLimitError
    if http_status in (401, 403):
        return AuthenticationError
    if http_status >= 500:
        return ServerError
    return APIError


def error_for_response(
    endpoint: str,
    http_status: int,
    code: str | None,
    message: str,
    *,
    request_time_ms: int | None = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the exception for a failed response (pure: no I/O)."""
    cls = error_class_for(http_status, code)
    shown_code = code if code is not None else f"HTTP {http_status}"
    return cls(
        endpoint,
        shown_code,
        message,
        http_status=http_status,
        request_time_ms=request_time_ms,
        retry_after=retry_after,
    )
