"""Import time: ``import copytrade_async`` against ``import httpx`` alone.

Each import runs in a fresh interpreter, which times the import statement itself (so the
interpreter's own start-up is left out); the runs of the two alternate, and a figure is the
median of ``--runs``. ``copytrade_async`` imports httpx too, so the difference is what the
package adds (attrs, cattrs, tenacity, anyio and its own modules). aiohttp and msgspec are
imported only when used. No target: the figure is for the README.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from _common import arguments, headline, median, save

PROBE = (
    "import time, sys; t = time.perf_counter(); import {module}; "
    "print(time.perf_counter() - t, 'aiohttp' in sys.modules, 'msgspec' in sys.modules)"
)


def time_import(module: str) -> tuple[float, bool]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    return float(output[0]), output[1] == "True" or output[2] == "True"


def run(runs: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"httpx": [], "copytrade_async": []}
    ratios: list[float] = []
    for module in times:  # once each, to warm the disk cache
        time_import(module)
    for _ in range(runs):
        for module in times:
            seconds, heavy = time_import(module)
            times[module].append(seconds)
            if module == "copytrade_async":
                assert not heavy, "import copytrade_async loaded aiohttp or msgspec"
        ratios.append(times["copytrade_async"][-1] / times["httpx"][-1])
    ours, httpx = median(times["copytrade_async"]), median(times["httpx"])
    ratio = median(ratios)
    print(f"  import httpx            {httpx * 1000:6.1f} ms")
    print(
        f"  import copytrade_async  {ours * 1000:6.1f} ms  ({ratio:.2f}x httpx alone, "
        f"+{(ours - httpx) * 1000:.0f} ms)"
    )
    return {
        "httpx_ms": round(httpx * 1000, 1),
        "ours_ms": round(ours * 1000, 1),
        "ratio": round(ratio, 2),
        "met": None,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 9)
    headline(f"6. Import time (fresh interpreters, median of {runs})")
    results = run(runs)
    return save(results, args.json)


if __name__ == "__main__":
    main()
