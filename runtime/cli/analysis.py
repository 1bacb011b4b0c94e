"""`segl explain`, `segl overlap`, `segl kpis`, `segl persona`: what the segments hold."""

from __future__ import annotations

import click

from ..errors import UsageError
from .console import console, show, table
from .context import (
    as_of_flag,
    compiled,
    db_option,
    engine_option,
    out_flag,
    param_option,
    resolve,
    resources_options,
    target_option,
)
from .exits import Exit, ExitCode, reporting


@click.command()
@click.argument("segment")
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@param_option
@db_option
@engine_option
@target_option
@resources_options
def explain(segment, file, as_of, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """Show how many entities pass each condition of SEGMENT."""
    from ..explain import explain as explain_segment

    with reporting():
        ctx = resolve(file, params, command="explain", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        funnel = explain_segment(ctx.path, segment, ctx.as_of, ctx.params, ctx.database,
                                 ctx.engine, ctx.engine_options)
        steps = table(("#", "right"), "condition", ("pass alone", "right"),
                      ("remaining", "right"), ("share", "right"),
                      title=f"{segment} · as_of {ctx.as_of} · {funnel.entities:,} entities")
        for index, step in enumerate(funnel.steps, 1):
            share = step.remaining / funnel.entities if funnel.entities else 0.0
            steps.add_row(str(index), step.condition, f"{step.passing:,}",
                          f"{step.remaining:,}", f"{share:.1%}")
        show(steps)


@click.command()
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@click.option("--segment", "-s", "segments", multiple=True, help="Only these segments.")
@click.option("--limit", default=20, show_default=True, help="Pairs printed, most alike first.")
@out_flag("Write every pair (segment, segment, both, either, jaccard) to a CSV file.")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def overlap(file, as_of, segments, limit, out_path, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """How much segments overlap: members in both, and the Jaccard index, for every pair."""
    from .. import api
    from ..expectations import overlaps
    from ..outputs import write_text_atomically

    with reporting():
        ctx = resolve(file, params, command="overlap", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        evaluation = api.evaluate(ctx.path, ctx.as_of, list(segments) or None, ctx.params,
                                  ctx.database, engine=ctx.engine,
                                  engine_options=ctx.engine_options)
        pairs = sorted(overlaps(evaluation), key=lambda p: (-p.jaccard, p.first, p.second))
        rows = table("segment", "segment", ("both", "right"), ("either", "right"),
                     ("jaccard", "right"),
                     title=f"overlap · as_of {evaluation.as_of} · {len(pairs):,} pairs")
        for pair in pairs[:limit]:
            rows.add_row(pair.first, pair.second, f"{pair.both:,}", f"{pair.either:,}",
                         f"{pair.jaccard:.3f}")
        show(rows)
        if out_path:
            lines = ["first,second,both,either,jaccard"] + [
                f"{p.first},{p.second},{p.both},{p.either},{p.jaccard:.6f}" for p in pairs]
            write_text_atomically(out_path, "\n".join(lines) + "\n")


@click.command()
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@click.option("--kpi", "-k", "chosen_kpis", multiple=True, help="Only these KPIs.")
@param_option
@db_option
@engine_option
@target_option
@resources_options
def kpis(file, as_of, segments, chosen_kpis, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """KPIs per segment and per segmentation bucket, with their index against everyone."""
    from segl.compiler.api import did_you_mean

    from .. import api
    from ..kpis import kpi_table

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
        # table, so a dozen KPIs still fit a terminal.
        rows = table("group", ("members", "right"), ("share", "right"),
                     *((name, "right") for name in [*shown, *shares]),
                     title=f"KPIs · as_of {evaluation.as_of} · value (index vs all = 100)")
        rows.columns[0].no_wrap = True
        for group in kpi_table(evaluation, [*shown, *shares]):
            share = group.size / evaluation.entities if evaluation.entities else 0.0
            cells = [group.name, f"{group.size:,}", f"{share:.1%}"]
            for name in shown:
                value, index = group.values[name], group.index[name]
                cell = "–" if value is None else f"{float(value):,.2f}"
                if group.kind != "all" and index is not None:
                    cell += f" ({index:.0f})"
                cells.append(cell)
            for name in shares:  # the group's part of everyone's total
                index = group.index[name]
                cells.append("–" if index is None else f"{index:.1f}%")
            rows.add_row(*cells)
        out = console()
        out.print(rows)
        for name in shown:
            if model.kpis[name].label:
                out.print(f"  {name}: {model.kpis[name].label}")


@click.command()
@click.argument("name")
@click.argument("file", required=False, type=click.Path())
@as_of_flag()
@param_option
@db_option
@engine_option
@target_option
@resources_options
def persona(name, file, as_of, params, database, engine, target,
        threads, memory_limit, temp_dir):
    """Check persona NAME against its segment and the data, and print its factsheet.

    Exits 1 when the persona's profile does not satisfy its segment."""
    from ..personas import persona_report

    with reporting():
        ctx = resolve(file, params, command="persona", as_of=as_of, database=database,
                      engine=engine, target=target,
                      limits=(threads, memory_limit, temp_dir))
        report = persona_report(ctx.path, name, ctx.as_of, ctx.params, ctx.database,
                                engine=ctx.engine, engine_options=ctx.engine_options)
        p = report.persona
        out = console()
        out.print(f"[bold]{p.label or p.name}[/bold] · persona of segment {p.segment}")
        for field_ in ("description", "occupation", "goals", "challenges", "quote",
                       "channels", "photo"):
            if field_ in p.text:
                value = p.text[field_]
                shown = ", ".join(value) if isinstance(value, tuple) else str(value)
                out.print(f"  {field_}: {shown}")
        verdict = {True: "satisfies", False: "does NOT satisfy",
                   None: "cannot be checked fully against"}[report.satisfies]
        out.print(f"The profile {verdict} `{p.segment}`:")
        for check in report.checks:
            mark = {True: "pass", False: "FAIL", None: "?"}[check.result]
            needs = f" (the profile does not give {', '.join(check.needs)})" \
                if check.needs else ""
            out.print(f"  {mark:>4}  {check.condition}{needs}")
        share = report.segment_size / report.entities if report.entities else 0.0
        out.print(f"Segment: {report.segment_size:,} members ({share:.1%} of "
                  f"{report.entities:,}).")
        out.print(f"Resembling the profile: {report.resembling:,} entities, "
                  f"{report.resembling_in_segment:,} of them in the segment "
                  "(same values; numbers within 10%).")
        profile = table("attribute", "persona", "segment members",
                        title="profile: persona vs segment members")
        for attribute, value in p.profile.items():
            profile.add_row(attribute, str(value.value),
                            report.profile_in_data.get(attribute, "(a feature)"))
        out.print(profile)
        if report.kpis is not None:
            values = table("KPI", ("value", "right"), ("index", "right"),
                           title="KPIs of the segment (index vs all = 100)")
            model = compiled(ctx.path, ctx.params).model
            for kpi_name, value in report.kpis.values.items():
                if kpi_name not in model.kpis:  # a share of a ranking expression
                    continue
                index = report.kpis.index[kpi_name]
                values.add_row(model.kpis[kpi_name].label or kpi_name,
                               "–" if value is None else f"{float(value):,.2f}",
                               "–" if index is None else f"{index:.0f}")
            out.print(values)
        if report.satisfies is False:  # like a failing test (exits.py)
            raise Exit(ExitCode.DEFINITION_ERROR)
