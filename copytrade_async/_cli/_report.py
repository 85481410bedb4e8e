"""``copytrade report``: how copy trading does, per follow and in total.

A table per follow and the total (with an equity sparkline), the portfolio's figures, ``--json``
for scripts (every figure, money as strings) and ``--html FILE`` for one self-contained page
with charts. The figures are :mod:`copytrade_async.analytics`'; the report is built by
:mod:`copytrade_async.report`. ``copytrade demo --report FILE`` writes the demo's page.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from .. import AsyncCopyTradeClient, check_id, to_decimal
from ..report import (
    Report,
    build_report,
    format_money,
    format_percent,
    format_pnl,
    format_ratio,
    format_share,
    report_from_orders,
    sparkline,
    write_html,
)
from ..toolkit import DemoReport
from ._context import CliState, json_option, pass_state
from ._errors import CliError
from ._history import parse_time
from ._output import Figure, Whole, print_table
from ._store import _open_store

__all__ = ["demo_report", "print_summary", "report", "write_report_html"]

#: Width of the equity sparkline, in characters.
SPARK_WIDTH = 16


def _pairs(option: str, values: Sequence[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise click.BadParameter(f"{value!r} is not FOLLOW_ID=VALUE", param_hint=option)
        pairs[key.strip()] = item.strip()
    return pairs


def _moment(value: datetime | int | None) -> datetime | None:
    if isinstance(value, int):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    return value


@click.command("report", short_help="How your copy trading does: a summary, JSON or HTML.")
@click.argument("follow_ids", nargs=-1, metavar="[FOLLOW_ID]...")
@click.option(
    "--copy-amount",
    "copy_amounts",
    multiple=True,
    metavar="FOLLOW_ID=AMOUNT",
    help="A follow's copy amount (the API cannot read it back): gives equity, return and"
    " drawdown percentages. Repeat for each follow.",
)
@click.option(
    "--trader",
    "traders",
    multiple=True,
    metavar="FOLLOW_ID=TRADER_ID",
    help="The trader a follow copies, for the PnL by trader. Repeat for each follow.",
)
@click.option(
    "--start",
    metavar="ISO|MS",
    callback=parse_time,
    help="Only trades closed at or after this time (ISO 8601, UTC if no offset, or ms).",
)
@click.option("--end", metavar="ISO|MS", callback=parse_time, help="Only trades closed by then.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write one self-contained HTML page with charts to FILE (the [report] extra).",
)
@click.option("--title", help="The HTML page's title.")
@click.option(
    "--db",
    metavar="URL",
    is_flag=False,
    flag_value="",
    default=None,
    help="Read the history store that `copytrade history sync` fills (its default file when"
    " no URL is given) instead of the API.",
)
@click.option(
    "--all",
    "all_follows",
    is_flag=True,
    help="Every follow in the history store (with --db): the API itself cannot list them.",
)
@json_option
@pass_state
def report(
    state: CliState,
    follow_ids: tuple[str, ...],
    copy_amounts: tuple[str, ...],
    traders: tuple[str, ...],
    start: datetime | int | None,
    end: datetime | int | None,
    html_path: Path | None,
    title: str | None,
    db: str | None,
    all_follows: bool,
) -> None:
    """Report on FOLLOW_ID... : PnL (realised and unrealised), return, equity, drawdown,
    Sharpe and Sortino, win rate, profit factor, per follow and in total.

    The API cannot list your follows: name each one (the ids `follow start` printed), or
    read a history store with --db, where --all means every follow it has synced. From the
    API, trades come from the exchange's history and the unrealised PnL from the open
    positions; a store keeps no positions. Sharpe and Sortino are annualised over 365 days
    (crypto trades every day).
    """
    if all_follows and follow_ids:
        raise click.UsageError("--all or FOLLOW_IDs, not both")
    if all_follows and db is None:
        raise click.UsageError("--all needs --db: the API cannot list your follows")
    if not follow_ids and not all_follows:
        raise CliError(
            "name at least one FOLLOW_ID: the API cannot list your follows"
            " (copytrade report FOLLOW_ID [FOLLOW_ID ...], or --db --all for a history store)"
        )
    amounts = {
        check_id("--copy-amount follow id", key): to_decimal(f"--copy-amount {key}", value)
        for key, value in _pairs("--copy-amount", copy_amounts).items()
    }
    names = _pairs("--trader", traders)

    async def read(client: AsyncCopyTradeClient) -> Report:
        return await build_report(
            client,
            follow_ids,
            copy_amounts=amounts,
            traders=names,
            start=_moment(start),
            end=_moment(end),
            title=title,
        )

    if db is None:
        built = state.run(read)
    else:
        store = _open_store(db)

        async def from_store() -> Report:
            async with store:
                return await build_report(
                    store,
                    follow_ids or None,
                    copy_amounts=amounts,
                    traders=names,
                    start=_moment(start),
                    end=_moment(end),
                    title=title,
                )

        built = asyncio.run(from_store())
    if html_path is not None:
        write_report_html(built, html_path)
    if state.json:
        click.echo(json.dumps(built.to_dict(mode="json"), indent=2, ensure_ascii=False))
    else:
        print_summary(built)


def write_report_html(built: Report, path: Path) -> None:
    """Write the page, and say where on stderr; a missing extra or an unwritable path is a
    one-line error."""
    try:
        written = write_html(built, path)
    except ImportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise click.BadParameter(f"cannot write {path}: {exc.strerror}") from None
    size = written.stat().st_size
    click.echo(f"wrote {written} ({size / 1024:,.0f} KB)", err=True)


def _equity_line(figures: Any) -> str:
    return sparkline([point.equity for point in figures.equity_curve], SPARK_WIDTH)


#: The summary's columns, and those left out first (in that order) on a narrow terminal.
_COLUMNS = (
    "follow id",
    "trader id",
    "trades",
    "realised",
    "unrealised",
    "total PnL",
    "return",
    "max DD",
    "Sharpe",
    "win rate",
    "equity",
)
_OPTIONAL = ("equity", "Sharpe", "unrealised", "realised", "max DD", "trader id")


def print_summary(built: Report) -> None:
    """The report on a terminal: a row per follow and the total (each a table of its own when
    the terminal is too narrow for one), then the portfolio's figures. A number is never cut."""
    figures = built.figures

    def row(f: Any, follow: str, trader: str | None) -> list[Any]:
        return [
            Whole(follow),
            Whole(trader) if trader else "",
            Figure(f"{f.stats.trades:,}"),
            Figure(format_pnl(f.realized_pnl)),
            Figure(format_pnl(f.unrealized_pnl)),
            Figure(format_pnl(f.total_pnl)),
            Figure(format_percent(f.return_percent)),
            Figure(format_percent(f.max_drawdown_percent)),
            Figure(format_ratio(f.sharpe_ratio)),
            Figure(format_share(f.stats.win_rate)),
            Whole(_equity_line(f)),
        ]

    rows = [row(f, f.follow_id, f.trader_id) for f in figures.follows]
    rows.append(row(figures, "total", None))
    if not print_table(built.title, _COLUMNS, rows, empty="no follow", optional=_OPTIONAL):
        for cells in rows:
            name = "total" if cells[0] == "total" else f"follow {cells[0]}"
            pairs = [(header, cell) for header, cell in zip(_COLUMNS, cells, strict=True)]
            print_table(name, ("figure", "value"), pairs[1:], empty="")
    pairs = [(name, Figure(value)) for name, value in _portfolio_rows(built)]
    print_table("portfolio", ("figure", "value"), pairs, empty="")


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _portfolio_rows(built: Report) -> list[tuple[str, str]]:
    f = built.figures
    drawdown = f.max_drawdown
    recovery = _when(drawdown.recovery_time) or ("not recovered" if drawdown.amount else "")
    stats = f.stats
    return [
        ("first trade opened", _when(f.start_time)),
        ("last trade closed", _when(f.end_time)),
        ("copy amount", format_money(f.copy_amount)),
        ("realised PnL", format_pnl(f.realized_pnl)),
        ("unrealised PnL", format_pnl(f.unrealized_pnl)),
        ("total PnL", format_pnl(f.total_pnl)),
        ("return", format_percent(f.return_percent)),
        ("max drawdown", format_money(drawdown.amount)),
        ("max drawdown, of its peak", format_percent(drawdown.percent)),
        ("drawdown peak", _when(drawdown.peak_time)),
        ("drawdown trough", _when(drawdown.trough_time)),
        ("recovered", recovery),
        ("Sharpe (365 d)", format_ratio(f.sharpe_ratio)),
        ("Sortino (365 d)", format_ratio(f.sortino_ratio)),
        ("win rate", format_share(stats.win_rate)),
        ("profit factor", format_ratio(stats.profit_factor)),
        ("average win", format_pnl(stats.average_win)),
        ("average loss", format_pnl(stats.average_loss)),
        ("expectancy per trade", format_pnl(stats.expectancy)),
        ("longest losing streak", str(stats.longest_losing_streak)),
        ("trades per day", format_ratio(f.trades_per_day)),
        ("open orders (not realised)", str(f.open_orders)),
    ]


def demo_report(demo: DemoReport) -> Report:
    """The report of a demo run: its follows' orders as the demo read them at the end, with
    their copy amounts and traders (its follows are stopped by then: no unrealised PnL)."""
    results = demo.results
    return report_from_orders(
        {r.follow_id: r.orders for r in results},
        copy_amounts={r.follow_id: r.copy_amount for r in results},
        traders={r.follow_id: r.trader_id for r in results},
        title=f"Copy trading demo (seed {demo.seed})",
    )
