"""`segl test`: the `test` blocks of a file."""

from __future__ import annotations

import sys
from datetime import date

import click

from .console import console
from .context import (
    compiled,
    engine_option,
    engine_options,
    param_option,
    parse_params,
    resources_options,
    single_file,
    target_option,
    use_resources,
)
from .exits import Exit, ExitCode, reporting


@click.command(name="test")
@click.argument("file", required=False, type=click.Path())
@click.option("--name", "-k", "names", multiple=True, help="Only these tests.")
@param_option
@engine_option
@target_option
@resources_options
def test_command(file, names, params, engine, target, threads, memory_limit, temp_dir):
    """Run the `test` blocks: fixture rows in, expected members out."""
    from ..language_tests import run_tests

    with reporting():
        options = engine_options(engine, target)
        path, project = single_file(file)
        use_resources(project, (threads, memory_limit, temp_dir), engine)
        compilation = compiled(path, parse_params(params, project))
        default_as_of = project.as_of if project.as_of not in ("today", "param") else None
        results = run_tests(compilation, list(names),
                            date.fromisoformat(default_as_of) if default_as_of else None,
                            engine, options)
        out = console()
        for result in results:
            out.print(("PASS " if result.passed else "FAIL ") + result.name)
            for failure in result.failures:
                sys.stderr.write(f"  {failure}\n")
        failed = sum(1 for r in results if not r.passed)
        out.print(f"{len(results) - failed} passed, {failed} failed")
        if failed:
            raise Exit(ExitCode.DEFINITION_ERROR)
