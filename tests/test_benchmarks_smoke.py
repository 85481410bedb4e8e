"""The benchmarks still run: two of them end to end with ``--quick`` (CI runs them all with
``python benchmarks/run_all.py --quick``), and the server's fast page maker agrees with json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_quick_run_of_decoding_and_pagination() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run_all.py"),
            "--quick",
            "--only",
            "decoding,pagination",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical items: yes" in result.stdout
    assert "| decoding, µs per record |" in result.stdout


def test_generated_pages_are_the_json_of_the_records() -> None:
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import _server as s; "
        "page = json.loads(s.generated_page(3, 7, 4)); "
        "assert page['data']['list'] == [s.order(str(i), i) for i in range(14, 21)]; "
        "assert json.loads(s.generated_page(5, 7, 4))['data']['list'] == []; "
        "print(json.dumps(page['data']['totalPage']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert json.loads(out) == 4
