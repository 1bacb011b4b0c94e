"""`segl kpis --as-of D1..D2 --every month`: a KPI trend table, one row per date, group and
KPI (docs/time.md), with `--format table|csv|json|markdown` and `--out` as every table."""

from __future__ import annotations

from ..errors import UsageError
from .context import Context
from .tables import Column, Grid, Output, emit


def trend(ctx: Context, as_of: list[str], every: str | None, segments: list[str],
          chosen: list[str], fmt: str | None, out_path: str | None) -> None:
    from segl.compiler.api import compile_file, did_you_mean

    from .. import api
    from ..kpi_formats import shown as kpi_shown
    from ..kpi_trend import kpi_trend
    from ..timeline import Every, dates
    from .console import status

    days = dates(as_of or [ctx.as_of], Every(every) if every else None, api.today())
    model = compile_file(ctx.path, ctx.params).require_ok()
    if not model.kpis:
        raise UsageError(f"{ctx.path} declares no `kpi`")
    unknown = [k for k in chosen if k not in model.kpis]
    if unknown:
        hint = did_you_mean(unknown[0], model.kpis)
        raise UsageError(f"unknown KPI `{unknown[0]}`" + (f"; {hint}" if hint else ""))
    with status("Compiling and reading sources…") as progress:
        points = kpi_trend(ctx.path, days, segments or None, chosen or list(model.kpis),
                           ctx.params, ctx.database, ctx.engine, ctx.engine_options,
                           progress.update)
    columns = [Column("as_of"), Column("group"), Column("kind", shown=False),
               Column("label", shown=False), Column("members", numeric=True),
               Column("share", numeric=True), Column("kpi"), Column("value", numeric=True),
               Column("index", numeric=True, shown=False)]
    grid = Grid("kpis", columns, title=f"KPIs over time · {days[0]} … {days[-1]} · "
                                       f"{len(days):,} dates · value (index vs all = 100)",
                keep=2)
    for point in points:
        share = point.members / point.entities if point.entities else None
        cell = kpi_shown(point.value, model.kpis[point.kpi].format)
        if point.kind != "all" and point.index is not None:
            cell += f" ({point.index:.0f})"
        grid.add(point.as_of, point.group, point.kind, point.label,
                 (point.members, f"{point.members:,}"),
                 (share, "–" if share is None else f"{share:.1%}"), point.kpi,
                 (point.value, cell), (point.index, ""))
    emit(Output([grid], facts={"dates": [d.isoformat() for d in days]}), fmt, out_path)
