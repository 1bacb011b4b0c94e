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
@resources_options
def export(args, as_of, fmt, out_path, params, database, engine, target, threads,
           memory_limit, temp_dir):
    """Run exports: consenting members outside holdout and suppression, to each target.

    Arguments: export NAMEs (default: all), and the .seg FILE (default: segl.toml's
    entry). Files are written atomically, tables in one transaction on the DuckDB database
    (--db). Prints how many members each export wrote and which it left out, as a table,
    or with --format/--out as csv, json or markdown."""
    from ..exports import run_exports

    with reporting():
        fmt = output_format(fmt, out_path)
        files = [a for a in args if a.endswith(".seg") or Path(a).is_file()]
        names = [a for a in args if a not in files]
        ctx = resolve(files[0] if files else None, params, command="export", as_of=as_of,
                      database=database, engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        results = run_exports(ctx.path, names or None, ctx.as_of, ctx.params, ctx.database,
                              ctx.engine, ctx.engine_options)
        emit(exports_output(results, ctx.as_of), fmt, out_path)


def exports_output(results: list[ExportResult], as_of) -> Output:
    """One row per export: its target and how many members went, and which were left out."""
    counts = ("members", "holdout", "suppressed", "no_consent", "exported")
    grid = Grid("exports", [Column("export"), Column("target"),
                            *(Column(name, name.replace("_", " "), numeric=True)
                              for name in counts)],
                title=f"exports · as_of {as_of}")
    for r in results:
        grid.add(r.name, r.target, *((getattr(r, name), f"{getattr(r, name):,}")
                                     for name in counts))
    return Output([grid], facts={"as_of": as_of})
