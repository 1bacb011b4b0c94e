"""Every folder of Python code under segl/, grammar/, compiler/ and runtime/ is installed.

`segl` (folder segl/, the notebook API's entry) is a package whose stages live in top-level
folders (pyproject.toml maps `segl.compiler` to `compiler/` and so on). An editable install
finds a subpackage that pyproject.toml forgets; a wheel silently leaves it out. This
catches that before a user does."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = {"segl": "segl", "grammar": "segl.grammar", "compiler": "segl.compiler",
          "runtime": "segl.runtime"}


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


def test_every_package_is_regular() -> None:
    """A namespace subpackage of the regular package `segl` is not found by an editable
    install (its finder maps only the listed folders, each by its `__init__.py`)."""
    for folder in _code_folders().values():
        assert (ROOT / folder / "__init__.py").is_file(), folder
