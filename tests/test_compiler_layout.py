"""The compiler's tree shows its stages (docs/architecture.md): one job per module, none
over 500 lines (resolve.py had 1,600 before it was split), and every folder of Python code
is a package with a README saying what it owns."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPILER = ROOT / "compiler"
STAGES = ("syntax", "semantic", "plan", "backends", "analysis")


def test_every_compiler_module_is_small() -> None:
    lengths = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
               for p in COMPILER.rglob("*.py")}
    assert len(lengths) > 50  # the scan sees the package
    assert {path: n for path, n in lengths.items() if n >= 500} == {}


def test_every_stage_is_a_folder() -> None:
    assert [s for s in STAGES if not (COMPILER / s / "__init__.py").is_file()] == []


def test_every_compiler_folder_is_a_package_with_a_readme() -> None:
    folders = {p.parent for p in COMPILER.rglob("*.py") if "__pycache__" not in p.parts}
    assert COMPILER / "syntax" in folders
    missing = sorted(str(f.relative_to(ROOT)) for f in folders
                     if not (f / "__init__.py").is_file() or not (f / "README.md").is_file())
    assert missing == []
