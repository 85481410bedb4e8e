"""Checking a request's credentials and signature, and the per-key token bucket.

The signature is checked with the client's own functions (``copytrade_async._http._signing``) over
the query string and the body exactly as they arrived. Rules, in this order:

* ``ACCESS-KEY`` missing or unknown: 40006 "Invalid ACCESS_KEY" (40037 is never used).
* ``ACCESS-TIMESTAMP`` missing or not an integer: 40009 (nothing can be verified); further
  than the tolerance from the server's clock: 40008.
* ``ACCESS-PASSPHRASE`` missing or wrong: 40012.
* ``ACCESS-SIGN`` missing or wrong: 40009 "sign signature error".

All of them answer HTTP 401.
"""

from __future__ import annotations

import hmac
import math
import threading

from .._http import _signing
from ._accounts import Account
from ._errors import SandboxError

__all__ = ["TokenBuckets", "authenticate_key", "retry_after_headers", "verify_request"]


def authenticate_key(accounts: dict[str, Account], headers: dict[str, str]) -> Account:
    """The account of the request's ``ACCESS-KEY`` (40006 when missing or unknown)."""
    account = accounts.get(headers.get("access-key", ""))
    if account is None:
        raise SandboxError("40006", "Invalid ACCESS_KEY", 401)
    return account


def verify_request(
    account: Account,
    headers: dict[str, str],
    method: str,
    path: str,
    query: str,
    body: str,
    server_ms: int,
    tolerance_ms: int | None,
) -> None:
    """Check the timestamp, the passphrase and the signature, in that order."""
    timestamp = headers.get("access-timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 16:
        raise SandboxError("40009", "sign signature error", 401)
    if tolerance_ms is not None and abs(int(timestamp) - server_ms) > tolerance_ms:
        raise SandboxError("40008", "Request timestamp expired", 401)
    if not _same(headers.get("access-passphrase", ""), account.passphrase):
        raise SandboxError("40012", "Invalid passphrase", 401)
    expected = _signing.sign(account.api_secret, timestamp, method, path, query, body)
    if not _same(headers.get("access-sign", ""), expected):
        raise SandboxError("40009", "sign signature error", 401)


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
