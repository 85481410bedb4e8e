"""Exit codes, and turning an exception into one line on stderr and its exit code."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from .. import APIConnectionError, APIError, CopyTradeError, ResponseDecodeError
from ._streams import silence_closed_streams

__all__ = [
    "EPILOG",
    "EXIT_API_ERROR",
    "EXIT_BROKEN_PIPE",
    "EXIT_CONNECTION",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CliError",
    "exit_code_for",
    "one_line_errors",
]

#: The exchange answered with an error (unknown trader, insufficient balance, auth, 429...).
EXIT_API_ERROR = 1
#: Bad input: a usage error, a value the client refuses, missing credentials.
EXIT_USAGE = 2
#: No usable answer: connection failed, timed out, or the response could not be decoded.
EXIT_CONNECTION = 3
EXIT_INTERRUPTED = 130
#: Whoever read stdout stopped early (``copytrade ... | head -3``). No message: 128 + SIGPIPE,
#: what a shell reports for a Unix tool that the closed pipe killed.
EXIT_BROKEN_PIPE = 141

EPILOG = """\b
Exit codes:
  0    success
  1    the exchange answered with an error (for example code 80003)
  2    bad input: usage error, invalid value, missing credentials
  3    connection failure, timeout, or an undecodable response
  130  interrupted (Ctrl-C)
  141  the reader of the output stopped early (| head): no message, as for SIGPIPE
"""

#: The client's argument names, as the command line spells them.
_OPTION_NAMES = {
    "copy_amount": "--amount",
    "take_profit": "--take-profit",
    "stop_loss": "--stop-loss",
    "leverage": "--leverage",
    "start_time": "--start",
    "end_time": "--end",
    "trader_id": "TRADER_ID",
    "follow_id": "FOLLOW_ID",
    "base_url": "--base-url",
    "timeout": "--timeout",
}


#: Click 8.2+ raises NoArgsIsHelpError for a group run without a command, to print the help on
#: stderr and exit 2; we print it on stdout and exit 0, as click 8.1 did (and ``git remote``,
#: ``docker compose`` do): asking what a group offers is not an error, and
#: ``copytrade traders | less`` shows it.
_HELP_FOR_NO_COMMAND: tuple[type[click.UsageError], ...] = tuple(
    filter(None, [getattr(click.exceptions, "NoArgsIsHelpError", None)])
)


class CliError(Exception):
    """A problem the command itself found; reported as one line with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


_NAME_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(_OPTION_NAMES) + r")\b")


def _cli_names(message: str) -> str:
    return _NAME_PATTERN.sub(lambda match: _OPTION_NAMES[match[1]], message)


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code of an exception the command line reports in one line (None: not ours)."""
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, click.ClickException):  # a usage error, as click found it
        return EXIT_USAGE
    if isinstance(exc, APIError):
        return EXIT_API_ERROR
    if isinstance(exc, APIConnectionError | ResponseDecodeError):
        return EXIT_CONNECTION
    if isinstance(exc, CopyTradeError):
        return EXIT_API_ERROR
    if isinstance(exc, ValueError):
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return None


def _usage_message(exc: click.ClickException) -> str:
    """Click's message in our style (``no such option '--x'``), then where to get help."""
    text = " ".join(exc.format_message().split()).removesuffix(".")
    if text[:1].isupper() and text[1:2].islower():  # "No such option", not "TRADER_ID"
        text = text[0].lower() + text[1:]
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.help_option_names:
        text += f" ({ctx.command_path} {max(ctx.help_option_names, key=len)})"
    return text


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, click.ClickException):
        return _usage_message(exc)
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _cli_names(text) if isinstance(exc, ValueError) else text


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Report the library's errors, usage errors, bad values and Ctrl-C as one line
    (``error: ...``) and exit with the documented code; anything else (a bug) keeps its
    traceback. A group run without a command prints its help on stdout (exit 0). A closed
    pipe (the reader of stdout or stderr left) ends quietly with ``EXIT_BROKEN_PIPE``."""
    try:
        try:
            yield
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except _HELP_FOR_NO_COMMAND as exc:
        try:
            click.echo(exc.format_message())
            sys.stdout.flush()
        except BrokenPipeError:  # ``copytrade traders | head -1``
            silence_closed_streams()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        raise click.exceptions.Exit(0) from None
    except BrokenPipeError:
        silence_closed_streams()
        raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
    except (CopyTradeError, CliError, click.ClickException, ValueError, KeyboardInterrupt) as exc:
        code = exit_code_for(exc)
        assert code is not None
        prefix = "" if isinstance(exc, KeyboardInterrupt) else "error: "
        try:
            click.echo(f"{prefix}{_message(exc)}", err=True)
        except BrokenPipeError:  # nobody reads stderr: the exit code still says what failed
            silence_closed_streams()
        raise click.exceptions.Exit(code) from None
