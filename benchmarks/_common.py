"""What the benchmarks share: the command line, the server process, medians, and one way to
print and save a result."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PREFIX = "/api/mix/v1/copytrading"
#: Any credentials do: the fixed server does not verify signatures (our client still signs).
CREDENTIALS = {"api_key": "bench-key", "api_secret": "bench-secret", "passphrase": "bench-pass"}


def pin(pid: int) -> str:
    """Put the server ``pid`` on a core of its own and this process on the others, where the
    OS allows it (Linux with 2+ cores); say what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return "not pinned (one core)"
    try:
        os.sched_setaffinity(pid, {cores[-1]})
        os.sched_setaffinity(0, set(cores[:-1]))
    except OSError as exc:
        return f"not pinned ({exc})"
    return f"server on core {cores[-1]}, client on {', '.join(map(str, cores[:-1]))}"


#: What :func:`serve` did about cores, for the benchmarks to print.
PINNING = {"last": "not started"}
#: The process id of the server :func:`serve` runs now.
SERVED = {"pid": 0}


@contextlib.contextmanager
def serve(*args: str, script: str = "_server.py") -> Iterator[str]:
    """Run ``script`` (``_server.py``) with ``args`` in a child process pinned to a core of its
    own (:func:`pin`); yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    previous = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    PINNING["last"] = pin(proc.pid)
    SERVED["pid"] = proc.pid
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the server stops when its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if previous is not None:
            os.sched_setaffinity(0, previous)


def server_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/stats", timeout=5) as reply:
        result: dict[str, Any] = json.loads(reply.read())
        return result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def headline(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def verdict(ok: bool | None) -> str:
    return "not checked (quick run)" if ok is None else ("met" if ok else "NOT MET")


def arguments(doc: str, *, transport: bool = False) -> argparse.ArgumentParser:
    """The options every benchmark takes (``--quick``, ``--json``; ``--transport`` on request),
    described by the first line of the script's docstring. A script adds its own."""
    parser = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small N, for CI (no targets)")
    parser.add_argument("--json", help="also write the results to this file")
    if transport:
        parser.add_argument("--transport", default="httpx", choices=("httpx", "aiohttp"))
    return parser


def save(results: dict[str, Any], path: str | None) -> dict[str, Any]:
    """Write ``results`` to ``path`` as JSON when one was given; return them."""
    if path:
        with open(path, "w") as out:
            json.dump(results, out)
    return results
