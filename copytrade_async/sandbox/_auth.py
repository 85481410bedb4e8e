"""Checking a request's credentials and signature, and the per-key token bucket.

The sandbox verifies signatures with its own code, written from the exchange's rule and sharing
nothing with the client's signing, so a fault in one cannot hide behind the same fault in the
other. The query is decoded as a server decodes it (each ``key=value`` pair percent-decoded,
``+`` read as a space, in the order the pairs arrived), and the prehash is rebuilt as::

    timestamp + METHOD + path + ("?" + decoded query, when there is one) + body

with the body exactly as it arrived. Signatures are compared in constant time. The checks, in
this order (codes and meanings from the exchange's error table as ccxt carries it):

=========================================  =====  ==========================================
what is wrong                              code   HTTP status and message
=========================================  =====  ==========================================
``ACCESS-KEY`` missing or empty            40001  401 "ACCESS_KEY cannot be empty"
``ACCESS-KEY`` unknown                     40006  401 "Invalid ACCESS_KEY"
``ACCESS-TIMESTAMP`` missing or not ms     40005  401 "Invalid ACCESS_TIMESTAMP"
``ACCESS-TIMESTAMP`` beyond the tolerance  40008  401 "Request timestamp expired"
``ACCESS-PASSPHRASE`` missing or empty     40011  401 "ACCESS_PASSPHRASE cannot be empty"
``ACCESS-PASSPHRASE`` wrong                40012  401 "apikey/password is incorrect"
``ACCESS-SIGN`` missing or empty           40003  400 "signature cannot be empty"
``ACCESS-SIGN`` wrong                      40009  400 "sign signature error"
key and ``paptrading`` disagree            40099  400 "exchange environment is incorrect: ..."
=========================================  =====  ==========================================

40009 answers HTTP 400, as the exchange does; the others keep the sandbox's earlier 401.

The environment comes last, once the request is known to come from the key's owner. A demo
(paper trading) key must send ``paptrading: 1`` and a live key must not: ``paptrading: 0`` or
no header at all is live. Any other value is refused whatever the key (a bot that believes it
sends a demo flag must never be taken for live). The messages name the mismatch: "demo API key
used without paptrading: 1", "live API key used with paptrading: 1", "paptrading must be 1
(demo) or 0 (live)".

40099 "exchange environment is incorrect" is the exchange's own answer to a key used in the
wrong environment: ccxt users quote it verbatim (ccxt issues 25004 and 25502: a demo key
without the header; ccxt's error table has no entry for it, so ccxt raises its generic
ExchangeError). HTTP 400 is what one public report of that answer shows, and what the
exchange uses for the signature's 40009; the client maps the code, not the status, to
``AuthenticationError``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import threading
from typing import NoReturn
from urllib.parse import unquote_plus

from ._accounts import Account
from ._errors import SandboxError

__all__ = [
    "WRONG_ENVIRONMENT",
    "TokenBuckets",
    "authenticate_key",
    "check_environment",
    "decode_query",
    "expected_signature",
    "retry_after_headers",
    "verify_request",
]

#: The longest timestamp header read as milliseconds (16 digits reach the year 318857).
_MAX_TIMESTAMP_DIGITS = 16
#: The exchange's code for a key used in the wrong environment (demo or live).
WRONG_ENVIRONMENT = "40099"
_DEMO, _LIVE = "1", "0"


def authenticate_key(accounts: dict[str, Account], headers: dict[str, str]) -> Account:
    """The account of the request's ``ACCESS-KEY`` (40001 when missing, 40006 when unknown)."""
    api_key = headers.get("access-key", "")
    if not api_key:
        raise SandboxError("40001", "ACCESS_KEY cannot be empty", 401)
    account = accounts.get(api_key)
    if account is None:
        raise SandboxError("40006", "Invalid ACCESS_KEY", 401)
    return account


def decode_query(raw_query: str) -> str:
    """The query as it is signed: every ``key=value`` pair decoded, in the order it arrived.

    ``raw_query`` is the query string exactly as it came over the wire (ASCII).
    """
    if not raw_query:
        return ""
    decoded = []
    for pair in raw_query.split("&"):
        key, eq, value = pair.partition("=")
        decoded.append(unquote_plus(key) + eq + unquote_plus(value))
    return "&".join(decoded)


def expected_signature(
    secret: str, timestamp: str, method: str, path: str, raw_query: str, body: bytes
) -> str:
    """The signature a request must carry, from the exchange's rule."""
    query = decode_query(raw_query)
    text = timestamp + method.upper() + path + (f"?{query}" if query else "")
    message = text.encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_request(
    account: Account,
    headers: dict[str, str],
    method: str,
    path: str,
    raw_query: str,
    body: bytes,
    server_ms: int,
    tolerance_ms: int | None,
) -> None:
    """Check the timestamp, the passphrase and the signature, in that order."""
    timestamp = headers.get("access-timestamp", "")
    if not (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS
    ):
        raise SandboxError("40005", "Invalid ACCESS_TIMESTAMP", 401)
    if tolerance_ms is not None and abs(int(timestamp) - server_ms) > tolerance_ms:
        raise SandboxError("40008", "Request timestamp expired", 401)
    passphrase = headers.get("access-passphrase", "")
    if not passphrase:
        raise SandboxError("40011", "ACCESS_PASSPHRASE cannot be empty", 401)
    if not _same(passphrase, account.passphrase):
        raise SandboxError("40012", "apikey/password is incorrect", 401)
    sign = headers.get("access-sign", "")
    if not sign:
        raise SandboxError("40003", "signature cannot be empty", 400)
    expected = expected_signature(account.api_secret, timestamp, method, path, raw_query, body)
    if not _same(sign, expected):
        raise SandboxError("40009", "sign signature error", 400)
    check_environment(account, headers.get("paptrading"))


def check_environment(account: Account, paptrading: str | None) -> None:
    """A demo key needs ``paptrading: 1``; a live key needs no header or ``paptrading: 0``."""
    if paptrading not in (None, _DEMO, _LIVE):
        _wrong_environment("paptrading must be 1 (demo) or 0 (live)")
    if account.demo and paptrading != _DEMO:
        _wrong_environment("demo API key used without paptrading: 1")
    if not account.demo and paptrading == _DEMO:
        _wrong_environment("live API key used with paptrading: 1")


def _wrong_environment(detail: str) -> NoReturn:
    raise SandboxError(WRONG_ENVIRONMENT, f"exchange environment is incorrect: {detail}", 400)


def _same(header: str, expected: str) -> bool:
    """Compare in constant time. Headers are decoded as latin-1, so re-encoding gives back
    their bytes, which are compared to the UTF-8 bytes of the expected value."""
    return hmac.compare_digest(header.encode("latin-1"), expected.encode())


class TokenBuckets:
    """One token bucket per API key, on real (monotonic) time."""

    def __init__(self, rate: float | None, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()  # a served sandbox may also be called in-process

    def take(self, key: str, now: float) -> float | None:
        """Take a token; ``None`` if there was one, else the seconds until there will be."""
        rate = self.rate
        if rate is None:
            return None
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate


def retry_after_headers(seconds: float) -> list[tuple[bytes, bytes]]:
    """``Retry-After`` in whole seconds (rounded up) and ``Retry-After-Ms`` to the ms."""
    ms = max(1, math.ceil(seconds * 1000))
    return [
        (b"retry-after", str(max(1, math.ceil(ms / 1000))).encode()),
        (b"retry-after-ms", str(ms).encode()),
    ]
