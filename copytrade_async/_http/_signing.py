"""Request signing, as the exchange verifies it. Pure functions: no I/O, no clock.

The signature is ``base64(HMAC-SHA256(secret, prehash))`` with::

    prehash = timestamp + METHOD + requestPath + ("?" + query, only when there is one) + body

where ``query`` is the **decoded** text: the ``key=value`` pairs joined by ``&``, values not
percent-encoded, in exactly the order in which they are sent. The URL carries the same pairs
percent-encoded, in the same order. (The official SDK and ccxt sign it that way; ccxt moved to
it after the exchange answered 40009 to a query value it had signed encoded.) A POST body is
signed byte for byte as it is sent, and has no query.

:class:`Query` builds both forms of a query at once, so they can never disagree; the pairs go
in sorted key order (a client's convention, as ccxt's: the exchange only needs the order of
the URL and the prehash to be the same).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

import attrs

__all__ = ["EMPTY_QUERY", "Query", "Signer", "prehash"]

# Characters left as they are in a query component; everything else is percent-encoded.
# This is RFC 3986's unreserved set, which httpx also leaves untouched on the wire.
_SAFE = "-._~"


def _component(text: str) -> str:
    # ASCII letters and digits are unreserved: most values (ids, page numbers, times) are
    # nothing else, and skipping ``quote`` for them is the cheap path.
    if text.isascii() and text.isalnum():
        return text
    return quote(text, safe=_SAFE)


@attrs.frozen
class Query:
    """A query string in the two forms a request needs."""

    #: What the URL carries: every key and value percent-encoded.
    wire: str
    #: What is signed: the same pairs, in the same order, not encoded.
    signed: str

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        """The query of ``params`` (already strings), keys in sorted order."""
        keys = sorted(params)
        return cls(
            wire="&".join(f"{_component(key)}={_component(params[key])}" for key in keys),
            signed="&".join(f"{key}={params[key]}" for key in keys),
        )


EMPTY_QUERY = Query("", "")


def prehash(timestamp: str, method: str, request_path: str, query: str, body: str) -> str:
    """The exact text that is signed; ``query`` is the decoded (signed) form."""
    query_part = f"?{query}" if query else ""
    return f"{timestamp}{method.upper()}{request_path}{query_part}{body}"


class Signer:
    """Every header of a signed request, for one set of credentials: the HMAC key is prepared
    once, and only the timestamp and the signature are computed per request."""

    __slots__ = ("_api_key", "_key", "_passphrase")

    def __init__(self, api_key: str, api_secret: str, passphrase: str) -> None:
        self._api_key = api_key
        self._passphrase = passphrase
        self._key = hmac.new(api_secret.encode(), digestmod=hashlib.sha256)

    def signature(
        self, timestamp: str, method: str, request_path: str, query: str, body: str
    ) -> str:
        """The base64 signature of one request (``query`` in its signed, decoded form)."""
        mac = self._key.copy()
        mac.update(prehash(timestamp, method, request_path, query, body).encode())
        return base64.b64encode(mac.digest()).decode()

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
        """The headers of one request (``query`` in its signed, decoded form)."""
        timestamp = str(timestamp_ms)
        headers = {
            "ACCESS-KEY": self._api_key,
            "ACCESS-SIGN": self.signature(timestamp, method, request_path, query, body),
            "ACCESS-TIMESTAMP": timestamp,
            "ACCESS-PASSPHRASE": self._passphrase,
            "Content-Type": "application/json",
            "locale": locale,
        }
        if demo:
            headers["paptrading"] = "1"
        return headers
