"""`segl snapshot`, `segl history`, `segl transitions`: segments over time (docs/time.md)."""

from __future__ import annotations

import click

from .console import count, note, status
from .context import (
    db_option,
    engine_option,
    param_option,
    resolve,
    target_option,
)
from .exits import reporting

EVERY = ("day", "week", "month", "quarter")
TABLE_HELP = "The history table in the file (default: segl_history; its dates: <table>_dates)."


@click.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", multiple=True, metavar="DATE|D1..D2",
              help="A date to record (repeatable), or a range D1..D2 stepped by --every "
                   "(default: segl.toml's `as_of` when set, else today).")
@click.option("--every", type=click.Choice(EVERY),
              help="The step through a range (default: month). A range starting on a "
                   "month's last day keeps to month ends.")
@click.option("--into", "into", required=True, type=click.Path(), metavar="DUCKDB_FILE",
              help="The DuckDB file holding the history table (created when missing).")
@click.option("--table", "table", default="segl_history", show_default=True, help=TABLE_HELP)
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@param_option
@db_option
@engine_option
@target_option
def snapshot(file, as_of, every, into, table, segments, params, database, engine, target):
    """Record who is in which segment and bucket at each date into a history table."""
    from .. import api
    from ..snapshot import snapshot as record
    from ..timeline import Every, dates

    with reporting():
        ctx = resolve(file, params, command="snapshot", as_of=None, database=database,
                      engine=engine, target=target)
        days = dates(list(as_of) or [ctx.as_of], Every(every) if every else None, api.today())
        with status("Compiling and reading sources…") as progress:
            result = record(ctx.path, days, into, table, list(segments), ctx.params,
                            ctx.database, ctx.engine, ctx.engine_options, progress.update)
        note(f"recorded {count(len(result.objects), 'object')} (segments, segmentations) at "
             f"{count(len(result.dates), 'date')} ({result.dates[0]} … {result.dates[-1]}) "
             f"into {result.into}:{result.table} ({result.rows:,} intervals, "
             f"{result.recorded:,} object dates)")
