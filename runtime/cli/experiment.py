"""`segl experiment`: the readout of an experiment (docs/experiments.md)."""

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
from .exits import Exit, ExitCode, reporting
from .tables import Column, Grid, Output

if TYPE_CHECKING:
    from ..experiments import Readout


@click.command()
@click.argument("first")
@click.argument("second", required=False)
@click.option("--kpi", "kpis", multiple=True, metavar="K",
              help="A feature (a number: a mean; true/false: a rate) or a segment (a rate); "
                   "repeatable (no default: name at least one).")
@as_of_flag()
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@resources_options
def experiment(first, second, kpis, as_of, fmt, out_path, params, database, engine, target,
               threads, memory_limit, temp_dir):
    """Read out experiment NAME: per arm its size and KPIs against control.

    For each arm: the difference with control, its 95% confidence interval, the p-value
    (two-proportion z-test for rates, Welch's t-test for means) and the minimum detectable
    effect; a sample-ratio mismatch is flagged (exit 1). Arguments: NAME [FILE], or
    FILE NAME."""
    from ..experiments import readout
    from .tables import emit, output_format

    with reporting():
        name, file = _name_and_file(first, second)
        fmt = output_format(fmt, out_path)
        ctx = resolve(file, params, command="experiment", as_of=as_of, database=database,
                      engine=engine, target=target, limits=(threads, memory_limit, temp_dir))
        result = readout(ctx.path, name, list(dict.fromkeys(kpis)), ctx.as_of, ctx.params,
                         ctx.database, ctx.engine, ctx.engine_options)
        emit(readout_output(result), fmt, out_path)
        if result.ratio.mismatch:
            raise Exit(ExitCode.DEFINITION_ERROR)  # a check that failed


def _name_and_file(first: str, second: str | None) -> tuple[str, str | None]:
    """NAME [FILE], or FILE NAME (a first argument naming a .seg file)."""
    if second is None:
        return first, None
    if first.endswith(".seg") or (Path(first).is_file() and not second.endswith(".seg")):
        return second, first
    return first, second


def readout_output(result: Readout) -> Output:
    """The readout as two grids: the arms (with the sample-ratio verdict after them) and the
    KPIs per arm; JSON is `segl-experiment/1`, CSV the KPI rows."""
    from ..experiment_report import arm_rows, ratio_line, rows, shown

    experiment = result.experiment
    arms = Grid("arms", [Column("arm"), Column("share", numeric=True),
                         Column("size", numeric=True), Column("expected", shown=False),
                         Column("observed_share", shown=False)],
                title=f"{experiment.name} on {experiment.segment} · as_of {result.as_of}",
                notes=[ratio_line(result)])
    for arm in arm_rows(result):
        arms.add(arm["arm"], (arm["share"], f"{arm['share']:.2%}"),
                 (arm["size"], f"{arm['size']:,}"), arm["expected"], arm["observed_share"])
    table = Grid("kpis", [
        Column("label", "KPI", data=False), Column("kpi", shown=False),
        Column("kind", shown=False), Column("arm"), Column("n", numeric=True),
        Column("missing", shown=False), Column("value", numeric=True),
        Column("difference", numeric=True), Column("ci_low", shown=False),
        Column("ci_high", shown=False), Column("interval", "95% CI", numeric=True, data=False),
        Column("p_value", "p-value", numeric=True), Column("test", shown=False),
        Column("mde", "MDE", numeric=True), Column("shown_test", "test", data=False)], keep=2)
    for row in rows(result):
        tested = bool(row["test"])
        interval = "" if row["ci_low"] is None else \
            f"[{shown(row['ci_low'])}, {shown(row['ci_high'])}]"
        table.add(f"{row['kpi']} ({row['kind']})", row["kpi"], row["kind"], str(row["arm"]),
                  (row["n"], f"{row['n']:,}"), row["missing"],
                  (row["value"], shown(row["value"])),
                  (row["difference"], shown(row["difference"]) if tested else ""),
                  row["ci_low"], row["ci_high"], (None, interval),
                  (row["p_value"], shown(row["p_value"], "p") if tested else ""),
                  row["test"], (row["mde"], shown(row["mde"]) if tested else ""),
                  str(row["test"] or "control"))
    return Output([arms, table], facts={
        "format": "segl-experiment/1", "experiment": experiment.name,
        "segment": experiment.segment, "salt": experiment.salt, "as_of": result.as_of,
        "control": result.control,
        "sample_ratio": {"chi_square": result.ratio.chi_square,
                         "p_value": result.ratio.p_value, "mismatch": result.ratio.mismatch}},
                  primary=1)
