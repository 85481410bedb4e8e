"""The module-level cattrs converter that turns envelope data into records.

* camelCase keys from the wire map onto snake_case attributes through a factory hook, so the
  structuring code for each record class is generated once and then reused.
* ``Decimal`` values are built from the string (or an exact JSON number read as ``Decimal``)
  and never through ``float``. A ``float`` reaching the converter is refused.
* Millisecond timestamps become aware UTC datetimes.
* ``Enum | str`` fields keep unknown values as plain strings; unknown keys are ignored.

The converter runs without ``detailed_validation``, which is the fast path. When structuring
fails, the same data goes once through a second, detailed converter built by the same code, so
the error can name the field that was wrong. That cost is paid only on failure.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._exceptions import ResponseDecodeError, ResponseValidationError
from ._models import Page

__all__ = ["converter", "ms_to_datetime", "parse_decimal", "structure", "structure_page"]

T = TypeVar("T")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def parse_decimal(value: object) -> Decimal:
    """Read a wire value as Decimal. Strings and ints are exact; floats are refused."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise TypeError(f"expected a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def ms_to_datetime(value: object) -> datetime:
    """Millisecond epoch (int or numeric string) to an aware UTC datetime, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise TypeError(f"expected milliseconds since the epoch, got {type(value).__name__}")
    return _EPOCH + timedelta(milliseconds=int(value))


def _optional_decimal(value: object, _: object) -> Decimal | None:
    # Servers often send "" for a setting that is not set.
    if value is None or value == "":
        return None
    return parse_decimal(value)


def _optional_datetime(value: object, _: object) -> datetime | None:
    if value is None or value == "" or value == 0:
        return None
    return ms_to_datetime(value)


def _enum_or_str(tp: Any) -> type[Enum] | None:
    """For ``SomeEnum | str`` return ``SomeEnum``; otherwise None."""
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    args = get_args(tp)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, Enum)]
    if len(args) == 2 and str in args and len(enums) == 1:
        return enums[0]
    return None


def _make_enum_or_str_hook(tp: Any) -> Callable[[object, object], object]:
    enum_cls = _enum_or_str(tp)
    assert enum_cls is not None
    members: Mapping[str, Enum] = enum_cls._value2member_map_

    def hook(value: object, _: object) -> object:
        text = str(value)
        return members.get(text, text)

    return hook


def _build(detailed: bool, *, forbid_extra_keys: bool = False) -> cattrs.Converter:
    """Build a converter. The library's is lenient; tests build a strict one to check that our
    records read every field of the spec's examples."""
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=forbid_extra_keys)
    conv.register_structure_hook(Decimal, lambda v, _: parse_decimal(v))
    conv.register_structure_hook(datetime, lambda v, _: ms_to_datetime(v))
    conv.register_structure_hook(Decimal | None, _optional_decimal)
    conv.register_structure_hook(datetime | None, _optional_datetime)
    conv.register_structure_hook_factory(
        lambda t: _enum_or_str(t) is not None, _make_enum_or_str_hook
    )

    def attrs_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
        renames: dict[str, Any] = {
            a.name: override(rename=to_camel(a.name)) for a in attrs.fields(cls)
        }
        return make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=forbid_extra_keys, **renames
        )

    conv.register_structure_hook_factory(attrs.has, attrs_hook)
    return conv


#: The library's converter. Build records with :func:`structure` to get our errors.
converter = _build(detailed=False)
_diagnostic = _build(detailed=True)


def _first_problem(exc: BaseException) -> tuple[str, str]:
    """Find the deepest failing field in a detailed cattrs error: (dotted path, reason)."""
    path: list[str] = []
    while isinstance(exc, cattrs.BaseValidationError):
        inner = exc.exceptions[0]
        for note in getattr(inner, "__notes__", ()):
            note_text = str(note)
            if " @ attribute " in note_text:
                path.append(to_camel(note_text.rsplit(" @ attribute ", 1)[1]))
                break
            if " @ index " in note_text:
                path.append(note_text.rsplit(" @ index ", 1)[1])
                break
        exc = inner
    if isinstance(exc, KeyError):
        reason = "required field is missing"
    else:
        reason = str(exc) or type(exc).__name__
    return ".".join(path) or "<data>", reason


def _fail(endpoint: str, data: object, cls: Any, exc: Exception) -> ResponseDecodeError:
    try:
        _diagnostic.structure(data, cls)
    except Exception as detailed:
        field, reason = _first_problem(detailed)
        return ResponseValidationError(endpoint, field, reason)
    return ResponseDecodeError(endpoint, f"cannot read data as {cls}: {exc}")


def structure(endpoint: str, data: object, cls: type[T]) -> T:
    """Structure ``data`` into ``cls``; on failure raise an error naming endpoint and field."""
    if attrs.has(cls) and not isinstance(data, Mapping):
        raise ResponseDecodeError(endpoint, f"expected an object, got {type(data).__name__}")
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        raise _fail(endpoint, data, cls, exc) from exc


def structure_list(endpoint: str, data: object, item_cls: type[T]) -> tuple[T, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ResponseDecodeError(endpoint, f"expected a list, got {type(data).__name__}")
    return tuple(structure(endpoint, item, item_cls) for item in data)


def _count(endpoint: str, data: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ResponseValidationError(endpoint, key, f"not a whole number: {value!r}") from None


def structure_page(
    endpoint: str,
    data: object,
    item_cls: type[T],
    *,
    requested_page: int,
    requested_size: int,
    request_time_ms: int | None,
) -> Page[T]:
    """Read a paginated ``data`` object. Missing counts are tolerated; a missing list is empty."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ResponseDecodeError(endpoint, f"expected a page object, got {type(data).__name__}")
    items = structure_list(endpoint, data.get("list"), item_cls)
    total_page = _count(endpoint, data, "totalPage", 0)
    total_num = _count(endpoint, data, "totalNum", len(items))
    page_size = _count(endpoint, data, "pageSize", requested_size)
    # ``currentPage`` is not read at all: a wrong one (even "x") must not sink a walk.
    assert total_page is not None and total_num is not None and page_size is not None
    # Servers leave ``currentPage`` out or get it wrong; the page we asked for is the truth.
    return Page(
        items=items,
        total_page=total_page,
        total_num=total_num,
        current_page=requested_page,
        page_size=page_size,
        request_time=None if request_time_ms is None else ms_to_datetime(request_time_ms),
    )
