"""``copytrade sandbox serve``, ``copytrade sandbox advance`` and ``copytrade demo``: the
simulated exchange, for trying things.

A served sandbox runs in real time, or on a clock of its own: ``--manual-clock`` (time moves only
when ``copytrade sandbox advance`` moves it, through ``POST /sandbox/advance``) or ``--speed N``
(N simulated seconds per real second). Either clock runs away from the clock a client signs
with, so those sandboxes do not check request timestamps.
"""

from __future__ import annotations

import asyncio
import math
import shlex
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from .. import to_decimal
from ._context import ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL, ENV_DEMO, ENV_PASSPHRASE
from ._errors import CliError
from ._sandbox_time import advance

if TYPE_CHECKING:
    from ..sandbox import SandboxClock, SandboxCredentials, SandboxServer

__all__ = ["demo", "sandbox"]

#: Served by default: enough traders and follows to watch a few hundred follows at once (a
#: tenth of the traders are inactive, so 450 can be followed).
DEFAULT_TRADERS = 500
DEFAULT_MAX_FOLLOWS = 500
#: Each account's deposit: 500 follows of 2,000 USDT.
DEFAULT_DEPOSIT = "1000000"
#: The fastest --speed: MAX_SPEED of the sandbox's ScaledClock (repeated so that --help does
#: not import the sandbox).
_MAX_SPEED = 10_000


@click.group()
def sandbox() -> None:
    """The simulated exchange."""


@sandbox.command("serve", short_help="Serve a sandbox exchange over HTTP until Ctrl-C.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulation.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, max=1_000_000),
    default=5.0,
    show_default=True,
    callback=lambda _ctx, _param, value: _finite("--rate-limit", value),
    help="Requests per second per API key (0 turns the limit off).",
)
@click.option(
    "--traders",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_TRADERS,
    show_default=True,
    help="How many traders the exchange lists (a tenth inactive); 100,000 take seconds to build.",
)
@click.option(
    "--max-follows",
    type=click.IntRange(1, 10_000),
    default=DEFAULT_MAX_FOLLOWS,
    show_default=True,
    help="Active follows each account may hold (one more is code 80004).",
)
@click.option(
    "--deposit",
    default=DEFAULT_DEPOSIT,
    show_default=True,
    metavar="USDT",
    callback=lambda _ctx, _param, value: _deposit(value),
    help="What each account starts with (a follow's copy amount comes out of it; short is 80003).",
)
@click.option(
    "--manual-clock",
    is_flag=True,
    help="Stop the clock: time moves only with `copytrade sandbox advance SECONDS --url URL`"
    " (POST /sandbox/advance).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True, max=_MAX_SPEED),
    callback=lambda _ctx, _param, value: _finite("--speed", value),
    metavar="N",
    help="Run N simulated seconds per real second (1440: a day a minute); it can be advanced too.",
)
@click.option(
    "--history-retention-days",
    type=click.FloatRange(min=0, min_open=True, max=36_500),
    callback=lambda _ctx, _param, value: _finite("--history-retention-days", value),
    metavar="DAYS",
    help="Forget trades closed longer ago than DAYS, by the sandbox's clock, as the exchange"
    " forgets (its history looks back three months). Default: keep every trade.",
)
def serve(
    host: str,
    port: int,
    seed: int,
    rate_limit: float,
    traders: int,
    max_follows: int,
    deposit: Decimal,
    manual_clock: bool,
    speed: float | None,
    history_retention_days: float | None,
) -> None:
    """Serve a sandbox exchange over HTTP until Ctrl-C: in real time, or on a manual clock
    (--manual-clock), or N times as fast (--speed N).

    It prints its base URL and the credentials of its two accounts, live and demo (paper
    trading: its requests must carry the demo header); paste either block of export lines in
    a shell and point any client at it. On a manual or faster clock, request timestamps are not
    checked (the sandbox's time runs away from the clock clients sign with).
    """
    if manual_clock and speed is not None:
        raise click.UsageError("--manual-clock and --speed exclude each other: pick one")
    from ..sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock

    try:
        import uvicorn  # noqa: F401  (only in the [cli] extra)
    except ImportError:
        raise CliError("serving needs uvicorn: pip install -e '.[cli]'") from None
    clock, clock_line = _clock(manual_clock, speed)
    config = SandboxConfig(
        seed=seed,
        rate_limit=rate_limit or None,
        traders=traders,
        max_follows=max_follows,
        deposit=deposit,
        history_retention_days=history_retention_days,
    )
    if not isinstance(clock, WallClock):
        # A clock of its own runs away from the clients' signing clock: no timestamp window.
        config = attrs.evolve(config, timestamp_tolerance_ms=None)
    exchange = SandboxExchange(config, clock=clock)
    try:
        server = SandboxServer(exchange, host, port, log_level="warning")
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    limit = "no rate limit" if config.rate_limit is None else f"{rate_limit:g} requests/s per key"
    retention = (
        "every closed trade kept"
        if history_retention_days is None
        else f"trades closed over {history_retention_days:g} days ago forgotten"
    )
    lines = [
        f"sandbox exchange (seed {seed}, {traders} traders, {max_follows} follows per account,"
        f" {deposit:,f} USDT each, {limit}) at {server.url}",
        f"clock: {clock_line.replace('URL', server.url)}; history: {retention}",
        "live account:",
        *_exports(server.url, exchange.credentials),
        "demo (paper trading) account:",
        *_exports(server.url, exchange.demo_credentials),
        "then, in that shell:",
        "  copytrade traders list --sort-by profit --limit 5",
        "Ctrl-C to stop.",
    ]
    try:
        asyncio.run(_serve(server, "\n".join(lines)))
    finally:
        click.echo("sandbox stopped", err=True)


def _clock(manual: bool, speed: float | None) -> tuple[SandboxClock, str]:
    """The served sandbox's clock, and how the banner describes it."""
    from ..sandbox import ManualClock, ScaledClock, WallClock

    if manual:
        return (
            ManualClock(),
            "manual, time moves only with `copytrade sandbox advance SECONDS --url URL`",
        )
    if speed is not None:
        return ScaledClock(speed), f"{speed:g} simulated seconds per real second"
    return WallClock(), "real time"


def _deposit(value: str) -> Decimal:
    try:
        amount = to_decimal("--deposit", value.strip())
    except ValueError:
        amount = Decimal(-1)
    if not 0 <= amount <= 10**15:
        raise click.BadParameter(f"{value!r} is not an amount of USDT from 0 to 10**15")
    return amount


def _finite(name: str, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):  # click's ranges let NaN through
        raise click.BadParameter(f"{value} is not a number.", param_hint=f"'{name}'")
    return value


def _exports(url: str, creds: SandboxCredentials) -> list[str]:
    """The ``export`` lines that point a client at ``url`` as the account of ``creds``."""
    values = {
        ENV_BASE_URL: url,
        ENV_API_KEY: creds.api_key,
        ENV_API_SECRET: creds.api_secret,
        ENV_PASSPHRASE: creds.passphrase,
        ENV_DEMO: "1" if creds.demo else "0",
    }
    return [f"  export {name}={shlex.quote(value)}" for name, value in values.items()]


async def _serve(server: SandboxServer, banner: str) -> None:
    """Serve; print ``banner`` once the socket accepts connections (not merely bound)."""
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn only sets a flag)
        await asyncio.sleep(0.01)
    if server.started:
        click.echo(banner)
    await task


sandbox.add_command(advance)


@click.command("demo", short_help="Run the toolkit demo on a seeded sandbox (no credentials).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the sandbox.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="At the end, write the demo's report to FILE: one self-contained HTML page with charts"
    " (the [report] extra).",
)
def demo(seed: int, report_path: Path | None) -> None:
    """Run the whole toolkit workflow on a seeded in-process sandbox and print a report.

    Ranks traders, sizes and diversifies a budget, watches the follows for twelve simulated
    hours, stops them and reports the PnL. No credentials, no network.
    """
    from ..toolkit import run_demo

    report = asyncio.run(run_demo(seed=seed, out=sys.stdout))
    if report_path is not None:
        from ._report import demo_report, write_report_html

        write_report_html(demo_report(report), report_path)
    raise click.exceptions.Exit(report.exit_status)
