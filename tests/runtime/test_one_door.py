"""The runtime reaches the compiler through one door, `segl.compiler.api`; its files are small.

An AST scan of every module under runtime/: an import of `segl.compiler` is allowed only as
`segl.compiler.api` (or `from segl.compiler import api`); any other compiler module
(`to_sql`, `plan`, `parser`, `model`, `ir`, …) is an internal the runtime must not reach.
Relative imports that climb out of runtime/ (`from ..compiler import …`) count too.
The scan is checked against code it must refuse, so it cannot pass vacuously.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUNTIME = ROOT / "runtime"
DOOR = "segl.compiler.api"


def _absolute(module: str | None, level: int, path: Path) -> str:
    """The dotted name a (possibly relative) `from … import` names, inside package `segl`."""
    if level == 0:
        return module or ""
    package = ["segl", *path.relative_to(ROOT).parent.parts]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def internal_imports(source: str, path: Path) -> list[str]:
    """`line: name` of every import of a compiler module other than the api."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module, node.level, path)
            names = [f"{module}.{alias.name}" if module in ("segl", "segl.compiler")
                     else module for alias in node.names]
        else:
            continue
        for name in names:
            inside = name == "segl.compiler" or name.startswith("segl.compiler.")
            if inside and name != DOOR and not name.startswith(DOOR + "."):
                found.append(f"{node.lineno}: {name}")
    return found


def test_the_runtime_imports_only_the_compiler_api() -> None:
    modules = sorted(RUNTIME.rglob("*.py"))
    assert len(modules) > 30
    offences = {str(p.relative_to(ROOT)): found for p in modules
                if (found := internal_imports(p.read_text(encoding="utf-8"), p))}
    assert offences == {}


def test_every_runtime_module_is_small() -> None:
    """One job per file: none over 500 lines (cli.py had 879 before it became a package)."""
    lengths = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
               for p in RUNTIME.rglob("*.py")}
    assert {path: n for path, n in lengths.items() if n >= 500} == {}


@pytest.mark.parametrize("line", [
    "from segl.compiler.plan import plan_for",
    "from segl.compiler import model as m",
    "from segl.compiler import ir, api",
    "import segl.compiler.backends.sql",
    "from ...compiler.parser import parse_source",
    "from ...compiler import nodes",
    "from segl import compiler",
])
def test_the_scan_finds_an_internal_import(line: str) -> None:
    path = RUNTIME / "engines" / "example.py"
    assert internal_imports(line + "\n", path), line


@pytest.mark.parametrize("line", [
    "from segl.compiler.api import Plan, plan_for",
    "from segl.compiler import api",
    "import segl.compiler.api",
    "from . import sql",
    "from ..errors import UsageError",
])
def test_the_scan_lets_the_door_through(line: str) -> None:
    path = RUNTIME / "engines" / "example.py"
    assert internal_imports(line + "\n", path) == [], line
