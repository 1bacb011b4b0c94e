"""The `segl` command as a package: every command is found lazily, lists the line of its own
help, shares one context and one exit policy, and spells "write to a file" `--out`."""

from __future__ import annotations

import importlib
import re

import click
import pytest
from click.testing import CliRunner
from segl.runtime.cli import COMMANDS, main
from segl.runtime.cli.exits import ExitCode, for_diagnostics

from tests.conftest import ROOT

SHOP = ROOT / "examples" / "shop" / "shop.seg"


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_command_is_its_module_s_command(name: str) -> None:
    module, function, summary = COMMANDS[name]
    command = getattr(importlib.import_module(f"segl.runtime.cli.{module}"), function)
    assert isinstance(command, click.Command)
    assert command.name == name
    # the line `segl --help` shows without importing the module is the command's own
    assert _first_paragraph(command.help) == summary


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = re.findall(r"^  (\w+)  ", result.output, re.M)
    assert listed == sorted(COMMANDS)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_out_is_the_spelling_and_output_a_deprecated_alias(tmp_path) -> None:
    runner = CliRunner()
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    first = runner.invoke(main, ["lint", str(SHOP), "--format", "json", "--out", str(new)])
    second = runner.invoke(main, ["lint", str(SHOP), "--format", "json", "--output", str(old)])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    assert new.read_text() == old.read_text() != ""
    assert "--output is deprecated" in second.stderr
    assert "deprecated" not in first.stderr
    assert "--output" not in runner.invoke(main, ["lint", "--help"]).output


def test_every_command_that_writes_a_file_takes_out() -> None:
    writes = {"compile", "run", "overlap", "report", "diff", "lint"}
    for name in writes:
        module, function, _ = COMMANDS[name]
        command = getattr(importlib.import_module(f"segl.runtime.cli.{module}"), function)
        shown = [o for p in command.params if not getattr(p, "hidden", False) for o in p.opts]
        assert "--out" in shown, name
        assert "--output" not in shown, name


class _Diagnostic:
    def __init__(self, code: str, is_error: bool = True) -> None:
        self.code, self.is_error = code, is_error


@pytest.mark.parametrize(("codes", "expected"), [
    (["E401"], ExitCode.USAGE_OR_DATA_ERROR),
    (["E401", "E101"], ExitCode.DEFINITION_ERROR),
    (["E101"], ExitCode.DEFINITION_ERROR),
])
def test_one_exit_policy_for_diagnostics(codes, expected) -> None:
    assert for_diagnostics([_Diagnostic(c) for c in codes]) is expected


def test_a_refused_output_is_a_usage_error() -> None:
    from segl.compiler.api import REFUSED

    assert for_diagnostics([_Diagnostic(REFUSED)]) is ExitCode.USAGE_OR_DATA_ERROR
