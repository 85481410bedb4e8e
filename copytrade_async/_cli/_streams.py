"""Standard output as Unix tools treat it: when the reader stops early, the command stops quietly.

Python ignores SIGPIPE, so a write to a pipe whose reader has gone (``copytrade ... | head -3``)
raises :class:`BrokenPipeError`; :func:`~._errors.one_line_errors` then calls
:func:`silence_closed_streams` and exits with ``EXIT_BROKEN_PIPE`` (141), as Python's
documentation advises (note on SIGPIPE in :mod:`signal`).
"""

from __future__ import annotations

import io
import os
import sys

__all__ = ["buffer_stdout", "silence_closed_streams"]


def buffer_stdout() -> None:
    """Give an unbuffered stdout (``PYTHONUNBUFFERED``, ``python -u``) a buffer, flushed at
    every line.

    Unbuffered, a text write ignores a short write: when the reader leaves in the middle of a
    table, the rest of it is dropped without an error, and the command would exit 0. Buffered,
    the rest is written again, and the closed pipe raises :class:`BrokenPipeError`.
    """
    stream = sys.stdout
    if not isinstance(stream, io.TextIOWrapper) or not isinstance(stream.buffer, io.RawIOBase):
        return
    stream.flush()
    sys.stdout = open(  # noqa: SIM115 (stdout for the rest of the process)
        stream.fileno(),
        "w",
        buffering=1,
        encoding=stream.encoding,
        errors=stream.errors,
        closefd=False,  # fd 1 stays open: the interpreter's own sys.__stdout__ still uses it
    )


def silence_closed_streams() -> None:
    """Send stdout and stderr, where the reader has gone, to the null device: what is left in
    their buffers goes nowhere, and the interpreter's last flush prints no "Exception ignored".
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            try:
                null = os.open(os.devnull, os.O_WRONLY)
            except OSError:
                continue
            try:
                os.dup2(null, stream.fileno())
            except (OSError, ValueError):  # not a file (a test's capture): nothing to silence
                pass
            finally:
                os.close(null)
