"""`segl explain`, `segl overlap`, `segl kpis`, `segl persona`: what the segments hold. Each
prints its tables with `--format table|csv|json|markdown`, to stdout or `--out PATH`
(`tables.py`)."""

from __future__ import annotations

import click

from ..errors import UsageError
from .context import (
    as_of_flag,
    db_option,
    engine_option,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import Exit, ExitCode, reporting
from .tables import Column, Grid, Output, emit, format_option, out_option


def _share(part: int, whole: int) -> tuple[float, str]:
    share = part / whole if whole else 0.0
    return share, f"{share:.1%}"


def _of(persona) -> str:
    """`segment young_urban`, or `styles is cluster_3` for a persona of a bucket."""
    return f"segment {persona.target}" if persona.bucket is None else persona.target


def _count(number: int) -> tuple[int, str]:
    return number, f"{number:,}"


@click.command()
@click.argument("segment")
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@resources_options
def explain(segment, file, as_of, fmt, out_path, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """Show how many entities pass each condition of SEGMENT."""
    from ..explain import explain as explain_segment

    with reporting():
        ctx = resolve(file, params, command="explain", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        funnel = explain_segment(ctx.path, segment, ctx.as_of, ctx.params, ctx.database,
                                 ctx.engine, ctx.engine_options)
        steps = Grid("steps", [Column("step", "#", numeric=True), Column("condition"),
                               Column("passing", "pass alone", numeric=True),
                               Column("remaining", numeric=True),
                               Column("share", numeric=True)],
                     title=f"{segment} · as_of {ctx.as_of} · {funnel.entities:,} entities",
                     keep=2)
        for index, step in enumerate(funnel.steps, 1):
            steps.add(index, step.condition, _count(step.passing), _count(step.remaining),
                      _share(step.remaining, funnel.entities))
        emit(Output([steps]), fmt, out_path)


@click.command()
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (repeatable; default: every segment).")
@click.option("--limit", default=20, show_default=True,
              help="Pairs shown by --format table and markdown, most alike first (csv and "
                   "json hold every pair).")
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@resources_options
def overlap(file, as_of, segments, limit, fmt, out_path, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """How much segments overlap: members in both, and the Jaccard index, for every pair."""
    from .. import api
    from ..expectations import overlaps

    with reporting():
        ctx = resolve(file, params, command="overlap", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        evaluation = api.evaluate(ctx.path, ctx.as_of, list(segments) or None, ctx.params,
                                  ctx.database, engine=ctx.engine,
                                  engine_options=ctx.engine_options)
        pairs = sorted(overlaps(evaluation), key=lambda p: (-p.jaccard, p.first, p.second))
        rows = Grid("pairs", [Column("first", "segment"), Column("second", "segment"),
                              Column("both", numeric=True), Column("either", numeric=True),
                              Column("jaccard", numeric=True)],
                    title=f"overlap · as_of {evaluation.as_of} · {len(pairs):,} pairs",
                    keep=2, limit=limit)
        for pair in pairs:
            rows.add(pair.first, pair.second, _count(pair.both), _count(pair.either),
                     (round(pair.jaccard, 6), f"{pair.jaccard:.3f}"))
        emit(Output([rows]), fmt, out_path)


@click.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", multiple=True, metavar="DATE|D1..D2",
              help="The date, YYYY-MM-DD or `today` (default: segl.toml's `as_of` when set, "
                   "else today); a range D1..D2 (with --every) or several --as-of: one "
                   "row per date, group and KPI (docs/time.md).")
@click.option("--every", type=click.Choice(["day", "week", "month", "quarter"]),
              help="The step through a range (default: month).")
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (or segmentations; repeatable; default: all).")
@click.option("--kpi", "-k", "chosen_kpis", multiple=True, metavar="NAME",
              help="Only these KPIs (repeatable; default: every KPI).")
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@resources_options
def kpis(file, as_of, every, segments, chosen_kpis, fmt, out_path, params, database, engine,
         target, threads, memory_limit, temp_dir):
    """KPIs per segment and per segmentation bucket, with their index against everyone.

    table and markdown show each value with its index in brackets; csv and json give the
    value and the index (`KPI_index`) as numbers, in columns of their own. Over a range of
    dates (--as-of D1..D2 --every month): one row per date, group and KPI."""
    from segl.compiler.api import did_you_mean

    from .. import api
    from ..kpi_formats import display
    from ..kpi_formats import shown as kpi_shown
    from ..kpis import kpi_table

    if len(as_of) > 1 or every or any(".." in value for value in as_of):
        from .kpi_trend import trend

        with reporting():
            ctx = resolve(file, params, command="kpis", as_of=None, database=database,
                          engine=engine, target=target,
                          limits=(threads, memory_limit, temp_dir))
            trend(ctx, list(as_of), every, list(segments), list(chosen_kpis), fmt, out_path)
        return
    as_of = as_of[0] if as_of else None
    with reporting():
        ctx = resolve(file, params, command="kpis", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        evaluation = api.evaluate(ctx.path, ctx.as_of, list(segments) or None, ctx.params,
                                  ctx.database, kpis=True, engine=ctx.engine,
                                  engine_options=ctx.engine_options)
        model = evaluation.compilation.model
        shares = evaluation.plan.shares
        if not model.kpis and not shares:
            raise UsageError(f"{ctx.path} declares no `kpi` (and no segment ranks by a number)")
        unknown = [k for k in chosen_kpis if k not in model.kpis]
        if unknown:
            hint = did_you_mean(unknown[0], model.kpis)
            raise UsageError(f"unknown KPI `{unknown[0]}`" + (f"; {hint}" if hint else ""))
        shown = list(chosen_kpis) or list(model.kpis)
        if chosen_kpis:
            shares = ()
        # Columns are headed by the KPIs' names, which are short; their labels follow the
        # table, so a dozen KPIs still fit a terminal (and a wider table folds).
        columns = [Column("group"), Column("kind", shown=False), Column("label", shown=False),
                   Column("members", numeric=True), Column("share", numeric=True)]
        for name in shown:
            columns += [Column(name, numeric=True),
                        Column(f"{name}_index", numeric=True, shown=False)]
        columns += [Column(name, numeric=True) for name in shares]  # "share of spend_total"
        rows = Grid("groups", columns, title=f"KPIs · as_of {evaluation.as_of} · value "
                                             "(index vs all = 100)",
                    notes=[f"  {name}: {model.kpis[name].label}" for name in shown
                           if model.kpis[name].label])
        for group in kpi_table(evaluation, [*shown, *shares]):
            cells: list[object] = [group.name, group.kind, group.label, _count(group.size),
                                   _share(group.size, evaluation.entities)]
            for name in shown:
                value, index = group.values[name], group.index[name]
                cell = kpi_shown(value, display(model.kpis[name], ctx.project.currency))
                if group.kind != "all" and index is not None:
                    cell += f" ({index:.0f})"
                cells += [(value, cell), (index, "")]
            for name in shares:  # the group's part of everyone's total
                index = group.index[name]
                cells.append((index, "–" if index is None else f"{index:.1f}%"))
            rows.add(*cells)
        emit(Output([rows]), fmt, out_path)


@click.command()
@click.argument("name")
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@format_option
@out_option
@param_option
@db_option
@engine_option
@target_option
@resources_options
def persona(name, file, as_of, fmt, out_path, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """Check persona NAME against its segment and the data, and print its factsheet.

    csv writes the profile table (attribute, persona, segment members); json everything.
    Exits 1 when the persona's profile does not satisfy its segment."""
    from ..personas import persona_report

    with reporting():
        ctx = resolve(file, params, command="persona", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        report = persona_report(ctx.path, name, ctx.as_of, ctx.params, ctx.database,
                                engine=ctx.engine, engine_options=ctx.engine_options)
        emit(persona_output(report, ctx), fmt, out_path, )
        if report.satisfies is False:  # like a failing test (exits.py)
            raise Exit(ExitCode.DEFINITION_ERROR)


def persona_output(report, ctx) -> Output:
    from ..kpi_formats import display
    from ..kpi_formats import shown as kpi_shown
    from .context import compiled

    p = report.persona
    lines = [f"{p.label or p.name} · persona of {_of(p)}"]
    texts = {}
    for field_ in ("description", "occupation", "goals", "challenges", "quote", "channels",
                   "photo"):
        if field_ in p.text:
            value = p.text[field_]
            texts[field_] = list(value) if isinstance(value, tuple) else str(value)
            lines.append(f"  {field_}: {', '.join(value) if isinstance(value, tuple) else value}")
    verdict = {True: "satisfies", False: "does NOT satisfy",
               None: "cannot be checked fully against"}[report.satisfies]
    lines.append(f"The profile {verdict} `{p.target}`:")
    checks = Grid("checks", [Column("result"), Column("condition"), Column("needs")],
                  displayed=False)
    for check in report.checks:
        mark = {True: "pass", False: "FAIL", None: "?"}[check.result]
        needs = f" (the profile does not give {', '.join(check.needs)})" if check.needs else ""
        lines.append(f"  {mark:>4}  {check.condition}{needs}")
        checks.add((check.result, mark), check.condition, ", ".join(check.needs))
    share = report.segment_size / report.entities if report.entities else 0.0
    lines.append(f"Segment: {report.segment_size:,} members ({share:.1%} of "
                 f"{report.entities:,}).")
    lines.append(f"Resembling the profile: {report.resembling:,} entities, "
                 f"{report.resembling_in_segment:,} of them in the segment "
                 "(same values; numbers within 10%).")
    profile = Grid("profile", [Column("attribute"), Column("persona"),
                               Column("segment_members", "segment members")],
                   title="profile: persona vs segment members")
    for attribute, value in p.profile.items():
        profile.add(attribute, (value.value, str(value.value)),
                    report.profile_in_data.get(attribute, "(a feature)"))
    grids = [checks, profile]
    if report.kpis is not None:
        values = Grid("kpis", [Column("kpi", shown=False), Column("label", "KPI"),
                               Column("value", numeric=True), Column("index", numeric=True)],
                      title="KPIs of the segment (index vs all = 100)")
        model = compiled(ctx.path, ctx.params).model
        for kpi_name, value in report.kpis.values.items():
            if kpi_name not in model.kpis:  # a share of a ranking expression
                continue
            index = report.kpis.index[kpi_name]
            values.add(kpi_name, model.kpis[kpi_name].label or kpi_name,
                       (value, kpi_shown(value, display(model.kpis[kpi_name],
                                                        ctx.project.currency))),
                       (index, "–" if index is None else f"{index:.0f}"))
        grids.append(values)
    facts = {"persona": p.name, "label": p.label, "segment": p.target, **texts,
             "satisfies": report.satisfies, "segment_size": report.segment_size,
             "entities": report.entities, "resembling": report.resembling,
             "resembling_in_segment": report.resembling_in_segment}
    return Output(grids, lines, facts, primary=1)
