"""An independent implementation of the exchange's request signing, for tests.

Written from the exchange's documented rule, not from ``copytrade_async``'s code, so a test that
checks the client (or the sandbox) against it checks two implementations against each other::

    base64(HMAC-SHA256(secret, timestamp + METHOD + path + ("?" + query if query) + body))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import quote, unquote

#: What a query component keeps unencoded (RFC 3986's unreserved characters).
UNRESERVED = "-._~"


def encoded_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The query as the URL carries it: each key and value percent-encoded, in this order."""
    return "&".join(f"{quote(k, safe=UNRESERVED)}={quote(v, safe=UNRESERVED)}" for k, v in pairs)


def decoded_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The query as the exchange signs it: the same pairs, not encoded, in the same order."""
    return "&".join(f"{k}={v}" for k, v in pairs)


def signed_query_of(raw_query: str) -> str:
    """The signed form of a query as it arrived: every pair percent-decoded, order kept."""
    if not raw_query:
        return ""
    pairs = (part.partition("=") for part in raw_query.split("&"))
    return "&".join(unquote(k) + eq + unquote(v) for k, eq, v in pairs)


def signature(secret: str, timestamp: str, method: str, path: str, query: str, body: str) -> str:
    """The signature of one request; ``query`` is the text that is signed."""
    message = timestamp + method.upper() + path + (f"?{query}" if query else "") + body
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def auth_headers(
    *,
    api_key: str,
    api_secret: str,
    passphrase: str,
    timestamp_ms: int,
    method: str,
    path: str,
    query: str,
    body: str,
    demo: bool = False,
    locale: str = "en-US",
) -> dict[str, str]:
    """Every header a signed request carries."""
    timestamp = str(timestamp_ms)
    headers = {
        "ACCESS-KEY": api_key,
        "ACCESS-SIGN": signature(api_secret, timestamp, method, path, query, body),
        "ACCESS-TIMESTAMP": timestamp,
        "ACCESS-PASSPHRASE": passphrase,
        "Content-Type": "application/json",
        "locale": locale,
    }
    if demo:
        headers["paptrading"] = "1"
    return headers
