"""Request signing, as the exchange documents it. Pure functions: no I/O, no clock.

The signature is ``base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + "?" + query
+ body))``, where the ``"?" + query`` part is present only when there is a query string and
the body is empty for GET. The query string and body that are signed must be byte-for-byte the
ones sent, so this module also owns their encoding: the client sends what these functions
return, and the sandbox verifies with the same functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = [
    "Signer",
    "encode_query",
    "prehash",
    "sign",
]

# Characters left as they are in a query component; everything else is percent-encoded.
# This is RFC 3986's unreserved set, which httpx also leaves untouched on the wire.
_SAFE = "-._~"


def _component(text: str) -> str:
    # ASCII letters and digits are unreserved: most values (ids, page numbers, times) are
    # nothing else, and skipping ``quote`` for them is the cheap path.
    if text.isascii() and text.isalnum():
        return text
    return quote(text, safe=_SAFE)


def encode_query(params: Mapping[str, str]) -> str:
    """Encode ``params`` as a query string with keys in sorted order.

    Values must already be strings (the caller formats numbers and timestamps).
    """
    return "&".join(f"{_component(key)}={_component(params[key])}" for key in sorted(params))


def prehash(timestamp: str, method: str, request_path: str, query: str, body: str) -> str:
    """The exact string that is signed."""
    query_part = f"?{query}" if query else ""
    return f"{timestamp}{method.upper()}{request_path}{query_part}{body}"


def sign(secret: str, timestamp: str, method: str, request_path: str, query: str, body: str) -> str:
    """Return the base64 HMAC-SHA256 signature of one request."""
    message = prehash(timestamp, method, request_path, query, body).encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Signer:
    """Every header of a signed request, for one set of credentials: the HMAC key is prepared
    once, and only the timestamp and the signature are computed per request."""

    __slots__ = ("_api_key", "_key", "_passphrase")

    def __init__(self, api_key: str, api_secret: str, passphrase: str) -> None:
        self._api_key = api_key
        self._passphrase = passphrase
        self._key = hmac.new(api_secret.encode(), digestmod=hashlib.sha256)

    def headers(
        self,
        timestamp_ms: int,
        method: str,
        request_path: str,
        query: str,
        body: str,
        locale: str,
        demo: bool,
    ) -> dict[str, str]:
        timestamp = str(timestamp_ms)
        mac = self._key.copy()
        mac.update(prehash(timestamp, method, request_path, query, body).encode())
        headers = {
            "ACCESS-KEY": self._api_key,
            "ACCESS-SIGN": base64.b64encode(mac.digest()).decode(),
            "ACCESS-TIMESTAMP": timestamp,
            "ACCESS-PASSPHRASE": self._passphrase,
            "Content-Type": "application/json",
            "locale": locale,
        }
        if demo:
            headers["paptrading"] = "1"
        return headers
