"""Structuring functions written for flat records, the fast converter's hot path.

For a flat record, one whose fields are all ``str``, ``int``, ``Decimal``, ``datetime``
(optional or not) or an enum, :func:`flat_record_hook` writes the structuring function
itself instead of :func:`cattrs.gen.make_dict_structure_fn`: the same rules as the hooks in
:mod:`._wire_values`, inlined as one expression per field, so a record costs one Python call
instead of one per field (a page of records decodes in about two thirds of the time). Each
expression takes the common case inline and calls the hook for every other value, so the two
never disagree.

When the record is a plain slotted attrs class (no validators, converters,
``__attrs_pre_init__``/``__attrs_post_init__`` or hidden slots, which is what every record in
:mod:`._models` is), the function also fills the slots directly instead of calling the class's
frozen ``__init__``, which sets each field through ``object.__setattr__``: the same object, built
a fifth faster. Anything else is built through its ``__init__``.

Why it stays: ``python benchmarks/bench_decoding.py`` times the client's decoding with these
functions and with cattrs' own generated ones (``make_dict_structure_fn``) for the same
records. In two full benchmark runs on the project's 2-core VM: 3.10-3.15 µs per history record
with them, 4.71-4.78 µs without (1.52x the time), which is 1.40-1.41x msgspec against
2.13-2.15x: without this module the decoding target of 1.5x msgspec is missed.
"""

from __future__ import annotations

import itertools
import linecache
import types
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from ._wire_values import (
    EPOCH,
    MAX_WHOLE,
    MONEY,
    datetime_hook,
    decimal_hook,
    enum_hook,
    is_open_enum,
    optional_datetime_hook,
    optional_decimal_hook,
    optional_text_hook,
    text_hook,
    to_camel,
    whole_hook,
)

__all__ = ["flat_record_hook", "slot_setters"]

_MISSING: Any = object()
#: Optional types whose hook reads ``None`` as ``None``.
_NONE_IS_NONE = (Decimal | None, datetime | None, str | None)
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
    if tp is str:
        return "v if type(v) is str else _text(v, None)", None
    if tp == str | None:
        return "v if type(v) is str else _optional_text(v, None)", None
    if tp is int:
        return "v if type(v) is int and -_W <= v <= _W else _whole(v, None)", None
    # A zero is falsy: the hook reads it again and writes it plainly (``0``, never ``0E-8``).
    if tp is Decimal:
        return "(_D(v) or _decimal(v, None)) if type(v) is str else _decimal(v, None)", (
            f"{name}.is_finite()"
        )
    if tp == Decimal | None:
        return (
            "(_D(v) or _decimal(v, None)) if type(v) is str and v else _optional_decimal(v, None)",
            f"({name} is None or {name}.is_finite())",
        )
    # An int timestamp outside the years 1-9999 raises OverflowError here, where the hook
    # raises ValueError: both refuse it, and the converter names the field either way.
    if tp is datetime:
        return "_EPOCH + _TD(0, 0, 0, v) if type(v) is int else _datetime(v, None)", None
    if tp == datetime | None:
        return (
            "(_EPOCH + _TD(0, 0, 0, v) if v else None) if type(v) is int "
            "else _optional_datetime(v, None)"
        ), None
    if is_open_enum(tp):
        namespace[f"_members{index}"] = tp._value2member_map_
        namespace[f"_enum{index}"] = tp
        return f"_members{index}.get(v) or _enum(v, _enum{index})", None
    return None


def slot_setters(cls: type[Any]) -> list[Callable[[Any, Any], None]] | None:
    """For a plain slotted attrs class, the slot setters of its fields in order; else None.

    "Plain" means that ``__init__`` is the one attrs wrote and does nothing but store its
    arguments: no validator, converter, ``on_setattr`` hook, pre- or post-init, no hand-written
    ``__init__`` (on the class or a subclass), and no slot other than the fields (such as a
    cached hash that ``__init__`` would reset). Anything else keeps its ``__init__``.
    """
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return None
    init_owner = next(klass for klass in cls.__mro__ if "__init__" in klass.__dict__)
    if "__attrs_attrs__" not in init_owner.__dict__ or hasattr(cls, "__attrs_init__"):
        return None  # an __init__ attrs did not write (init=False, or a subclass's own)
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


def flat_record_hook(cls: type[Any]) -> Callable[[Mapping[str, Any], Any], Any] | None:
    """A structuring function for a flat record (see the module docs), or None."""
    attrs.resolve_types(cls)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_D": MONEY.create_decimal,  # exact and bounded, or a DecimalException
        "_TD": timedelta,
        "_EPOCH": EPOCH,
        "_MISSING": _MISSING,
        "_decimal": decimal_hook,
        "_optional_decimal": optional_decimal_hook,
        "_datetime": datetime_hook,
        "_optional_datetime": optional_datetime_hook,
        "_enum": enum_hook,
        "_text": text_hook,
        "_optional_text": optional_text_hook,
        "_whole": whole_hook,
        "_W": MAX_WHOLE,
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
        elif field.default is None and field.type in _NONE_IS_NONE:
            # The field's hook reads null as None, its default: a missing key is null.
            lines.append(f"    v = o.get({key!r})")
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
    setters = slot_setters(cls)
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
