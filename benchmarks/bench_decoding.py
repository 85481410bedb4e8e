"""Decoding: microseconds per record, from the body bytes of a 20-record history page.

* ``ours``: what the client runs on a response: ``decode_envelope`` (JSON, envelope checks)
  then ``structure_page`` (the cattrs converter): frozen ``HistoryOrder`` records with money
  as ``Decimal``, times as aware UTC ``datetime`` and enum fields as enums;
* ``ours, cattrs' own hooks``: the same, with the converter built without the generated
  functions of ``_records/_codegen.py`` (cattrs' ``make_dict_structure_fn`` for every record):
  what that module saves;
* ``msgspec``: ``msgspec.json.Decoder`` straight into ``Struct``s holding the same things:
  ``Decimal`` money, aware UTC ``datetime`` from the millisecond timestamps (through a
  ``dec_hook``: msgspec has no millisecond epoch type), plain ``str`` for the enum fields;
* ``msgspec, int times``: the same without building datetimes (a floor, for reference);
* ``json``: ``json.loads(parse_float=Decimal)``: dicts, no types (reference);
* ``orjson``: ``orjson.loads``: dicts, and any float would be lossy (reference).

A round decodes the page ``--pages`` times per contender; a figure is the median of 3 rounds.
Target: ``ours`` <= 1.5x ``msgspec``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import orjson
from _common import arguments, headline, median, save, verdict
from _server import fixed_page

from copytrade_async._http._envelope import decode_envelope
from copytrade_async._records import _converter
from copytrade_async._records._converter import structure_page
from copytrade_async._records._models import HistoryOrder

RECORDS = 20
TARGET = 1.5


class EpochMs(datetime):
    """A datetime read from milliseconds since the epoch (through the decoder's dec_hook)."""


_EPOCH = EpochMs(1970, 1, 1, tzinfo=UTC)


def dec_hook(kind: type, value: Any) -> Any:
    if kind is EpochMs and type(value) is int:
        return _EPOCH + timedelta(0, 0, 0, value)  # exact: integer milliseconds
    raise NotImplementedError(kind)


class Order(msgspec.Struct, rename="camel", frozen=True):
    order_id: str
    symbol: str
    side: str
    size: Decimal
    entry_price: Decimal
    profit: Decimal
    leverage: Decimal
    status: str
    create_time: EpochMs
    exit_price: Decimal | None = None
    close_time: EpochMs | None = None


class OrderIntTimes(msgspec.Struct, rename="camel", frozen=True):
    order_id: str
    symbol: str
    side: str
    size: Decimal
    entry_price: Decimal
    profit: Decimal
    leverage: Decimal
    status: str
    create_time: int
    exit_price: Decimal | None = None
    close_time: int | None = None


class PageData(msgspec.Struct, rename="camel"):
    items: list[Order] = msgspec.field(name="list")
    total_page: int
    total_num: int
    page_size: int


class PageDataIntTimes(msgspec.Struct, rename="camel"):
    items: list[OrderIntTimes] = msgspec.field(name="list")
    total_page: int
    total_num: int
    page_size: int


class Envelope(msgspec.Struct, rename="camel"):
    code: str
    msg: str
    request_time: int
    data: PageData


class EnvelopeIntTimes(msgspec.Struct, rename="camel"):
    code: str
    msg: str
    request_time: int
    data: PageDataIntTimes


def contenders(body: bytes) -> dict[str, Callable[[], Any]]:
    typed = msgspec.json.Decoder(Envelope, dec_hook=dec_hook)
    int_times = msgspec.json.Decoder(EnvelopeIntTimes)

    def ours() -> Any:
        envelope = decode_envelope("history.list", 200, {}, body)
        return structure_page(
            "history.list",
            envelope.data,
            HistoryOrder,
            requested_page=1,
            requested_size=RECORDS,
            request_time_ms=envelope.request_time_ms,
        )

    cattrs_only = _converter._build(detailed=False, flat_hooks=False)

    def ours_with_cattrs_hooks() -> Any:
        envelope = decode_envelope("history.list", 200, {}, body)
        data = envelope.data
        return [cattrs_only.structure(item, HistoryOrder) for item in data["list"]]

    return {
        "ours": ours,
        "ours, cattrs' own hooks": ours_with_cattrs_hooks,
        "msgspec": lambda: typed.decode(body),
        "msgspec, int times": lambda: int_times.decode(body),
        "json": lambda: json.loads(body, parse_float=Decimal),
        "orjson": lambda: orjson.loads(body),
    }


def check(body: bytes) -> None:
    """Both typed decoders read the same values."""
    mine = contenders(body)["ours"]().items
    theirs = msgspec.json.Decoder(Envelope, dec_hook=dec_hook).decode(body).data.items
    assert len(mine) == len(theirs) == RECORDS
    for a, b in zip(mine, theirs, strict=True):
        assert (a.order_id, a.size, a.profit, a.create_time, a.close_time) == (
            b.order_id,
            b.size,
            b.profit,
            b.create_time,
            b.close_time,
        )
        assert isinstance(a.size, Decimal) and a.create_time.tzinfo is UTC


def run(pages: int, quick: bool, rounds: int = 3) -> dict[str, Any]:
    body = fixed_page()
    check(body)
    funcs = contenders(body)
    times: dict[str, list[float]] = {name: [] for name in funcs}
    slices = 10  # contenders take turns in short slices, so a drift in CPU speed hits all alike
    for func in funcs.values():  # warm up
        for _ in range(max(1, pages // 10)):
            func()
    for _ in range(rounds):
        spent = dict.fromkeys(funcs, 0.0)
        for _ in range(slices):
            for name, func in funcs.items():
                started = time.perf_counter()
                for _ in range(max(1, pages // slices)):
                    func()
                spent[name] += time.perf_counter() - started
        for name in funcs:
            times[name].append(spent[name] / (max(1, pages // slices) * slices) / RECORDS * 1e6)
    per_record = {name: median(values) for name, values in times.items()}
    ratio = median([o / m for o, m in zip(times["ours"], times["msgspec"], strict=True)])
    print(f"  {'decoder':26} {'µs/record':>10} {'vs msgspec':>11}")
    for name, value in per_record.items():
        print(f"  {name:26} {value:10.2f} {value / per_record['msgspec']:10.2f}x")
    codegen = median(
        [c / o for c, o in zip(times["ours, cattrs' own hooks"], times["ours"], strict=True)]
    )
    print(f"  without the generated record functions: {codegen:.2f}x the time per record")
    met = None if quick else ratio <= TARGET
    print(
        f"  target: ours <= {TARGET}x msgspec (median of per-round ratios {ratio:.2f}x): "
        f"{verdict(met)}"
    )
    return {
        "us_per_record": per_record,
        "ratio": round(ratio, 2),
        "without_codegen": round(codegen, 2),
        "target": TARGET,
        "met": met,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__)
    args = parser.parse_args(argv)
    headline("2. Decoding a 20-record page (µs per record, median of 3)")
    results = run(pages=20 if args.quick else 3000, quick=args.quick)
    return save(results, args.json)


if __name__ == "__main__":
    main()
