"""The toolkit's modules import one another without a circle, counting the imports made only
for type checking too (``tests/test_layout.py`` leaves those out, as they never run): a
type-only circle still means two modules that each need the other to be read."""

from __future__ import annotations

import ast
from pathlib import Path

import copytrade_async.toolkit

TOOLKIT = Path(copytrade_async.toolkit.__file__).parent


def imported_siblings(path: Path) -> set[str]:
    """The toolkit modules ``path`` imports anywhere in it (``from ._x import ...``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module)
    return found


def test_no_circle_even_through_type_only_imports() -> None:
    graph = {p.stem: imported_siblings(p) for p in TOOLKIT.glob("_*.py")}
    assert graph["_demo_text"] and graph["_demo"]  # the check sees the imports
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path, module]))
        if module in done or module not in graph:
            return
        for target in sorted(graph[module]):
            visit(target, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_the_demo_and_its_text_share_records_not_each_other() -> None:
    assert "_demo" not in imported_siblings(TOOLKIT / "_demo_text.py")
    assert "_demo_report" in imported_siblings(TOOLKIT / "_demo_text.py")
