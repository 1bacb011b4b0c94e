"""Every folder of Python code under grammar/, compiler/ and runtime/ is installed.

`segl` is a namespace package whose stages live in top-level folders (pyproject.toml maps
`segl.compiler` to `compiler/` and so on). An editable install finds a subpackage that
pyproject.toml forgets; a wheel silently leaves it out. This catches that before a user does."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = {"grammar": "segl.grammar", "compiler": "segl.compiler", "runtime": "segl.runtime"}


def _code_folders() -> dict[str, str]:
    found = {}
    for folder, package in STAGES.items():
        for code in sorted((ROOT / folder).rglob("*.py")):
            relative = code.parent.relative_to(ROOT)
            if "__pycache__" in relative.parts:
                continue
            name = ".".join([package, *relative.parts[1:]])
            found[name] = relative.as_posix()
    return found


def test_every_code_folder_is_an_installed_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = _code_folders()
    assert "segl.compiler" in folders  # the scan itself works
    assert sorted(setuptools["packages"]) == sorted(folders)
    assert setuptools["package-dir"] == folders
