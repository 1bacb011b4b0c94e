"""`segl export`: run the file's exports (docs/activation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .context import (
    as_of_flag,
    db_option,
    engine_option,
    format_option,
    out_option,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import reporting
from .tables import Column, Grid, Output, emit, output_format

if TYPE_CHECKING:
    from ..exports import ExportResult


@click.command()
@click.argument("args", nargs=-1)
@as_of_flag()
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@click.option("--history", metavar="DUCKDB_FILE",
              help="The history file of `segl snapshot` a `mode changes` export compares "
                   "with (when it has the segment recorded before --as-of); default: none, "
                   "the state kept beside the target.")
@click.option("--history-table", metavar="NAME", help="The history table in it "
              "(default: segl_history).")
@resources_options
def export(args, as_of, fmt, out_path, params, database, engine, target, history,
           history_table, threads, memory_limit, temp_dir):
    """Run exports: consenting members outside holdout and suppression, to each target.

    Arguments: export NAMEs (default: all), and the .seg FILE (default: segl.toml's
    entry). Files are written atomically; a `to table` target goes to the engine's database
    (DuckDB: --db; PostgreSQL: --target URL; SQLite: --target FILE; Spark: its catalog;
    ClickHouse: --target DIR, a chdb database folder),
    created or replaced (or merged into) in one transaction. Prints how many members each
    export wrote and which it left out, as a table,
    or with --format/--out as csv, json or markdown."""
    from ..exports import run_exports

    with reporting():
        fmt = output_format(fmt, out_path)
        files = [a for a in args if a.endswith(".seg") or Path(a).is_file()]
        names = [a for a in args if a not in files]
        # (SQLite, ClickHouse: --target is the database file or chdb folder `to table`
        # writes to, for this command only)
        local = {"sqlite": "sqlite_path", "clickhouse": "chdb_path"}.get(engine or "")
        written_to = target if local else None
        ctx = resolve(files[0] if files else None, params, command="export", as_of=as_of,
                      database=database, engine=engine,
                      target=None if written_to else target,
                      limits=(threads, memory_limit, temp_dir))
        options = {**ctx.engine_options, **({local: written_to} if local and written_to else {})}
        results = run_exports(ctx.path, names or None, ctx.as_of, ctx.params, ctx.database,
                              ctx.engine, options, history=history,
                              history_table=history_table)
        emit(exports_output(results, ctx.as_of), fmt, out_path)


def exports_output(results: list[ExportResult], as_of) -> Output:
    """One row per export: its target and how many members went, and which were left out;
    with a `mode changes` export, how many joined and left, and since what."""
    counts = ("members", "holdout", "suppressed", "no_consent", "exported")
    changes = any(r.joined is not None for r in results)
    moved = ("joined", "left") if changes else ()
    grid = Grid("exports", [Column("export"), Column("target"),
                            *(Column(name, name.replace("_", " "), numeric=True)
                              for name in (*counts, *moved)),
                            *((Column("since"),) if changes else ())],
                title=f"exports · as_of {as_of}")
    for r in results:
        cells = [(getattr(r, name), f"{getattr(r, name):,}") for name in counts]
        if changes:
            cells += [(r.joined, "" if r.joined is None else f"{r.joined:,}"),
                      (r.left, "" if r.left is None else f"{r.left:,}"),
                      _since(r.baseline) if r.joined is not None else ""]
        grid.add(r.name, r.target, *cells)
    return Output([grid], facts={"as_of": as_of})


def _since(baseline) -> str:
    """What a changes export compared with."""
    if baseline is None or baseline.as_of is None:
        return "first export"
    return f"{baseline.source} {baseline.as_of}"
