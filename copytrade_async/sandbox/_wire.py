"""Encoding answers: the envelope, JSON bodies, and the fault pages.

Records that do not change once built (a trader's summary until its next trade, a closed
trade) are kept as :class:`Fragment`, a read-only mapping that carries its own JSON text, so a
page of them is encoded by joining strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import attrs

from ._errors import SandboxError

__all__ = ["Fragment", "Response", "encode", "envelope", "error", "html", "success"]

_JSON = (b"content-type", b"application/json")
_HTML = (b"content-type", b"text/html; charset=utf-8")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class Fragment(Mapping[str, object]):
    """A JSON object, encoded once. Reads like a (read-only) dict."""

    __slots__ = ("_data", "json")

    def __init__(self, data: dict[str, object]) -> None:
        self._data = data
        self.json: str = _dumps(data)

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Fragment({self._data!r})"


def encode(value: object) -> str:
    """JSON text of ``value``; fragments are copied in as they are."""
    if isinstance(value, Fragment):
        return value.json
    if isinstance(value, list):
        items = [item.json if type(item) is Fragment else encode(item) for item in value]
        return "[" + ",".join(items) + "]"
    if isinstance(value, dict):
        if not any(isinstance(item, Fragment | list | dict) for item in value.values()):
            return _dumps(value)
        return "{" + ",".join([f"{_dumps(k)}:{encode(v)}" for k, v in value.items()]) + "}"
    return _dumps(value)


@attrs.frozen
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = (_JSON,)

    def with_body(self, body: bytes) -> Response:
        return attrs.evolve(self, body=body)


def envelope(code: str, msg: str, request_time: int, data: object) -> bytes:
    text = (
        f'{{"code":{_dumps(code)},"msg":{_dumps(msg)},"requestTime":{int(request_time)},'
        f'"data":{encode(data)}}}'
    )
    return text.encode()


def success(data: object, request_time: int) -> Response:
    return Response(200, envelope("00000", "success", request_time, data))


def error(
    exc: SandboxError, request_time: int, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> Response:
    return Response(exc.status, envelope(exc.code, exc.msg, request_time, None), (_JSON, *headers))


def html(status: int, body: bytes) -> Response:
    return Response(status, body, (_HTML,))
