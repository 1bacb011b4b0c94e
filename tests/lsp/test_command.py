"""`segl lsp` as a command: its help, and what it says without the `lsp` extra."""

import ast
import subprocess

from click.testing import CliRunner
from segl.runtime.cli import main

from tests.conftest import ROOT
from tests.lsp.conftest import SEGL


def test_the_command_is_listed_with_its_help():
    result = CliRunner().invoke(main, ["--help"])
    assert "lsp" in result.output
    result = CliRunner().invoke(main, ["lsp", "--help"])
    assert result.exit_code == 0 and "--stdio" in result.output


def test_without_pygls_the_command_says_how_to_get_it(tmp_path):
    # a Python that cannot import pygls: the command fails and names the extra to install
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['pygls'] = None\n",
                                               encoding="utf-8")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(SEGL), "lsp"], capture_output=True, text=True, env=env,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert "pip install 'segl[lsp]'" in result.stderr


def test_the_server_enters_the_compiler_only_through_its_api():
    imported = set()
    for path in (ROOT / "runtime/lsp").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    compiler = {name for name in imported if name.startswith("segl.compiler")}
    assert compiler == {"segl.compiler.api"}
