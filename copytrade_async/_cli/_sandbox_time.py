"""``copytrade sandbox advance``: move a served sandbox's clock through its admin endpoints.

It asks ``GET /sandbox/time`` what clock the sandbox keeps, refuses at once (one line) when it
follows the wall clock, then moves it with ``POST /sandbox/advance``, in steps no longer than
the sandbox takes in one call (two simulated days by default), and prints the time reached.
The admin endpoints are unsigned, as the sandbox serves them: no credentials are sent.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import click
import httpx

from ._context import ENV_BASE_URL, CliState, json_option, pass_state
from ._errors import EXIT_API_ERROR, EXIT_CONNECTION, CliError

__all__ = ["MAX_ADVANCE_DAYS", "advance", "parse_duration"]

#: The most one ``copytrade sandbox advance`` moves: a year and a day. The sandbox steps every
#: tick of the span (its work grows with the span, the traders and the follows): this bounds it.
MAX_ADVANCE_DAYS = 366
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)")
#: Seconds to wait for one step (a two-day step of a busy sandbox takes seconds).
_STEP_TIMEOUT_S = 120.0


def parse_duration(_ctx: click.Context | None, _param: click.Parameter | None, value: str) -> float:
    """``86400``, ``1.5h``, ``30m``, ``2d``: a duration in seconds, from 0 to
    :data:`MAX_ADVANCE_DAYS` days."""
    match = _DURATION.fullmatch(value.strip().lower())
    if match is None:
        raise click.BadParameter(
            f"{value!r} is not a duration: seconds (86400), or a number with s, m, h or d (1d)"
        )
    seconds = float(match[1]) * _UNITS[match[2]]
    if not math.isfinite(seconds) or seconds > MAX_ADVANCE_DAYS * 86_400:
        raise click.BadParameter(f"{value!r} is more than {MAX_ADVANCE_DAYS} days")
    return seconds


def _base_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    if not value:
        raise click.BadParameter(
            f"the served sandbox's URL is needed: --url http://127.0.0.1:8765 (or {ENV_BASE_URL})"
        )
    try:
        url = httpx.URL(value.strip())
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.scheme not in {"http", "https"} or not url.host:
        raise click.BadParameter(f"{value!r} is not an http:// or https:// URL")
    return str(url).rstrip("/")


@click.command("advance", short_help="Move a served sandbox's clock forward.")
@click.argument("seconds", metavar="SECONDS", callback=parse_duration)
@click.option(
    "--url",
    envvar=ENV_BASE_URL,
    callback=_base_url,
    help=f"The served sandbox (what `copytrade sandbox serve` printed; env {ENV_BASE_URL}).",
)
@json_option
@pass_state
def advance(state: CliState, seconds: float, url: str) -> None:
    """Move the clock of the sandbox served at --url forward by SECONDS (86400, or 1d, 12h,
    30m, 45s), and print the simulated time reached.

    The sandbox must be served with --manual-clock or --speed N: one that follows the wall
    clock cannot be moved. Markets move and traders trade through the whole span, tick by
    tick: a long span takes the sandbox a while, longer with many follows.
    """
    timeout = httpx.Timeout(_STEP_TIMEOUT_S, connect=min(state.timeout, 10.0))
    with httpx.Client(base_url=url, timeout=timeout, trust_env=False) as http:
        clock = _call(http, url, "GET", "/sandbox/time")
        if not clock.get("advances"):
            raise CliError(
                f"the sandbox at {url} follows the {clock.get('clock', 'wall')} clock and cannot be"
                " moved: serve it with `copytrade sandbox serve --manual-clock` (or --speed N)",
                EXIT_API_ERROR,
            )
        step = float(clock.get("maxAdvanceSeconds") or 0)
        if step <= 0:
            raise CliError(f"{url}: /sandbox/time gave no maxAdvanceSeconds", EXIT_CONNECTION)
        left = seconds
        now_ms = int(clock["nowMs"])
        while True:  # at least one call, so that advancing 0 still reports the time
            this = min(left, step)
            now_ms = int(_call(http, url, "POST", "/sandbox/advance", {"seconds": this})["nowMs"])
            left -= this
            if left <= 0:
                break
    now = datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="milliseconds")
    now = now.replace("+00:00", "Z")
    if state.json:
        click.echo(json.dumps({"now": now, "now_ms": now_ms, "advanced_seconds": seconds}))
    else:
        click.echo(f"sandbox time {now} (advanced {seconds:g} s)")


def _call(
    http: httpx.Client, url: str, method: str, path: str, body: object = None
) -> dict[str, Any]:
    """The ``data`` of one admin call; a one-line error for anything else."""
    try:
        response = http.request(method, path, json=body)
    except httpx.TimeoutException:
        raise CliError(
            f"{method} {url}{path}: no answer within {_STEP_TIMEOUT_S:g} s", EXIT_CONNECTION
        ) from None
    except httpx.HTTPError as exc:
        raise CliError(
            f"cannot reach the sandbox at {url} ({type(exc).__name__}: {exc})", EXIT_CONNECTION
        ) from None
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or "code" not in envelope:
        raise CliError(
            f"{url} does not answer as a served sandbox ({method} {path}: HTTP"
            f" {response.status_code}); start one with `copytrade sandbox serve`",
            EXIT_CONNECTION,
        )
    data = envelope.get("data")
    if envelope["code"] != "00000" or not isinstance(data, dict):
        message = " ".join(str(envelope.get("msg", "")).split())[:300]
        raise CliError(f"{url}: code {envelope['code']}: {message}", EXIT_API_ERROR)
    return data
