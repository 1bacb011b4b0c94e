"""`segl lsp` as a command: its help, and what it says without the `lsp` extra."""

import subprocess

from click.testing import CliRunner
from segl.runtime.cli import main

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
