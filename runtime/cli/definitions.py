"""`segl check`, `segl compile`, `segl ls`: the definitions, and whether the data fits them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import DataError, UsageError
from .console import count, print_diagnostics, show
from .context import (
    as_of_flag,
    as_of_option,
    check_dialect,
    compiled,
    db_option,
    engine_option,
    engine_options,
    entry_files,
    evaluation_date,
    format_option,
    out_flag,
    out_option,
    param_option,
    parse_params,
    resources_options,
    single_file,
    target_option,
    use_resources,
)
from .exits import Exit, ExitCode, fail, reporting

if TYPE_CHECKING:
    from segl.compiler.api import Expr


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@param_option
@db_option
@click.option("--no-data", is_flag=True, help="Check definitions only; do not read the data.")
@click.option("--data", "evaluate_data", is_flag=True,
              help="Also evaluate the segments and check their `expect` clauses.")
@as_of_flag("Evaluation date for --data (default: segl.toml's `as_of` when set, else "
            "today).")
@engine_option
@target_option
@resources_options
@click.option("--explain", "code_to_explain", metavar="CODE",
              help="Print what a diagnostic code means, with an example (docs/diagnostics.md).")
def check(files, params, database, no_data, evaluate_data, as_of, engine, target, threads,
          memory_limit, temp_dir, code_to_explain):
    """Check definitions (and that the data matches them)."""
    from segl.compiler.api import Code, compile_file

    with reporting():
        if code_to_explain is not None:
            sys.stdout.write(explained(code_to_explain))
            return
        options = engine_options(engine, target)
        chosen, project = entry_files(files)
        use_resources(project, (threads, memory_limit, temp_dir), engine)
        values = parse_params(params, project)
        failed, usage_only, data_failed = False, True, False
        for file in chosen:
            if no_data:
                compilation = compile_file(file, values)
            else:
                from .. import api  # (DuckDB reads the data's schemas)

                try:
                    compilation, connection = api.load(file, values,
                                                       database or project.database)
                except DataError as exc:  # every definition error, then the data error
                    print_diagnostics(exc.diagnostics)
                    for problem in exc.problems:
                        sys.stderr.write(f"data error: {problem}\n")
                    data_failed = True
                    continue
            print_diagnostics(compilation.diagnostics)
            if not compilation.ok:
                failed = True
                usage_only = usage_only and all(d.code == Code.E401 for d in compilation.errors)
                continue
            if not no_data:
                api.check_data(compilation, connection)
            model = compilation.model
            parts = [count(len(model.segments), "segment")]
            if model.segmentations:
                parts.append(count(len(model.segmentations), "segmentation"))
            parts += [count(len(model.features), "feature"),
                      count(len(model.events) + len(model.lookups) + 1, "source")]
            # (plain text: a path is not Rich markup, and Rich need not be imported)
            sys.stdout.write(f"{file}: ok ({', '.join(parts)})\n")
            if evaluate_data and not no_data and \
                    not _expectations(file, as_of, project, values, database, engine, options):
                failed, usage_only = True, False
        if data_failed:
            raise Exit(ExitCode.USAGE_OR_DATA_ERROR)
        if failed:
            raise fail(usage_only)


def explained(text: str) -> str:
    """`segl check --explain CODE`: the code's declaration, or a usage error."""
    from segl.compiler.api import Code, did_you_mean, explain_code

    explanation = explain_code(text)
    if explanation is None:
        hint = did_you_mean(text.strip().upper(), Code)
        raise UsageError(f"unknown code `{text}`" + (f"; {hint}" if hint else
                                                     "; see docs/diagnostics.md"))
    return explanation


def _expectations(file, as_of, project, values, database, engine, options) -> bool:
    """Evaluate (on `engine`) and print every `expect` clause; whether all hold."""
    from .. import api
    from ..expectations import check_expectations

    when = evaluation_date(as_of, project, "check --data")
    evaluation = api.evaluate(file, when, None, values, database or project.database,
                              engine=engine, engine_options=options)
    outcomes = check_expectations(evaluation)
    for outcome in outcomes:
        stream = sys.stdout if outcome.passed else sys.stderr
        stream.write(("ok: " if outcome.passed else "expectation failed: ")
                     + outcome.message() + "\n")
    failing = [o for o in outcomes if not o.passed]
    show(f"{file}: {len(outcomes) - len(failing)} of {len(outcomes)} "
         f"expectations hold at as_of {evaluation.as_of}")
    return not failing


@click.command(name="compile")
@click.argument("file", required=False, type=click.Path())
@click.option("--dialect", "-d", help="Target SQL dialect (any sqlglot dialect).")
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@as_of_flag("Compile as_of as a date literal, the engine's current date (`today`), or a "
            "named query parameter `as_of` (default: segl.toml's `as_of` when set, else "
            "today); a range D1..D2 (with --every) or a list D1,D2,… compiles the query of "
            "many dates in one pass.", metavar="DATE|today|param|D1..D2|D1,D2,…")
@click.option("--every", type=click.Choice(["day", "week", "month", "quarter"]),
              help="The step through an --as-of range (default: month).")
@click.option("--show", type=click.Choice(["sql", "plan"]), default="sql",
              help="The SQL, or the plan every backend translates (for the given --as-of).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="With --show plan: a readable listing or JSON.")
@click.option("--kpis", "with_kpis", is_flag=True,
              help="The KPI query instead: every KPI and its index per segment and bucket.")
@out_flag("Write the SQL to this file.")
@param_option
def compile_command(file, dialect, segments, as_of, every, show, fmt, with_kpis, out_path,
                    params):
    """Compile segments (or, with --kpis, their KPIs) to SQL for a warehouse dialect."""
    from segl.compiler.api import (
        AsOf,
        describe_plan,
        kpi_sql_for_plan,
        plan_for,
        select_segments,
        sql_for_plan,
    )

    from ..outputs import write_text_atomically

    with reporting():
        path, project = single_file(file)
        compilation = compiled(path, parse_params(params, project))
        model = compilation.model
        if with_kpis and not model.kpis:
            raise UsageError(f"{path} declares no `kpi`")
        plan = plan_for(model, select_segments(model, list(segments)),
                        list(model.kpis) if with_kpis else None, shares=with_kpis)
        if fmt == "json" and show != "plan":
            raise UsageError("--format json needs --show plan")
        from datetime import date

        from .run_dates import many_dates

        # (not api.today(): `segl compile` imports no engine, test_import_budget.py)
        days = many_dates((as_of,) if as_of else (), every, date.today())
        if days and with_kpis:
            raise UsageError("--kpis compiles one date: KPIs over many dates are not built yet")
        when = AsOf.many(days) if days else AsOf.parse(as_of_option(as_of, project))
        if show == "plan":
            text = describe_plan(plan, when, fmt)
        else:
            generate = kpi_sql_for_plan if with_kpis else sql_for_plan
            text = generate(plan, compilation, check_dialect(dialect or project.dialect), when,
                            file_paths="relative")
        if out_path:
            write_text_atomically(out_path, text)
        else:
            sys.stdout.write(text)


@click.command(name="ls")
@click.argument("file", required=False, type=click.Path())
@format_option
@out_option
@param_option
def list_objects(file, fmt, out_path, params):
    """List sources, features and segments with their labels and dependencies."""
    from .tables import Column, Grid, Output, emit

    with reporting():
        path, project = single_file(file)
        model = compiled(path, parse_params(params, project)).model
        rows = Grid("objects", [Column("name"), Column("kind"), Column("label"),
                                Column("depends_on", "depends on")])
        for source in model.tables:
            where = ", ".join(f"{loc.kind} {loc.target}" for loc in source.locations)
            rows.add(source.name, source.kind, "", where)
        for name, param in model.params.items():
            rows.add(name, "param", "", str(param.value.value))
        for name, feature in model.features.items():
            rows.add(name, f"feature ({feature.type.value})", feature.label or "",
                     ", ".join(dependencies(feature.expr)))
        for name, segment in model.segments.items():
            rows.add(name, "segment", segment.label or "",
                     ", ".join(dependencies(segment.predicate)))
        for name, segmentation in model.segmentations.items():
            uses = [d for b in segmentation.buckets if b.condition
                    for d in dependencies(b.condition)]
            rows.add(name, f"segmentation ({len(segmentation.buckets)} buckets)",
                     segmentation.label or "", ", ".join(dict.fromkeys(uses)))
        for name, kpi in model.kpis.items():
            rows.add(name, "kpi", kpi.label or "", ", ".join(dependencies(kpi.expr)))
        for name, persona in model.personas.items():
            rows.add(name, "persona", persona.label or "", persona.segment)
        for name, test in model.tests.items():
            rows.add(name, "test", "", ", ".join(e.target for e in test.expects))
        emit(Output([rows]), fmt, out_path)


def dependencies(expr: Expr) -> list[str]:
    from segl.compiler.api import Aggregate, FeatureRef, SegmentRef

    names: list[str] = []
    for node in expr.walk():
        name = None
        if isinstance(node, (FeatureRef, SegmentRef)):
            name = node.name
        elif isinstance(node, Aggregate):
            name = node.table
        if name and name not in names:
            names.append(name)
    return names

