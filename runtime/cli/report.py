"""`segl report`: one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from .console import count, note, status
from .context import (
    db_option,
    engine_option,
    out_flag,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import reporting


@click.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", multiple=True, metavar="DATE|D1..D2",
              help="The date, YYYY-MM-DD or `today` (default: segl.toml's `as_of` when set, "
                   "else today); a range "
                   "D1..D2 (with --every) or several --as-of add an \"Over time\" section, "
                   "the rest of the report as of the last date (docs/time.md).")
@click.option("--every", type=click.Choice(["day", "week", "month", "quarter"]),
              help="The step through a range (default: month).")
@click.option("--history", "history_target", metavar="TARGET",
              help="The \"Over time\" section from the dates recorded there by `segl "
                   "snapshot --into` (up to the report's date; default: segl.toml's `history` "
                   "once recorded, else none).")
@click.option("--table", "table", default="segl_history", show_default=True,
              help="With --history: the history table.")
@click.option("--kpi", "-k", "chosen_kpis", multiple=True,
              metavar="NAME",
              help="The KPIs the \"Over time\" section follows (repeatable; default: all).")
@out_flag("The HTML file to write (atomically).", default="report.html", show_default=True)
@param_option
@db_option
@engine_option
@target_option
@click.option("--experiment-kpi", "experiment_kpis", multiple=True,
              metavar="[EXPERIMENT:]KPI",
              help="A feature or segment read out per arm of the experiment (of every "
                   "experiment without a name); repeatable; default: the KPIs each "
                   "experiment declares.")
@resources_options
def report(file, as_of, every, history_target, table, chosen_kpis, out_path, params, database,
           engine, target, experiment_kpis, threads, memory_limit, temp_dir):
    """Write one self-contained HTML report: sizes, KPIs, overlap, personas, definitions.

    Over a range of dates (or a recorded history), how sizes and KPIs changed."""
    from .. import api
    from ..changes import Source
    from ..report import write_report
    from ..timeline import Every, dates

    with reporting():
        ranged = len(as_of) > 1 or every or any(".." in value for value in as_of)
        days = dates(list(as_of), Every(every) if every else None, api.today()) \
            if ranged else []
        ctx = resolve(file, params, command="report",
                      as_of=days[-1].isoformat() if days else (as_of[0] if as_of else None),
                      database=database, engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        over_time = None
        if history_target:
            if ranged:
                raise UsageError("--history reads the recorded dates: give one --as-of "
                                 "(the report's date), not a range")
            over_time = Source(into=history_target, table=table,
                               last=api.resolve_as_of(ctx.as_of))
        elif days:
            over_time = Source(days=days)
        elif _recorded(ctx.project.history):  # segl.toml's `history`, once recorded
            over_time = Source(into=ctx.project.history, table=table,
                               last=api.resolve_as_of(ctx.as_of))
        if Path(out_path).is_dir():
            raise UsageError(f"--out `{out_path}` is a folder: name the HTML file to write")
        with status("Evaluating segments, KPIs and personas…"):
            try:
                data = write_report(ctx.path, out_path, ctx.as_of, ctx.params, ctx.database,
                                    ctx.engine, ctx.engine_options, ctx.project.currency,
                                    over_time, list(chosen_kpis) or None,
                                    list(experiment_kpis))
            except OSError as exc:
                raise UsageError(f"cannot write `{out_path}`: {exc.strerror or exc}") from None
        note(f"wrote {out_path} ({count(len(data.evaluation.segments), 'segment')}, "
             f"{count(len(data.evaluation.segmentations), 'segmentation')}, "
             f"as_of {data.as_of})")


def _recorded(history: str | None) -> bool:
    """segl.toml names a history, and it is there (a DuckDB file not yet written is not)."""
    from ..history_targets import TargetKind, parse_target

    if not history:
        return False
    target = parse_target(history)
    return target.kind is not TargetKind.DUCKDB or Path(target.location).is_file()
