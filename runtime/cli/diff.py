"""`segl diff`: what a change to the definitions does."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..project import find_project
from .console import console, plain, print_diagnostics, status
from .context import (
    as_of_flag,
    check_dialect,
    db_option,
    engine_option,
    engine_options,
    evaluation_date,
    out_flag,
    param_option,
    parse_params,
    resources_options,
    target_option,
    use_resources,
)
from .exits import Exit, ExitCode, reporting


@click.command(name="diff")
@click.argument("revisions_and_files", nargs=-1, required=True, metavar="BASE [HEAD] [FILE…]")
@click.option("--data", "with_data", is_flag=True,
              help="Evaluate both versions (on DuckDB, or --engine E): members before, after, "
                   "joined, left.")
@as_of_flag("Evaluation date for --data and the compiled SQL, YYYY-MM-DD or `today` "
            "(default: segl.toml's `as_of` when set, else today).")
@click.option("--dialect", "-d", help="Dialect of the compiled SQL diff (default: segl.toml's "
                                      "`dialect`, else duckdb).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="markdown: one pull-request comment; json: schema segl-diff/1.")
@click.option("--by", "by", metavar="COLUMN",
              help="With --data: count joiners and leavers by this column of the entity "
                   "(default: no breakdown).")
@click.option("--examples", default=5, show_default=True, type=click.IntRange(min=0),
              help="With --data: how many keys (the smallest) to show per change.")
@out_flag("Write the report to this file, atomically (default: stdout).")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def diff_command(revisions_and_files, with_data, as_of, dialect, fmt, by, examples, out_path,
                 params, database, engine, target, threads, memory_limit, temp_dir):
    """What a change does: objects added, removed and changed, narrower or wider, the SQL,
    and with --data the members who join and leave.

    BASE and HEAD are git revisions (HEAD: the working tree) or two files or folders.
    FILE… are the entry files to compare (default: segl.toml's `entry`, else every .seg
    file no other imports). Exit 0: no semantic change; 1: something changed; 2: usage or
    data error, or a version that does not compile.
    """
    from .. import diff as diffing
    from .. import diff_report
    from ..atomic_files import write_text_atomically

    with reporting():
        args = list(revisions_and_files)
        base, rest = args[0], args[1:]
        head = None
        both_paths = rest and Path(base).exists() and Path(rest[0]).exists()
        if both_paths or (rest and not Path(rest[0]).exists()):
            head, rest = rest[0], rest[1:]
        project = find_project(Path.cwd())
        if by and not with_data:
            raise UsageError("--by needs --data")
        options = engine_options(engine, target)
        use_resources(project, (threads, memory_limit, temp_dir), engine)
        when = evaluation_date(as_of, project, "diff")
        request = diffing.DiffRequest(
            base=base, head=head, files=tuple(rest), data=with_data, as_of=when,
            dialect=check_dialect(dialect or project.dialect), by=by, examples=examples,
            params=parse_params(params, project), database=database or project.database,
            entry=tuple(project.entry) if not both_paths else (), engine=engine,
            engine_options=options)
        if with_data:
            with status("Compiling and evaluating both versions…"):
                report = diffing.build_report(request)
        else:
            report = diffing.build_report(request)
        print_diagnostics(report.errors)
        if fmt == "markdown":
            text = diff_report.to_markdown(report)
        elif fmt == "json":
            text = diff_report.to_json(report)
        else:
            text = None
        if out_path:
            write_text_atomically(out_path, text if text is not None else
                                  plain(diff_report.to_text(report)))
        elif text is not None:
            sys.stdout.write(text)
        else:
            console().print(diff_report.to_text(report), end="")
        if report.errors:
            raise Exit(ExitCode.USAGE_OR_DATA_ERROR)
        if report.changed:
            raise Exit(ExitCode.DEFINITION_ERROR)
