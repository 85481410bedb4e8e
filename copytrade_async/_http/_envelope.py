"""Reading a response: the ``{"code", "msg", "requestTime", "data"}`` envelope. Pure functions.

:func:`decode_envelope` takes the status, headers and body bytes and returns the envelope's
``data`` or raises the matching error. It needs no network, so every rule here is tested with
plain tables.

JSON is read by :func:`parse_json`: a number with a fraction or an exponent (and ``NaN`` or
``Infinity``, which the standard library accepts) becomes a ``Decimal`` and never passes through
``float``. When ``msgspec`` is installed (the ``aiohttp`` extra) its decoder reads the body, with
``float_hook=Decimal``: it hands every such number to ``Decimal`` as the text that was sent, and
it reads integers of any size exactly. A body it refuses goes to the standard library, which
reads every body exactly as before.

Whatever the server sends, only our own errors come out. A body nested too deeply is "not
JSON"; a ``code`` that is not a short string or integer makes the body "not the envelope"; a
``msg`` that is not a string is described, and a long one cut short. Values that feed the clock
estimate are bounded:

* ``requestTime`` counts as the server's clock only when it is a whole number of milliseconds
  (an integer, a string of ASCII digits, or a whole decimal such as ``1.6e12``) after the epoch
  and before the year 3000 (:data:`MAX_SERVER_MS`); anything else is ignored as if absent, so it
  neither poisons the clock estimate nor reaches ``APIError.request_time`` or
  ``Page.request_time``. The ``Date`` header is bounded the same way.
* ``Retry-After`` (seconds) and ``Retry-After-Ms`` must be unsigned decimal numbers (``2``,
  ``0.5``, ``1e3``) or, for ``Retry-After``, an HTTP date. Anything else (``nan``, ``inf``,
  ``-1``) is ignored as if absent; a number past :data:`MAX_WAIT_S` is ``math.inf``, "longer than
  any cap".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from .._exceptions import ResponseDecodeError, error_for_response

__all__ = [
    "MAX_SERVER_MS",
    "MAX_WAIT_S",
    "Envelope",
    "decode_envelope",
    "parse_json",
    "parse_retry_after",
    "parse_server_date",
    "server_ms",
]

SUCCESS = "00000"
#: 3000-01-01T00:00:00Z in ms: a server time at or past it is not a server time.
MAX_SERVER_MS = 32_503_680_000_000
#: A wait longer than this (about 31 years) is read as ``math.inf``.
MAX_WAIT_S = 1e9
#: The longest ``code`` and ``msg`` an error carries (a longer message is cut short).
MAX_CODE_CHARS = 32
MAX_MESSAGE_CHARS = 500

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_MS = re.compile(r"[0-9]{1,17}")
_WAIT = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")


@attrs.frozen
class Envelope:
    data: Any
    #: The server's clock in ms (``requestTime``), when the envelope had a sane one.
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

    Raises ``ValueError`` (``UnicodeDecodeError`` included) for a body that is not JSON, or
    that is nested too deeply to read.
    """
    decode = _fast_decode if _fast_decode_known else _find_fast_decoder()
    if decode is not None:
        try:
            return decode(content)
        except (ValueError, RecursionError):
            pass  # the standard library has the last word (it also reads UTF-16 and NaN)
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=Decimal)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None  # its traceback says nothing more


def server_ms(value: object) -> int | None:
    """``value`` as the server's clock in ms since the epoch, or None when it cannot be one."""
    if type(value) is int:  # not a bool
        ms = value
    elif isinstance(value, str) and _MS.fullmatch(value):
        ms = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and 0 < value < MAX_SERVER_MS:
        if value != value.to_integral_value():
            return None
        ms = int(value)
    else:
        return None
    return ms if 0 < ms < MAX_SERVER_MS else None


def _http_date(value: str) -> datetime | None:
    """An HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``) as an aware datetime, or None."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _wait(text: str, unit: float) -> float | None:
    """An unsigned decimal number of ``unit`` seconds; None when unreadable."""
    text = text.strip()
    if not _WAIT.fullmatch(text):
        return None
    seconds = float(text) * unit  # an overflow is inf, never an error
    return math.inf if seconds > MAX_WAIT_S else seconds


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait, from ``Retry-After-Ms``, or ``Retry-After`` in seconds or as an HTTP date.

    Returns None when there is no readable header, ``math.inf`` for a wait past
    :data:`MAX_WAIT_S`; a date in the past is 0.
    """
    ms = headers.get("retry-after-ms")
    if ms is not None:
        seconds = _wait(ms, 0.001)
        if seconds is not None:
            return seconds
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _wait(value, 1.0)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    reference = now if now is not None else datetime.now(UTC)
    seconds = max((when - reference).total_seconds(), 0.0)
    return math.inf if seconds > MAX_WAIT_S else seconds


def parse_server_date(headers: Mapping[str, str]) -> int | None:
    """The ``Date`` header in ms since the epoch (one-second resolution), or None when it is
    missing, unreadable or outside (epoch, year 3000)."""
    value = headers.get("date")
    when = _http_date(value) if value else None
    if when is None:
        return None
    return server_ms(int(when.timestamp()) * 1000)


def _keep(text: str) -> str:
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _snippet(content: bytes, redact: Callable[[str], str]) -> str:
    text = redact(content[:2000].decode("utf-8", "replace"))
    text = _SPACE.sub(" ", _TAG.sub(" ", text)).strip()
    return _cut(text, 120) or "empty body"


def _code(value: object) -> str | None:
    """The envelope's ``code`` as text, or None when it cannot be one (the body is then not
    the envelope)."""
    if isinstance(value, str):
        return value if len(value) <= MAX_CODE_CHARS else None
    if type(value) is int and abs(value) < 10**MAX_CODE_CHARS:
        return str(value)
    return None


def _message(value: object, redact: Callable[[str], str]) -> str:
    if value is None or value == "":
        return "no message"
    if isinstance(value, str):
        return _cut(redact(value), MAX_MESSAGE_CHARS)
    if type(value) is int and abs(value) < 10**MAX_CODE_CHARS:
        return str(value)
    kind = {list: "a list", dict: "an object", bool: "a boolean"}.get(type(value), "a number")
    return f"(the message is {kind}, not text)"


def decode_envelope(
    endpoint: str,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    now: datetime | None = None,
    redact: Callable[[str], str] = _keep,
) -> Envelope:
    """Return the envelope of a successful response, or raise the error the response means.

    ``redact`` is applied to every text of the server's (``msg``, a snippet of the body) before
    it is cut short and put into an error, so a secret the server echoes never reaches one.
    """
    retry_after = parse_retry_after(headers, now) if status == 429 or status == 503 else None
    unreadable: ValueError | None = None
    try:
        body = parse_json(content)
    except ValueError as exc:
        body = None
        # The reason, as the cause, without the whole body a JSONDecodeError holds.
        unreadable = ValueError(f"{type(exc).__name__}: {exc}")
    code = _code(body.get("code")) if isinstance(body, dict) else None
    if code is None:
        snippet = _snippet(content, redact)
        if 200 <= status < 300:
            reason = "body is not JSON" if body is None else "body is not the envelope"
            error = ResponseDecodeError(endpoint, f"{reason}: {snippet}", http_status=status)
            raise error from unreadable
        raise error_for_response(endpoint, status, None, snippet, retry_after=retry_after)

    assert isinstance(body, dict)
    request_ms = server_ms(body.get("requestTime"))
    if code == SUCCESS and 200 <= status < 300:
        return Envelope(data=body.get("data"), request_time_ms=request_ms)
    if code == "429" and retry_after is None:
        retry_after = parse_retry_after(headers, now)
    raise error_for_response(
        endpoint,
        status,
        None if code == SUCCESS else code,
        _message(body.get("msg"), redact),
        request_time_ms=request_ms,
        retry_after=retry_after,
    )
