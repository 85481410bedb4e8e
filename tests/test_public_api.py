"""The public surface is whole: every exported name resolves and says what it is, everything the
README and docs import is exported, and nothing private is."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = [
    "copytrade_async",
    "copytrade_async.ratelimit",
    "copytrade_async.report",
    "copytrade_async.resources",
    "copytrade_async.sandbox",
    "copytrade_async.toolkit",
    "copytrade_async.analytics",
]
EXPORTS = [(module, name) for module in PUBLIC for name in importlib.import_module(module).__all__]


@pytest.mark.parametrize(("module", "name"), EXPORTS, ids=[f"{m}.{n}" for m, n in EXPORTS])
def test_every_export_resolves_and_has_its_own_docstring(module: str, name: str) -> None:
    assert not name.startswith("_") or name == "__version__"
    value = getattr(importlib.import_module(module), name)
    if inspect.isclass(value) or inspect.isfunction(value):
        doc = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
        assert doc and doc.strip(), f"{module}.{name} has no docstring of its own"


IMPORT = re.compile(r"from (copytrade_async[\w.]*) import \(?([\w\s,]+?)\)?$", re.M)


def test_everything_the_docs_import_is_exported() -> None:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    imported = {
        (module, name.strip())
        for path in texts
        for module, names in IMPORT.findall(path.read_text())
        for name in names.replace("\n", " ").split(",")
        if name.strip()
    }
    assert imported, "no imports found: the pattern is wrong"
    missing = sorted(
        f"{module}.{name}"
        for module, name in imported
        if name not in importlib.import_module(module).__all__
    )
    assert missing == []
