"""`segl test`: the `test` blocks of a file."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING

import click

from .console import console
from .context import (
    compiled,
    engine_option,
    engine_options,
    format_option,
    out_option,
    param_option,
    parse_params,
    resources_options,
    single_file,
    target_option,
    use_resources,
)
from .exits import Exit, ExitCode, reporting
from .tables import Column, Grid, Output, emit, output_format

if TYPE_CHECKING:
    from ..language_tests import TestResult


@click.command(name="test")
@click.argument("file", required=False, type=click.Path())
@click.option("--name", "-k", "names", multiple=True, metavar="NAME",
              help="Only these tests (repeatable; default: every test).")
@format_option(without="PASS/FAIL lines")
@out_option
@param_option
@engine_option
@target_option
@resources_options
def test_command(file, names, fmt, out_path, params, engine, target, threads, memory_limit,
                 temp_dir):
    """Run the `test` blocks: fixture rows in, expected members out.

    Prints PASS or FAIL per test (what differs on stderr); with --format or --out, a table
    of the tests (test, result, failures) as table, csv, json or markdown."""
    from ..language_tests import run_tests

    with reporting():
        tabled = fmt is not None or out_path is not None
        if tabled:
            fmt = output_format(fmt, out_path)
        options = engine_options(engine, target)
        path, project = single_file(file)
        use_resources(project, (threads, memory_limit, temp_dir), engine)
        compilation = compiled(path, parse_params(params, project))
        default_as_of = project.as_of if project.as_of not in ("today", "param") else None
        results = run_tests(compilation, list(names),
                            date.fromisoformat(default_as_of) if default_as_of else None,
                            engine, options)
        failed = sum(1 for r in results if not r.passed)
        if tabled:
            emit(_results_output(results, failed), fmt, out_path)
            if failed:
                raise Exit(ExitCode.DEFINITION_ERROR)
            return
        out = console()
        for result in results:
            out.print(("PASS " if result.passed else "FAIL ") + result.name)
            for failure in result.failures:
                sys.stderr.write(f"  {failure}\n")
        out.print(f"{len(results) - failed} passed, {failed} failed")
        if failed:
            raise Exit(ExitCode.DEFINITION_ERROR)


def _results_output(results: list[TestResult], failed: int) -> Output:
    """One row per test; the failures as a list in JSON, lines in a cell elsewhere."""
    grid = Grid("tests", [Column("test"), Column("result"), Column("failures")],
                notes=[f"{len(results) - failed} passed, {failed} failed"])
    for result in results:
        grid.add(result.name, "PASS" if result.passed else "FAIL",
                 (list(result.failures), "\n".join(result.failures)))
    return Output([grid], facts={"passed": len(results) - failed, "failed": failed})
