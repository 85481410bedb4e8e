"""The house rules of the package's layout, checked on its source: no import circle, no
package borrowing another's private names, the core never importing the sandbox, the toolkit
or the command line, and no module over 400 lines.

The graph is built from module-level imports (``if TYPE_CHECKING:`` blocks and imports inside
functions are left out: they run after every module has loaded). Importing a submodule also
imports its parent package; those edges are left out too, as every package has them.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import copytrade_async

ROOT = Path(copytrade_async.__file__).parent
PACKAGE = "copytrade_async"
#: Packages that build on the core and must use only what its faces offer.
CLIENTS_OF_THE_CORE = ("sandbox", "toolkit", "_cli", "analytics", "report", "store")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def top_level_imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """``(module, names)`` of every import run when the module loads; ``from x import a``
    gives ``("x", ["a"])``, ``import x`` gives ``("x", [])``."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(nodes: list[ast.stmt]) -> Iterator[tuple[str, list[str]]]:
        for node in nodes:
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if test not in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                yield from walk(node.body)
                for handler in node.handlers:
                    yield from walk(handler.body)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, []
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                yield target, [alias.name for alias in node.names]

    yield from walk(tree.body)


def edges(name: str) -> set[str]:
    """The package's modules that ``name`` imports when it loads."""
    found = set()
    for target, names in top_level_imports(MODULES[name]):
        if target not in MODULES:
            continue
        found.add(target)
        for imported in names:  # ``from . import _submodule``
            if f"{target}.{imported}" in MODULES:
                found.add(f"{target}.{imported}")
    parents = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
    return found - parents - {name}


GRAPH = {name: edges(name) for name in MODULES}


def test_there_is_no_import_circle() -> None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                circle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)


def is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split(".")[1:])


@pytest.mark.parametrize("package", CLIENTS_OF_THE_CORE)
def test_packages_on_the_core_import_only_what_a_face_offers(package: str) -> None:
    own = f"{PACKAGE}.{package}"
    borrowed = []
    for name, path in MODULES.items():
        if not in_package(name, own):
            continue
        for target, names in top_level_imports(path):
            if not in_package(target, PACKAGE) or in_package(target, own):
                continue
            face = importlib.import_module(target)
            offered = set(getattr(face, "__all__", ()))
            if is_private(target) or not set(names) <= offered:
                borrowed.append(f"{name}: from {target} import {', '.join(names)}")
    assert borrowed == []


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def built_on_the_core(name: str) -> bool:
    return any(in_package(name, f"{PACKAGE}.{p}") for p in CLIENTS_OF_THE_CORE)


def test_the_core_never_imports_the_packages_built_on_it() -> None:
    # ``python -m copytrade_async`` is the command line's entry point, not the core.
    core = [n for n in MODULES if not built_on_the_core(n) and n != f"{PACKAGE}.__main__"]
    reached = {(n, target) for n in core for target in GRAPH[n] if built_on_the_core(target)}
    assert reached == set()


def test_resources_never_import_the_client() -> None:
    for name in MODULES:
        if in_package(name, f"{PACKAGE}.resources"):
            assert f"{PACKAGE}._client" not in GRAPH[name], name


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: lines
        for name, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_imports_in_a_fresh_interpreter_in_dependency_order() -> None:
    order: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> None:
        seen.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in seen:
                visit(nxt)
        order.append(node)

    for node in sorted(GRAPH):
        if node not in seen:
            visit(node)
    script = f"import importlib\nfor name in {order!r}:\n    importlib.import_module(name)\n"
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
