"""`segl check`, `segl compile`, `segl ls`: the definitions, and whether the data fits them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import DataError, UsageError
from .console import count, note, print_diagnostics, show
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

    from ..expectations import Outcome
    from .tables import Output


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@param_option
@db_option
@click.option("--no-data", is_flag=True, help="Check definitions only; do not read the data.")
@click.option("--no-cache", is_flag=True,
              help="Read the data even where its facts are kept from an earlier check of the "
                   "same files (also SEGL_NO_DATA_CACHE=1).")
@click.option("--data", "evaluate_data", is_flag=True,
              help="Also evaluate the segments and check their `expect` clauses.")
@as_of_flag("Evaluation date for --data, YYYY-MM-DD or `today` (default: segl.toml's "
            "`as_of` when set, else today).")
@engine_option
@target_option
@resources_options
@click.option("--explain", "code_to_explain", metavar="CODE",
              help="Instead of checking, print what a diagnostic code means, with an example "
                   "(docs/diagnostics.md; default: check).")
@format_option(without="`ok:` lines; with --data only")
@out_option
def check(files, params, database, no_data, no_cache, evaluate_data, as_of, engine, target, threads,
          memory_limit, temp_dir, code_to_explain, fmt, out_path):
    """Check definitions (and that the data matches them).

    With --data, each `expect` clause's result; --format or --out writes them as a table
    (file, segment, expectation, actual, holds, as_of) in table, csv, json or markdown."""
    from segl.compiler.api import Code, compile_file

    with reporting():
        if code_to_explain is not None:
            sys.stdout.write(explained(code_to_explain))
            return
        results: list[tuple[str, str, list[Outcome]]] | None = None
        if fmt is not None or out_path is not None:
            if not evaluate_data or no_data:
                raise UsageError("--format and --out write the results of --data: add --data")
            from .tables import output_format  # (only then: `check` stays light)

            fmt, results = output_format(fmt, out_path), []
        options = engine_options(engine, target)
        chosen, project = entry_files(files)
        use_resources(project, (threads, memory_limit, temp_dir), engine)
        values = parse_params(params, project)
        failed, usage_only, data_failed = False, True, False
        for file in chosen:
            if no_data:
                compilation = compile_file(file, values)
            else:
                # (the data's facts kept from an earlier check, else DuckDB reads the
                # schemas; not runtime/api.py: `check` stays light, issue 15 item 5)
                from .. import data_facts

                try:
                    compilation, schemas = data_facts.load(
                        file, values, database or project.database, cache=not no_cache)
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
                data_facts.check_data(compilation, schemas)
                schemas.save()  # (every check of the data passed)
            model = compilation.model
            parts = [count(len(model.segments), "segment")]
            if model.segmentations:
                parts.append(count(len(model.segmentations), "segmentation"))
            parts += [count(len(model.features), "feature"),
                      count(len(model.events) + len(model.lookups) + 1, "source")]
            line = f"{file}: ok ({', '.join(parts)})"
            if results is not None:
                note(line)  # stdout carries the expectations table
            else:
                # (plain text: a path is not Rich markup, and Rich need not be imported)
                sys.stdout.write(line + "\n")
            if evaluate_data and not no_data and \
                    not _expectations(file, as_of, project, values, database, engine, options,
                                      results):
                failed, usage_only = True, False
        if results is not None:
            from .tables import emit

            emit(_expectations_output(results), fmt, out_path)
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


def _expectations(file, as_of, project, values, database, engine, options,
                  results: list[tuple[str, str, list[Outcome]]] | None = None) -> bool:
    """Evaluate (on `engine`) and check every `expect` clause; whether all hold. Printed, or
    added to `results` (file, as_of, outcomes) for --format/--out."""
    from .. import api
    from ..expectations import check_expectations

    when = evaluation_date(as_of, project, "check --data")
    evaluation = api.evaluate(file, when, None, values, database or project.database,
                              engine=engine, engine_options=options)
    outcomes = check_expectations(evaluation)
    failing = [o for o in outcomes if not o.passed]
    if results is not None:
        results.append((file, str(evaluation.as_of), outcomes))
        return not failing
    for outcome in outcomes:
        stream = sys.stdout if outcome.passed else sys.stderr
        stream.write(("ok: " if outcome.passed else "expectation failed: ")
                     + outcome.message() + "\n")
    show(f"{file}: {len(outcomes) - len(failing)} of {len(outcomes)} "
         f"expectations hold at as_of {evaluation.as_of}")
    return not failing


def _expectations_output(results: list[tuple[str, str, list[Outcome]]]) -> Output:
    from .tables import Column, Grid, Output

    grid = Grid("expectations", [Column("file"), Column("line", numeric=True),
                                 Column("segment"), Column("expectation"), Column("actual"),
                                 Column("holds"), Column("as_of")], keep=3)
    for file, when, outcomes in results:
        for outcome in outcomes:
            span = outcome.expectation.span
            grid.add(file, span.line if span else None, outcome.segment,
                     f"expect {outcome.expectation.describe()}", outcome.actual,
                     (outcome.passed, "yes" if outcome.passed else "NO"), when)
    holding = sum(o.passed for _, _, outcomes in results for o in outcomes)
    total = sum(len(outcomes) for _, _, outcomes in results)
    grid.notes.append(f"{holding} of {total} expectations hold")
    return Output([grid], facts={"hold": holding, "fail": total - holding})


@click.command(name="compile")
@click.argument("file", required=False, type=click.Path())
@click.option("--dialect", "-d", help="Target SQL dialect, any sqlglot dialect (default: "
                                      "segl.toml's `dialect`, else duckdb).")
@click.option("--segment", "-s", "segments", multiple=True, metavar="NAME",
              help="Only these segments (or segmentations; repeatable; default: all).")
@as_of_flag("Compile as_of as a date literal (YYYY-MM-DD), the engine's current date "
            "(`today`), or a named query parameter `as_of` (`param`; default: segl.toml's "
            "`as_of` when set, else today); a range D1..D2 (with --every) or a list D1,D2,… "
            "compiles the query of many dates in one pass.",
            metavar="DATE|today|param|D1..D2|D1,D2,…")
@click.option("--every", type=click.Choice(["day", "week", "month", "quarter"]),
              help="The step through an --as-of range (default: month).")
@click.option("--show", type=click.Choice(["sql", "plan"]), default="sql", show_default=True,
              help="The SQL, or the plan every backend translates (for the given --as-of).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="With --show plan: a readable listing or JSON.")
@click.option("--kpis", "with_kpis", is_flag=True,
              help="The KPI query instead: every KPI and its index per segment and bucket.")
@click.option("--materialize", type=click.Choice(["history"]),
              help="The statements a scheduler runs each day (as_of a bound parameter) to "
                   "keep the membership history table (docs/time.md; default: the segments' SQL).")
@click.option("--table", "table", default="segl_history", show_default=True,
              help="With --materialize history: the table ([[catalog.]schema.]name).")
@out_flag("Write the SQL (or plan) to this file, atomically (default: stdout).")
@param_option
def compile_command(file, dialect, segments, as_of, every, show, fmt, with_kpis, materialize,
                    table, out_path, params):
    """Compile segments (or, with --kpis, their KPIs) to SQL for a warehouse dialect."""
    from segl.compiler.api import (
        AsOf,
        describe_plan,
        kpi_sql_for_plan,
        plan_for,
        select_segments,
        sql_for_plan,
    )

    from ..atomic_files import write_text_atomically

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
        if days and materialize:
            raise UsageError("--materialize compiles one date: many dates in one pass "
                             "compile the members query (or with --kpis the KPI query)")
        when = AsOf.many(days) if days else None
        if materialize:
            text = _materialized(compilation, list(segments), dialect or project.dialect,
                                 table, as_of, show, with_kpis)
        elif show == "plan":
            text = describe_plan(plan, when or AsOf.parse(as_of_option(as_of, project)), fmt)
        else:
            generate = kpi_sql_for_plan if with_kpis else sql_for_plan
            text = generate(plan, compilation, check_dialect(dialect or project.dialect),
                            when or AsOf.parse(as_of_option(as_of, project)),
                            file_paths="relative")
        if out_path:
            write_text_atomically(out_path, text)
        else:
            sys.stdout.write(text)


def _materialized(compilation, segments: list[str], dialect: str, table: str,
                  as_of: str | None, show: str, with_kpis: bool) -> str:
    """`segl compile --materialize history`: the daily refresh statements."""
    from segl.compiler.api import member_outputs, plan_for, require_allowed, select_segments

    from ..materialize import history_script

    if as_of not in (None, "param") or show != "sql" or with_kpis:
        raise UsageError("--materialize history emits SQL with as_of a bound parameter: "
                         "no --as-of DATE, --show plan or --kpis with it")
    parts = table.split(".")
    if len(parts) > 3 or any(not part.strip() for part in parts):
        raise UsageError(f"--table takes [[catalog.]schema.]name, not `{table}`")
    model = compilation.model
    objects = select_segments(model, segments)
    if not objects:
        raise UsageError(f"`{compilation.path}` declares no segment or segmentation")
    require_allowed(model, member_outputs(  # the table holds who is in each group
        model, objects, "segl compile --materialize history",
        "or keep the history of the others only: `--segment NAME …`"))
    plan = plan_for(model, objects)
    return history_script(plan, check_dialect(dialect), compilation.path, table, objects)


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
            rows.add(name, "persona", persona.label or "", persona.target)
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

