"""`segl experiment`: the readout of an experiment (docs/experiments.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .console import note, show, table
from .context import (
    as_of_flag,
    db_option,
    engine_option,
    out_flag,
    param_option,
    resolve,
    target_option,
)
from .exits import Exit, ExitCode, reporting


@click.command()
@click.argument("first")
@click.argument("second", required=False)
@click.option("--kpi", "kpis", multiple=True, metavar="K",
              help="A feature (a number: a mean; true/false: a rate) or a segment (a rate); "
                   "repeatable.")
@as_of_flag()
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]),
              default=None, help="Output format (default: table, or from --out's extension).")
@out_flag("Write the readout to this file (csv, json or markdown).")
@param_option
@db_option
@engine_option
@target_option
def experiment(first, second, kpis, as_of, fmt, out_path, params, database, engine, target):
    """Read out experiment NAME: per arm its size and KPIs against control.

    For each arm: the difference with control, its 95% confidence interval, the p-value
    (two-proportion z-test for rates, Welch's t-test for means) and the minimum detectable
    effect; a sample-ratio mismatch is flagged (exit 1). Arguments: NAME [FILE], or
    FILE NAME."""
    from ..experiment_report import as_csv, as_json, as_markdown, ratio_line, rows, shown
    from ..experiments import readout
    from ..outputs import write_text_atomically

    with reporting():
        name, file = _name_and_file(first, second)
        ctx = resolve(file, params, command="experiment", as_of=as_of, database=database,
                      engine=engine, target=target)
        result = readout(ctx.path, name, list(dict.fromkeys(kpis)), ctx.as_of, ctx.params,
                         ctx.database, ctx.engine, ctx.engine_options)
        fmt = fmt or _format_of(out_path)
        writers = {"csv": as_csv, "json": as_json, "markdown": as_markdown}
        if fmt in writers:
            text = writers[fmt](result)
            if out_path:
                write_text_atomically(out_path, text)
                note(f"wrote {out_path}")
            else:
                sys.stdout.write(text)
        else:
            arms = table("arm", ("share", "right"), ("size", "right"),
                         title=f"{name} on {result.experiment.segment} · as_of {result.as_of}")
            for arm in result.arms:
                arms.add_row(arm.name, f"{arm.share:.2%}", f"{arm.size:,}")
            kpi_table = table("KPI", "arm", ("n", "right"), ("value", "right"),
                              ("difference", "right"), ("95% CI", "right"),
                              ("p-value", "right"), ("MDE", "right"), "test")
            for row in rows(result):
                interval = "" if row["ci_low"] is None else \
                    f"[{shown(row['ci_low'])}, {shown(row['ci_high'])}]"
                kpi_table.add_row(f"{row['kpi']} ({row['kind']})", str(row["arm"]),
                                  f"{row['n']:,}", shown(row["value"]),
                                  shown(row["difference"]) if row["test"] else "", interval,
                                  shown(row["p_value"], "p") if row["test"] else "",
                                  shown(row["mde"]) if row["test"] else "",
                                  str(row["test"] or "control"))
            show(arms, ratio_line(result), kpi_table)
        if result.ratio.mismatch:
            raise Exit(ExitCode.DEFINITION_ERROR)  # a check that failed


def _name_and_file(first: str, second: str | None) -> tuple[str, str | None]:
    """NAME [FILE], or FILE NAME (a first argument naming a .seg file)."""
    if second is None:
        return first, None
    if first.endswith(".seg") or (Path(first).is_file() and not second.endswith(".seg")):
        return second, first
    return first, second


def _format_of(out_path: str | None) -> str:
    if not out_path:
        return "table"
    suffix = Path(out_path).suffix.lower()
    return {".csv": "csv", ".json": "json", ".md": "markdown"}.get(suffix, "csv")
