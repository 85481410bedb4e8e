"""Every error is one line on stderr (usage errors and the library's own errors too), and
``--help`` works everywhere."""

from __future__ import annotations

import click
import pytest

import copytrade_async
from copytrade_async import (
    APIConnectionError,
    APIError,
    CopyTradeError,
    PaginationError,
    RateLimitWaitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ResponseValidationError,
)
from copytrade_async._cli._app import cli
from copytrade_async._cli._context import CliState

from .helpers import one_line, python, run_cli

EXPORT = ("history", "export", "1")

#: A command line with a usage error, what its one line says, and the command whose help it
#: points to (None: click does not say which command found the error).
USAGE_ERRORS = [
    (("--bogus", "traders", "list"), "no such option '--bogus'", ""),
    (("--timeout", "0", "traders", "list"), "invalid value for '--timeout'", ""),
    (("nope",), "no such command 'nope'", ""),
    (("traders", "nope"), "no such command 'nope'", "traders"),
    (("traders", "list", "--bogus"), "no such option '--bogus'", "traders list"),
    (("traders", "list", "--sort-by", "luck"), "invalid value for '--sort-by'", "traders list"),
    (("traders", "list", "--sort-type", "up"), "invalid value for '--sort-type'", "traders list"),
    (("traders", "list", "--limit", "0"), "invalid value for '--limit'", "traders list"),
    (("traders", "list", "extra"), "got unexpected extra argument (extra)", "traders list"),
    (("traders", "show"), "missing argument 'TRADER_ID'", "traders show"),
    (("traders", "show", "1", "--bogus"), "no such option '--bogus'", "traders show"),
    (("follow", "start"), "missing argument 'TRADER_ID'", "follow start"),
    (("follow", "start", "1", "--leverage", "2"), "missing option '--amount'", "follow start"),
    (("follow", "start", "1", "--amount"), "option '--amount' requires an argument", None),
    (
        ("follow", "start", "1", "--amount", "1", "--leverage", "1", "--margin-mode", "both"),
        "invalid value for '--margin-mode'",
        "follow start",
    ),
    (("follow", "stop"), "missing argument 'FOLLOW_ID'", "follow stop"),
    (("follow", "stop", "1", "--bogus"), "no such option '--bogus'", "follow stop"),
    (("follow", "update"), "missing argument 'FOLLOW_ID'", "follow update"),
    (("follow", "update", "1", "--bogus"), "no such option '--bogus'", "follow update"),
    (("positions",), "missing argument 'FOLLOW_ID'", "positions"),
    (("positions", "1", "--bogus"), "no such option '--bogus'", "positions"),
    (("history", "export"), "missing argument 'FOLLOW_ID'", "history export"),
    ((*EXPORT, "--format", "xml"), "invalid value for '--format'", "history export"),
    ((*EXPORT, "--page-size", "0"), "invalid value for '--page-size'", "history export"),
    ((*EXPORT, "--start", "yesterday"), "invalid value for '--start'", "history export"),
    (("sandbox", "serve", "--port", "70000"), "invalid value for '--port'", "sandbox serve"),
    (("sandbox", "serve", "--bogus"), "no such option '--bogus'", "sandbox serve"),
    (("demo", "--seed", "x"), "invalid value for '--seed'", "demo"),
    (("demo", "--bogus"), "no such option '--bogus'", "demo"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message", "command"), USAGE_ERRORS)
def test_a_usage_error_is_one_line_and_exit_2(
    args: tuple[str, ...], message: str, command: str | None
) -> None:
    result = run_cli("--sandbox", *args)
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith(f"error: {message}"), line
    if command is None:
        assert line == f"error: {message}"
    else:
        path = " ".join(filter(None, ("cli", command)))  # CliRunner names the program "cli"
        assert line.endswith(f" ({path} --help)"), line
    assert "Usage:" not in line and "Error:" not in line


def test_a_usage_error_names_the_program_as_it_was_run() -> None:
    done = python("-m", "copytrade_async", "traders", "list", "--sort-by", "luck")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "error: invalid value for '--sort-by': 'luck' is not one of 'profit', 'followers'"
        " (python -m copytrade_async traders list --help)\n"
    )


def all_commands() -> list[tuple[str, ...]]:
    """The path of every command and group, the root included."""
    found: list[tuple[str, ...]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        found.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    walk(cli, ())
    return found


@pytest.mark.parametrize("path", all_commands(), ids=" ".join)
def test_help_renders_for_every_command(path: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = run_cli(*path, flag)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith(f"Usage: {' '.join(('cli', *path))} ")
        assert result.stderr == ""


@pytest.mark.parametrize("path", [(), ("traders",), ("follow",), ("history",), ("sandbox",)])
def test_a_group_without_a_command_prints_its_help_on_stdout(path: tuple[str, ...]) -> None:
    result = run_cli(*path)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith(f"Usage: {' '.join(('cli', *path))} ")
    assert "Commands:" in result.stdout
    assert result.stdout == run_cli(*path, "--help").stdout


def test_a_bare_group_piped_to_a_pager_shows_its_help() -> None:
    done = python("-m", "copytrade_async", "traders")
    assert (done.returncode, done.stderr) == (0, "")
    assert "list" in done.stdout and "show" in done.stdout


def library_errors() -> list[type[CopyTradeError]]:
    """Every exception class the library exports."""
    found = [getattr(copytrade_async, name) for name in copytrade_async.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, CopyTradeError)]


def raised(cls: type[CopyTradeError]) -> CopyTradeError:
    """An instance of ``cls``, with a message on two lines."""
    if issubclass(cls, RateLimitWaitError):
        return cls("traders.list\nwait", retry_after=2.0, limit=0.5)
    if issubclass(cls, APIError):
        return cls("follows.start", "80003", "Insufficient\nbalance", http_status=400)
    if issubclass(cls, ResponseTooLargeError):
        return cls("traders.list", limit=16)
    if issubclass(cls, ResponseValidationError):
        return cls("traders.list", "data.list[0].winRate", "not a\ndecimal")
    if issubclass(cls, ResponseDecodeError):
        return cls("traders.list", "not\nJSON", http_status=200)
    if issubclass(cls, APIConnectionError):
        return cls("traders.list", "connection\nfailed")
    if issubclass(cls, PaginationError):
        return cls("history.list", "pages\nrepeat")
    return cls("went\nwrong")


@pytest.mark.parametrize("cls", library_errors(), ids=lambda cls: cls.__name__)
def test_every_library_error_is_one_line_with_a_documented_code(
    cls: type[CopyTradeError], monkeypatch: pytest.MonkeyPatch
) -> None:
    error = raised(cls)

    def fail(self: CliState, body: object) -> None:
        raise error

    monkeypatch.setattr(CliState, "run", fail)
    result = run_cli("--sandbox", "traders", "list")
    no_answer = issubclass(cls, APIConnectionError | ResponseDecodeError)
    assert result.exit_code == (3 if no_answer else 1)
    assert one_line(result) == "error: " + " ".join(str(error).split())
