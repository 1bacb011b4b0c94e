"""`segl snapshot`, `segl history`, `segl transitions`: segments over time (docs/time.md)."""

from __future__ import annotations

import click

from .console import count, note, status
from .context import (
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

EVERY = ("day", "week", "month", "quarter")
TABLE_HELP = "The history table in the file (its recorded dates: <table>_dates)."


@click.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", multiple=True, metavar="DATE|D1..D2",
              help="A date to record, YYYY-MM-DD or `today` (repeatable), or a range D1..D2 "
                   "stepped by --every (default: segl.toml's `as_of` when set, else today).")
@click.option("--every", type=click.Choice(EVERY),
              help="The step through a range (default: month). A range starting on a "
                   "month's last day keeps to month ends.")
@click.option("--into", "into", metavar="TARGET",
              help="Where the history table is: a DuckDB file (created when missing), a "
                   "postgresql:// URL, sqlite:PATH or spark:[DATABASE] (default: segl.toml's "
                   "`history`; docs/time.md).")
@click.option("--table", "table", default="segl_history", show_default=True, help=TABLE_HELP)
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (or segmentations; repeatable; default: all).")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def snapshot(file, as_of, every, into, table, segments, params, database, engine, target,
             threads, memory_limit, temp_dir):
    """Record who is in which segment and bucket at each date into a history table."""
    from .. import api
    from ..errors import UsageError
    from ..snapshot import snapshot as record
    from ..timeline import Every, dates

    with reporting():
        ctx = resolve(file, params, command="snapshot", as_of=None, database=database,
                      engine=engine, target=target, limits=(threads, memory_limit, temp_dir))
        days = dates(list(as_of) or [ctx.as_of], Every(every) if every else None, api.today())
        into = into or ctx.project.history
        if not into:
            raise UsageError("say where to record: --into TARGET (a DuckDB file, "
                             "postgresql:// URL, sqlite:PATH or spark:[DATABASE]), or "
                             "`history` in segl.toml")
        with status("Compiling and reading sources…") as progress:
            result = record(ctx.path, days, into, table, list(segments), ctx.params,
                            ctx.database, ctx.engine, ctx.engine_options, progress.update)
        note(f"recorded {count(len(result.objects), 'object')} (segments, segmentations) at "
             f"{count(len(result.dates), 'date')} ({result.dates[0]} … {result.dates[-1]}) "
             f"into {result.into}:{result.table} ({result.rows:,} intervals, "
             f"{result.recorded:,} object dates)")


def _date_option(name: str, help_text: str):
    return click.option(name, name.lstrip("-").replace("-", "_") + "_date", metavar="DATE",
                        help=help_text)


def _history_options(function):
    function = click.option("--table", "table", default="segl_history", show_default=True,
                            help=TABLE_HELP)(function)
    return click.option("--history", "history_file", metavar="TARGET",
                        help="Read the dates recorded by `segl snapshot --into` there (a "
                             "DuckDB file, postgresql:// URL, sqlite:PATH or spark:[DATABASE]) "
                             "instead of evaluating them (default: evaluate).")(function)



def _source(from_date, to_date, every, history_file, table, project_as_of,
            project_history=None):
    """The dates to evaluate, or the recorded history to read (`--history`, or segl.toml's
    `history` when no dates are given)."""
    from .. import api
    from ..changes import Source
    from ..errors import UsageError
    from ..timeline import Every, dates, parse_date

    today = api.today()
    if not history_file and not from_date and not every:
        history_file = project_history
    if history_file:
        if every:
            raise UsageError("--every steps through dates to evaluate; --history reads the "
                             "dates it holds")
        first = parse_date(from_date, today) if from_date else None
        last = parse_date(to_date, today) if to_date else None
        return Source(into=history_file, table=table, first=first, last=last)
    if not from_date:
        raise UsageError("give the dates: --from D1 --to D2 [--every month] (or read a "
                         "recorded history with --history FILE)")
    to_date = to_date or project_as_of
    return Source(days=dates([f"{from_date}..{to_date}"], Every(every) if every else None,
                             today))


@click.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (or segmentations; repeatable; default: all).")
@_date_option("--from", "The first date (D1), YYYY-MM-DD or `today` (no default: needed "
                        "unless --history, which reads from its first recorded date).")
@_date_option("--to", "The last date (D2), YYYY-MM-DD or `today` (default: segl.toml's "
                      "`as_of` when set, else today).")
@click.option("--every", type=click.Choice(EVERY),
              help="The step from --from to --to (default: month).")
@click.option("--keys", is_flag=True, help="Also list who entered and left (needs the "
                                           "segments' allow for personal keys).")
@format_option
@out_option
@_history_options
@param_option
@db_option
@engine_option
@target_option
@resources_options
def history(file, segments, from_date, to_date, every, keys, fmt, out_path, history_file,
            table, params, database, engine, target, threads, memory_limit, temp_dir):
    """Size per date of each segment and bucket, who entered and who left since the date before."""
    from ..changes import history as compute
    from .tables import output_format
    from .time_output import render_history

    with reporting():
        fmt = output_format(fmt, out_path)  # (a bad --out fails before the work)
        ctx = resolve(file, params, command="history", as_of=None, database=database,
                      engine=engine, target=target, limits=(threads, memory_limit, temp_dir))
        source = _source(from_date, to_date, every, history_file, table, ctx.as_of,
                         ctx.project.history)
        with status("Compiling and reading sources…") as progress:
            found = compute(ctx.path, source, list(segments), keys, ctx.params, ctx.database,
                            ctx.engine, ctx.engine_options, progress.update)
        render_history(found, fmt, out_path, keys)


@click.command()
@click.argument("arguments", nargs=-1, metavar="[FILE] SEGMENTATION")
@_date_option("--from", "The first date (D1), YYYY-MM-DD or `today` (no default: needed).")
@_date_option("--to", "The second date (D2), YYYY-MM-DD or `today` (default: segl.toml's "
                      "`as_of` when set, else today).")
@format_option
@out_option
@_history_options
@param_option
@db_option
@engine_option
@target_option
@resources_options
def transitions(arguments, from_date, to_date, fmt, out_path, history_file, table,
                params, database, engine, target, threads, memory_limit, temp_dir):
    """Moves between the buckets of SEGMENTATION from one date to another: counts, row shares."""
    from .. import api
    from ..changes import Source
    from ..changes import transitions as compute
    from ..errors import UsageError
    from ..timeline import parse_date
    from .tables import output_format
    from .time_output import render_transitions

    with reporting():
        if len(arguments) not in (1, 2):
            raise UsageError("name the segmentation: segl transitions [FILE] SEGMENTATION "
                             "--from D1 --to D2")
        *file, segmentation = arguments
        fmt = output_format(fmt, out_path)
        ctx = resolve(file[0] if file else None, params, command="transitions", as_of=None,
                      database=database, engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        if not from_date:
            raise UsageError("give the two dates: --from D1 --to D2")
        today = api.today()
        first, last = (parse_date(from_date, today),
                       parse_date(to_date or ctx.as_of, today))
        if last <= first:
            raise UsageError(f"--to ({last}) must come after --from ({first})")
        source = (Source(into=history_file, table=table, first=first, last=last)
                  if history_file else Source(days=[first, last]))
        with status("Compiling and reading sources…") as progress:
            found = compute(ctx.path, segmentation, source, ctx.params, ctx.database,
                            ctx.engine, ctx.engine_options, progress.update)
        render_transitions(found, fmt, out_path)
