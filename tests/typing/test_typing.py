"""The typing checks of ``tests/typing/records.py`` pass under mypy, as CI runs them:

mypy --strict --warn-unused-ignores tests/typing/records.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CHECKED = "tests/typing/records.py"


def test_records_type_check_as_documented() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
