"""The ``copytrade`` command line (needs the ``[cli]`` extra: click, rich, uvicorn).

Exit codes:

* 0: success
* 1: the exchange answered with an error (``error: follows.start: code 80003: ...``)
* 2: bad input: a usage error, a value the client refuses (``ValueError``), missing
  credentials
* 3: no usable answer: connection failure, timeout, or a response that cannot be decoded
* 130: interrupted (Ctrl-C)
* 141: the reader of the output stopped early (``copytrade ... | head -3``); no message, as a
  Unix tool killed by SIGPIPE (a shell reports 128 + 13)

Errors are one line on stderr, never a traceback. Data goes to stdout; messages and progress
go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["INSTALL_HINT", "main"]

#: Imported by the command line; when one is missing, ``main`` prints the hint and exits 2.
_CLI_DEPENDENCIES = frozenset({"click", "rich"})
INSTALL_HINT = "copytrade: the command line needs the [cli] extra: pip install -e '.[cli]'"


def main(args: Sequence[str] | None = None, prog_name: str | None = None) -> None:
    """Run the command line (the ``copytrade`` console script)."""
    try:
        from ._app import cli
        from ._streams import buffer_stdout
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] not in _CLI_DEPENDENCIES:
            raise
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(2) from None
    buffer_stdout()
    cli.main(args=args, prog_name=prog_name)
