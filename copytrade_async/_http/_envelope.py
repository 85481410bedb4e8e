"""Reading a response: the ``{"code", "msg", "requestTime", "data"}`` envelope. Pure functions.

:func:`decode_envelope` takes the status, headers and body bytes and returns the envelope's
``data`` or raises the matching error. It needs no network, so every rule here is tested with
plain tables.

JSON is read by :func:`parse_json`: a number with a fraction or an exponent becomes a
``Decimal`` and never passes through ``float``. When ``msgspec`` is installed (the ``aiohttp``
extra) its decoder reads the body, with ``float_hook=Decimal``: it hands every such number to
``Decimal`` as the text that was sent, and it reads integers of any size exactly. A body it
refuses goes to the standard library, which reads every body exactly as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from .._exceptions import ResponseDecodeError, error_for_response

__all__ = ["Envelope", "decode_envelope", "parse_json", "parse_retry_after", "parse_server_date"]

SUCCESS = "00000"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@attrs.frozen
class Envelope:
    data: Any
    #: The server's clock in ms (``requestTime``), when the envelope had one.
    request_time_ms: int | None


_Decode = Callable[[bytes], Any]
_fast_decode: _Decode | None = None
_fast_decode_known = False


def _find_fast_decoder() -> _Decode | None:
    """msgspec's decoder when msgspec is installed; looked up on first use, not on import."""
    global _fast_decode, _fast_decode_known
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is optional
        _fast_decode = None
    else:
        _fast_decode = msgspec.json.Decoder(float_hook=Decimal).decode
    _fast_decode_known = True
    return _fast_decode


def parse_json(content: bytes) -> Any:
    """Parse a JSON body; a number with a fraction or an exponent becomes a ``Decimal``.

    Raises ``ValueError`` (``UnicodeDecodeError`` included) for a body that is not JSON.
    """
    decode = _fast_decode if _fast_decode_known else _find_fast_decoder()
    if decode is not None:
        try:
            return decode(content)
        except ValueError:
            pass  # the standard library has the last word (it also reads UTF-16 and NaN)
    return json.loads(content, parse_float=Decimal)


def _http_date(value: str) -> datetime | None:
    """An HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``) as an aware datetime, or None."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After-Ms``, or ``Retry-After`` in seconds or as an HTTP date.

    Returns None when there is no usable header. Negative values become 0.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    reference = now if now is not None else datetime.now(UTC)
    return max((when - reference).total_seconds(), 0.0)


def parse_server_date(headers: Mapping[str, str]) -> int | None:
    """The ``Date`` header in ms since the epoch (one-second resolution), or None."""
    value = headers.get("date")
    when = _http_date(value) if value else None
    return None if when is None else int(when.timestamp()) * 1000


def _snippet(content: bytes) -> str:
    text = _SPACE.sub(" ", _TAG.sub(" ", content[:500].decode("utf-8", "replace"))).strip()
    return text[:120] or "empty body"


def _request_time_ms(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def decode_envelope(
    endpoint: str,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    now: datetime | None = None,
) -> Envelope:
    """Return the envelope of a successful response, or raise the error the response means."""
    retry_after = parse_retry_after(headers, now) if status == 429 or status == 503 else None
    try:
        body = parse_json(content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or "code" not in body:
        if 200 <= status < 300:
            reason = "body is not JSON" if body is None else "body is not the envelope"
            raise ResponseDecodeError(endpoint, f"{reason}: {_snippet(content)}", http_status=200)
        raise error_for_response(endpoint, status, None, _snippet(content), retry_after=retry_after)

    code = str(body["code"])
    request_ms = _request_time_ms(body.get("requestTime"))
    if code == SUCCESS and 200 <= status < 300:
        return Envelope(data=body.get("data"), request_time_ms=request_ms)
    if code == "429" and retry_after is None:
        retry_after = parse_retry_after(headers, now)
    message = str(body.get("msg") or "no message")
    raise error_for_response(
        endpoint,
        status,
        None if code == SUCCESS else code,
        message,
        request_time_ms=request_ms,
        retry_after=retry_after,
    )
