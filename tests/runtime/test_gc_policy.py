"""The garbage collector's settings for the short commands (runtime/cli/__init__.py, issue 15
item 5): a higher gen-0 threshold and a freeze at exit, only in the `segl` process of
`check`, `compile`, `ls`, `lint`, `fmt` and the top-level --help; never in another command,
nor in a process that calls `main` with its own arguments (a test runner's)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from click.testing import CliRunner
from segl.runtime.cli import SHORT_GC_THRESHOLD, main, short_command

from tests.conftest import ROOT

SHOP = str(ROOT / "examples" / "shop" / "shop.seg")

# `segl ARGS` as its own process (arguments from sys.argv): the collector's settings at exit
PROGRAM = """
import gc, sys
from segl.runtime.cli import main
sys.argv = ["segl", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(gc.get_threshold()[0], gc.get_freeze_count())
"""


def settings(*args: str) -> tuple[int, int]:
    result = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    threshold, frozen = result.stdout.split()[-2:]
    return int(threshold), int(frozen)


@pytest.mark.parametrize(("args", "short"), [
    (["check", "x.seg"], True), (["check", "--no-data", "x.seg"], True),
    (["compile", "-d", "duckdb"], True), (["ls"], True), (["lint", "."], True),
    (["fmt", "--check"], True), (["--help"], True), ([], True), (["--version"], True),
    (["run", "x.seg"], False), (["report", "--help"], False), (["export"], False),
    (["discover"], False), (["lsp"], False), (["kpis", "check"], False),
])
def test_which_commands_are_short(args: list[str], short: bool) -> None:
    assert short_command(args) is short


@pytest.mark.parametrize("args", [("check", "--no-data", SHOP), ("--help",)])
def test_a_short_command_raises_the_threshold_and_freezes_at_exit(args) -> None:
    threshold, frozen = settings(*args)
    assert threshold == SHORT_GC_THRESHOLD and frozen > 0


@pytest.mark.parametrize("args", [("run", "--help"), ("kpis", "--help")])
def test_other_commands_keep_the_collector_as_it_was(args) -> None:
    threshold, frozen = settings(*args)
    assert threshold == gc.get_threshold()[0] != SHORT_GC_THRESHOLD and frozen == 0


def test_a_caller_with_its_own_arguments_keeps_its_collector() -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    result = CliRunner().invoke(main, ["check", "--no-data", SHOP])
    assert result.exit_code == 0, result.output
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
