"""The module-level cattrs converter that turns envelope data into records.

* camelCase keys from the wire map onto snake_case attributes through a factory hook, so the
  structuring code for each record class is generated once and then reused.
* Each wire value is read by the hooks of :mod:`._wire_values`: ``Decimal`` never through
  ``float``, counts as exact whole numbers, millisecond timestamps as aware UTC datetimes,
  ``null`` refused as text, enums keeping unknown values as unknown members. Unknown keys
  are ignored. The page counts of :func:`structure_page` follow the rule of the counts.
* Flat records get a structuring function written for them (:mod:`._codegen`); others
  get cattrs' own generated code.

The converter runs without ``detailed_validation``, which is the fast path. When structuring
fails, the same data goes once through a second, detailed converter built by the same code
(with cattrs' generated functions only), so the error can name the field that was wrong. That
cost is paid only on failure. A list of records is structured with the hook looked up once for
the whole list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from .._exceptions import ResponseDecodeError, ResponseValidationError
from ._codegen import flat_record_hook
from ._enums import OpenStrEnum
from ._models import Page
from ._wire_values import (
    datetime_hook,
    decimal_hook,
    enum_hook,
    ms_to_datetime,
    optional_datetime_hook,
    optional_decimal_hook,
    optional_text_hook,
    text_hook,
    to_camel,
    whole_hook,
    whole_number,
)

__all__ = ["converter", "structure", "structure_list", "structure_page"]

T = TypeVar("T")


def _build(
    detailed: bool, *, forbid_extra_keys: bool = False, flat_hooks: bool = True
) -> cattrs.Converter:
    """Build a converter. The library's is lenient; tests build a strict one to check that our
    records read every field of the spec's examples, and the decoding benchmark one without
    the functions of :mod:`._codegen` (``flat_hooks=False``) to weigh them."""
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=forbid_extra_keys)
    conv.register_structure_hook(Decimal, decimal_hook)
    conv.register_structure_hook(datetime, datetime_hook)
    conv.register_structure_hook(Decimal | None, optional_decimal_hook)
    conv.register_structure_hook(datetime | None, optional_datetime_hook)
    conv.register_structure_hook(str, text_hook)
    conv.register_structure_hook(str | None, optional_text_hook)
    conv.register_structure_hook(int, whole_hook)
    # Singledispatch, like ``str``: a more specific class than ``str``, so it wins for the
    # enums (cattrs' own enum hook would lose to the ``str`` hook, enums being strs).
    conv.register_structure_hook(OpenStrEnum, enum_hook)

    def attrs_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
        if flat_hooks and not detailed and not forbid_extra_keys:
            flat = flat_record_hook(cls)
            if flat is not None:
                return flat
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
    hook = converter.get_structure_hook(item_cls)
    try:
        items = [hook(item, item_cls) for item in data if type(item) is dict]
    except Exception:
        items = []  # the item by item walk below finds the culprit and names it
    if len(items) != len(data):
        return tuple(structure(endpoint, item, item_cls) for item in data)
    return tuple(items)


def _count(endpoint: str, data: Mapping[str, Any], key: str, default: int) -> int:
    """A page count: missing, null or ``""`` is ``default``; otherwise a whole number in
    0..2**53-1 (see :data:`~._wire_values.MAX_WHOLE`), read by the records' own rule."""
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        count = whole_number(value, "a count")
    except (TypeError, ValueError) as exc:
        raise ResponseValidationError(endpoint, key, str(exc)) from None
    if count < 0:
        raise ResponseValidationError(endpoint, key, f"a count cannot be negative: {count}")
    return count


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
    # Servers leave ``currentPage`` out or get it wrong; the page we asked for is the truth.
    request_time = None
    if request_time_ms is not None:
        try:
            request_time = ms_to_datetime(request_time_ms)
        except (TypeError, ValueError) as exc:
            raise ResponseValidationError(endpoint, "requestTime", str(exc)) from None
    return Page(
        items=items,
        total_page=total_page,
        total_num=total_num,
        current_page=requested_page,
        page_size=page_size,
        request_time=request_time,
    )
