"""The root ``copytrade`` group: global options, the subcommands, and error reporting."""

from __future__ import annotations

from typing import Any

import click

from .. import DEFAULT_BASE_URL
from ._context import ENV_BASE_URL, ENV_DEMO, CliState
from ._errors import EPILOG, one_line_errors
from ._follows import follow, positions
from ._history import history
from ._report import report
from ._sandbox import demo, sandbox
from ._store import show, sync
from ._traders import traders

__all__ = ["cli"]


class _Root(click.Group):
    """Parsing and every subcommand run inside :func:`one_line_errors` (exit codes in the
    epilog): a usage error is one line too."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with one_line_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_errors():
            return super().invoke(ctx)


@click.group(
    cls=_Root,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Use an in-process simulated exchange (no credentials, no network); each run"
    " starts a fresh one: for a session, run `copytrade sandbox serve`.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the --sandbox exchange."
)
@click.option(
    "--base-url",
    envvar=ENV_BASE_URL,
    default=DEFAULT_BASE_URL,
    show_default=True,
    help=f"The exchange's REST API (env {ENV_BASE_URL}).",
)
@click.option(
    "--demo",
    is_flag=True,
    envvar=ENV_DEMO,
    help="Paper trading: send the exchange's demo header (with --sandbox: use its demo"
    f" account). Env {ENV_DEMO}=1.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON instead of tables (also per command); for history export, --format json.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each request.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Retries of a failed request, where retrying is safe.",
)
@click.version_option(package_name="copytrade-async", prog_name="copytrade")
@click.pass_context
def cli(
    ctx: click.Context,
    sandbox: bool,
    seed: int,
    base_url: str,
    demo: bool,
    as_json: bool,
    timeout: float,
    max_retries: int,
) -> None:
    """copytrade: browse traders, copy them, and export what they traded.

    Talks to the exchange with the credentials in COPYTRADE_API_KEY, COPYTRADE_API_SECRET and
    COPYTRADE_PASSPHRASE, or to a simulated exchange with --sandbox. Tables go to stdout for
    people; --json prints JSON for scripts. Messages and progress go to stderr.

    Try it without an account: copytrade demo
    """
    state = ctx.ensure_object(CliState)
    state.sandbox = state.sandbox or sandbox
    state.seed = seed
    state.base_url = base_url
    state.demo = demo
    state.json = state.json or as_json
    state.timeout = timeout
    state.max_retries = max_retries


history.add_command(sync)
history.add_command(show)
for command in (traders, follow, positions, history, report, sandbox, demo):
    cli.add_command(command)
