"""The typing checks in ``tests/typing/check_*.py`` pass under mypy, as CI runs them::

    mypy --strict --warn-unused-ignores tests/typing

Each check file marks the mistakes a type checker must catch with ``# type: ignore[...]``;
``--warn-unused-ignores`` fails the check if one stops being caught.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
CHECKED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "typing").glob("check_*.py"))


def test_there_are_checks() -> None:
    assert {Path(p).name for p in CHECKED} >= {
        "check_arguments.py",
        "check_records.py",
        "check_toolkit.py",
    }


def test_the_public_api_type_checks_as_documented() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
