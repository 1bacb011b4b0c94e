"""`segl export`: run the file's exports (docs/activation.md)."""

from __future__ import annotations

from pathlib import Path

import click

from .console import show, table
from .context import (
    as_of_flag,
    db_option,
    engine_option,
    param_option,
    resolve,
    target_option,
)
from .exits import reporting


@click.command()
@click.argument("args", nargs=-1)
@as_of_flag()
@param_option
@db_option
@engine_option
@target_option
@click.option("--history", metavar="DUCKDB_FILE",
              help="The history file of `segl snapshot` a `mode changes` export compares "
                   "with (when it has the segment recorded before --as-of).")
@click.option("--history-table", metavar="NAME", help="The history table in it "
              "(default: segl_history).")
def export(args, as_of, params, database, engine, target, history, history_table):
    """Run exports: consenting members outside holdout and suppression, to each target.

    Arguments: export NAMEs (default: all), and the .seg FILE (default: segl.toml's
    entry). Files are written atomically; a `to table` target goes to the engine's database
    (DuckDB: --db; PostgreSQL: --target URL; SQLite: --target FILE; Spark: its catalog),
    created or replaced in one transaction."""
    from ..exports import run_exports

    with reporting():
        files = [a for a in args if a.endswith(".seg") or Path(a).is_file()]
        names = [a for a in args if a not in files]
        # (SQLite: --target is the database file `to table` writes to, for this command only)
        sqlite_file = target if engine == "sqlite" else None
        ctx = resolve(files[0] if files else None, params, command="export", as_of=as_of,
                      database=database, engine=engine,
                      target=None if sqlite_file else target)
        options = {**ctx.engine_options, **({"sqlite_path": sqlite_file} if sqlite_file else {})}
        results = run_exports(ctx.path, names or None, ctx.as_of, ctx.params, ctx.database,
                              ctx.engine, options, history=history,
                              history_table=history_table)
        changes = any(r.joined is not None for r in results)
        rows = table("export", "target", ("members", "right"), ("holdout", "right"),
                     ("suppressed", "right"), ("no consent", "right"), ("exported", "right"),
                     *((("joined", "right"), ("left", "right"), "since") if changes else ()),
                     title=f"exports · as_of {ctx.as_of}")
        for r in results:
            cells = [r.name, r.target, f"{r.members:,}", f"{r.holdout:,}",
                     f"{r.suppressed:,}", f"{r.no_consent:,}", f"{r.exported:,}"]
            if changes:
                cells += ["", "", ""] if r.joined is None or r.left is None else \
                    [f"{r.joined:,}", f"{r.left:,}", _since(r.baseline)]
            rows.add_row(*cells)
        show(rows)


def _since(baseline) -> str:
    """What a changes export compared with."""
    if baseline is None or baseline.as_of is None:
        return "first export"
    return f"{baseline.source} {baseline.as_of}"
