"""The sandbox exchange served on loopback for the many-accounts benchmark, in a process of its
own: ``ACCOUNTS`` funded accounts (``key-0``/``secret-0``/``pass-0``, ...), real time, the
sandbox's own per-key limit (5/s) enforced. Run by :func:`_common.serve`; standalone::

    python benchmarks/_sandbox_server.py [--accounts 200]

It prints ``PORT <n>`` once it listens, and stops when its stdin closes or after
``--max-seconds``.
"""

from __future__ import annotations

import argparse
import sys
import threading

from copytrade_async.sandbox import SandboxConfig, SandboxExchange, SandboxServer, WallClock


def credentials(i: int) -> tuple[str, str, str]:
    """The ``i``-th account's API key, secret and passphrase."""
    return f"key-{i}", f"secret-{i}", f"pass-{i}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args()
    exchange = SandboxExchange(SandboxConfig(seed=3, traders=20), clock=WallClock())
    for i in range(args.accounts):
        exchange.add_account(*credentials(i))
    with SandboxServer(exchange) as server:
        print(f"PORT {server.port}", flush=True)
        stdin_closed = threading.Event()
        threading.Thread(
            target=lambda: (sys.stdin.buffer.read(), stdin_closed.set()), daemon=True
        ).start()
        stdin_closed.wait(args.max_seconds)


if __name__ == "__main__":
    main()
