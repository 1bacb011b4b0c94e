"""`segl report`: one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from .console import count, note, status
from .context import (
    as_of_flag,
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
@as_of_flag()
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
def report(file, as_of, out_path, params, database, engine, target, experiment_kpis,
        threads, memory_limit, temp_dir):
    """Write one self-contained HTML report: sizes, KPIs, overlap, personas, definitions."""
    from ..report import write_report

    with reporting():
        ctx = resolve(file, params, command="report", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        if Path(out_path).is_dir():
            raise UsageError(f"--out `{out_path}` is a folder: name the HTML file to write")
        with status("Evaluating segments, KPIs and personas…"):
            try:
                data = write_report(ctx.path, out_path, ctx.as_of, ctx.params, ctx.database,
                                    ctx.engine, ctx.engine_options, ctx.project.currency,
                                    list(experiment_kpis))
            except OSError as exc:
                raise UsageError(f"cannot write `{out_path}`: {exc.strerror or exc}") from None
        note(f"wrote {out_path} ({count(len(data.evaluation.segments), 'segment')}, "
             f"{count(len(data.evaluation.segmentations), 'segmentation')}, "
             f"as_of {data.as_of})")
