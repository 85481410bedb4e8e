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

The hooks are written for the common case first (a ``str`` amount, an ``int`` timestamp, a
known enum value) and fall back to the general rules, which decide every other case exactly as
before. A list of records is structured with the hook looked up once for the whole list.

For a flat record, one whose fields are all ``str``, ``int``, ``Decimal``, ``datetime``
(optional or not) or ``Enum | str``, the fast converter's attrs hook factory writes the
structuring function itself instead of calling :func:`cattrs.gen.make_dict_structure_fn`: the
same rules, inlined as one expression per field, so a record costs one Python call instead of
one per field (a page of records decodes about a fifth faster). When the record is a plain
slotted attrs class (no validators, converters, ``__attrs_pre_init__``/``__attrs_post_init__``
or hidden slots, which is what every record in :mod:`._models` is), that function also fills the
slots directly instead of calling the class's frozen ``__init__``, which sets each field
through ``object.__setattr__``; the result is the same object, built a fifth faster. It is used
by the fast converter only; any record with another kind of field, and the detailed converter
that names the wrong field, use cattrs' own generated code.
"""

from __future__ import annotations

import itertools
import linecache
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
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
            raise TypeError(f"expected milliseconds since the epoch, got {type(value).__name__}")
        value = int(value)
    # Positional ``milliseconds``: integer arithmetic, no float, and no keyword parsing.
    return _EPOCH + timedelta(0, 0, 0, value)


def _decimal(value: object, _: object) -> Decimal:
    if type(value) is str:
        # Decimal() ignores surrounding whitespace just as ``str.strip`` would remove it.
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
        if result.is_finite():
            return result
    return parse_decimal(value)


def _datetime(value: object, _: object) -> datetime:
    if type(value) is int:  # the usual case, inlined: one call per timestamp
        return _EPOCH + timedelta(0, 0, 0, value)
    return ms_to_datetime(value)


def _optional_decimal(value: object, _: object) -> Decimal | None:
    # Servers often send "" for a setting that is not set.
    if value is None or value == "":
        return None
    return _decimal(value, None)


def _optional_datetime(value: object, _: object) -> datetime | None:
    if type(value) is int and value:
        return _EPOCH + timedelta(0, 0, 0, value)
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
        if type(value) is str:
            member = members.get(value)
            if member is not None:
                return member
        text = str(value)
        return members.get(text, text)

    return hook


_MISSING: Any = object()
_fast_fn_serial = itertools.count()


def _field_expression(
    tp: Any, namespace: dict[str, Any], index: int
) -> tuple[str, str | None] | None:
    """How the fast hook reads ``v`` into a field of type ``tp``: (expression, the condition
    the result must meet, if any), or None for a type it leaves to cattrs.

    Each expression takes the common case inline and calls the converter's own hook for every
    other value, so the two can never disagree.
    """
    name = f"f{index}"
    if tp is str or tp is int:
        return f"{tp.__name__}(v)", None
    if tp is Decimal:
        return "_D(v) if type(v) is str else _decimal(v, None)", f"{name}.is_finite()"
    if tp == Decimal | None:
        return (
            "_D(v) if type(v) is str and v else _optional_decimal(v, None)",
            f"({name} is None or {name}.is_finite())",
        )
    if tp is datetime:
        return "_EPOCH + _TD(0, 0, 0, v) if type(v) is int else _datetime(v, None)", None
    if tp == datetime | None:
        return (
            "(_EPOCH + _TD(0, 0, 0, v) if v else None) if type(v) is int "
            "else _optional_datetime(v, None)"
        ), None
    enum_cls = _enum_or_str(tp)
    if enum_cls is not None:
        namespace[f"_members{index}"] = enum_cls._value2member_map_
        namespace[f"_hook{index}"] = _make_enum_or_str_hook(tp)
        return f"_members{index}.get(v, v) if type(v) is str else _hook{index}(v, None)", None
    return None


def _slot_setters(cls: type[Any]) -> list[Callable[[Any, Any], None]] | None:
    """For a plain slotted attrs class, the slot setters of its fields in order; else None.

    "Plain" means that ``__init__`` does nothing but store its arguments: no validator,
    converter, ``on_setattr`` hook, pre- or post-init, and no slot other than the fields (such
    as a cached hash that ``__init__`` would reset). Anything else keeps its ``__init__``.
    """
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return None
    fields = attrs.fields(cls)
    if any(f.validator is not None or f.converter is not None for f in fields):
        return None
    if any(f.on_setattr not in (None, attrs.setters.NO_OP) for f in fields):
        return None
    slots = {
        name
        for klass in cls.__mro__
        for name in (klass.__dict__.get("__slots__", ()) if klass is not object else ())
    }
    if slots - {"__weakref__"} != {f.name for f in fields}:
        return None
    setters = []
    for field in fields:
        slot = cls.__dict__.get(field.name)
        if slot is None:
            slot = next(
                (k.__dict__[field.name] for k in cls.__mro__ if field.name in k.__dict__), None
            )
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        setters.append(slot.__set__)
    return setters


def _flat_record_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any] | None:
    """A structuring function for a flat record (see the module docs), or None."""
    attrs.resolve_types(cls)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_D": Decimal,
        "_TD": timedelta,
        "_EPOCH": _EPOCH,
        "_MISSING": _MISSING,
        "_decimal": _decimal,
        "_optional_decimal": _optional_decimal,
        "_datetime": _datetime,
        "_optional_datetime": _optional_datetime,
    }
    lines = ["def structure(o, _):"]
    checks: list[str] = []
    fields = attrs.fields(cls)
    for index, field in enumerate(fields):
        if not field.init or field.kw_only or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            return None
        read = _field_expression(field.type, namespace, index)
        if read is None:
            return None
        expression, check = read
        key = to_camel(field.name)
        if field.default is attrs.NOTHING:
            lines.append(f"    v = o[{key!r}]")
            lines.append(f"    f{index} = {expression}")
        else:
            namespace[f"_default{index}"] = field.default
            lines.append(f"    v = o.get({key!r}, _MISSING)")
            lines.append(f"    f{index} = _default{index} if v is _MISSING else ({expression})")
        if check is not None:
            checks.append(check)
    if checks:
        lines.append(f"    if not ({' and '.join(checks)}):")
        lines.append("        raise ValueError('not a finite number')")
    setters = _slot_setters(cls)
    if setters is None:
        lines.append(f"    return _cls({', '.join(f'f{i}' for i in range(len(fields)))})")
    else:
        namespace["_new"] = object.__new__
        lines.append("    record = _new(_cls)")
        for index, setter in enumerate(setters):
            namespace[f"_set{index}"] = setter
            lines.append(f"    _set{index}(record, f{index})")
        lines.append("    return record")
    source = "\n".join(lines) + "\n"
    filename = f"<copytrade_async structure {cls.__qualname__} #{next(_fast_fn_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    function: Callable[[Mapping[str, Any], Any], Any] = namespace["structure"]
    return function


def _build(detailed: bool, *, forbid_extra_keys: bool = False) -> cattrs.Converter:
    """Build a converter. The library's is lenient; tests build a strict one to check that our
    records read every field of the spec's examples."""
    conv = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=forbid_extra_keys)
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(datetime, _datetime)
    conv.register_structure_hook(Decimal | None, _optional_decimal)
    conv.register_structure_hook(datetime | None, _optional_datetime)
    conv.register_structure_hook_factory(
        lambda t: _enum_or_str(t) is not None, _make_enum_or_str_hook
    )

    def attrs_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any]:
        if not detailed and not forbid_extra_keys:
            flat = _flat_record_hook(cls)
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
