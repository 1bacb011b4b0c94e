"""The `segl` command: arguments in, library calls, printing out. Nothing else lives here.

Exit codes: 0 ok, 1 definition errors (or a failed check), 2 usage or data errors.
Click parses arguments (subcommands, help, types) and rich prints tables and progress:
both are well-kept libraries that do this better than code we would write.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from segl.compiler import ir
from segl.compiler.api import (
    REFUSED,
    Compilation,
    compile_file,
    describe_plan,
    kpi_sql_for_plan,
    member_outputs,
    require_allowed,
    select_segments,
    sql_for_plan,
)
from segl.compiler.diagnostics import CompileError, Diagnostic, Severity, did_you_mean
from segl.compiler.formatter import format_source
from segl.compiler.plan import plan_for
from segl.compiler.to_sql import AsOf
from segl.compiler.version import SEGL_VERSION
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, Dialects

from . import api, diff_report, sql
from . import diff as diffing
from . import fmt as formatting
from .engines import ENGINES
from .errors import DataError, OutputError, UsageError
from .expectations import check_expectations, overlaps
from .explain import explain as explain_segment
from .kpis import kpi_table
from .language_tests import run_tests
from .lint import lint_paths
from .lint_config import expand_codes, find_config
from .lint_report import as_json, github, repository_root, rules_table, sarif, summary, text
from .outputs import (
    FORMATS,
    format_for,
    members_query,
    write_atomically,
    write_text_atomically,
)
from .personas import persona_report
from .project import Project, find_project
from .report import write_report
from .scaffold import scaffold

OK, DEFINITION_ERROR, USAGE_OR_DATA_ERROR = 0, 1, 2



def console(stream=None) -> Console:
    """A console on the current stdout (or stderr); wide when not a terminal, so piped
    tables are not wrapped."""
    stream = stream or sys.stdout
    width = None if stream.isatty() else 200
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def print_diagnostics(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    color = sys.stderr.isatty()
    for diagnostic in diagnostics:
        sys.stderr.write(diagnostic.render(color=color) + "\n")
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    if errors or warnings:
        summary = []
        if errors:
            summary.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            summary.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        sys.stderr.write(", ".join(summary) + "\n")


@contextmanager
def reporting():
    """Turn library exceptions into messages and exit codes."""
    try:
        yield
    except CompileError as exc:
        print_diagnostics(exc.diagnostics)
        # a bad --param, or an output refused for personal data (docs/privacy.md): the
        # command asked for what the definitions do not give
        usage = all(d.code in ("E401", REFUSED) for d in exc.diagnostics if d.is_error)
        raise Exit(USAGE_OR_DATA_ERROR if usage else DEFINITION_ERROR) from None
    except DataError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"data error: {problem}\n")
        raise Exit(USAGE_OR_DATA_ERROR) from None
    except (UsageError, OutputError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise Exit(USAGE_OR_DATA_ERROR) from None


def parse_params(values: tuple[str, ...], project: Project) -> dict[str, str]:
    params = dict(project.params)
    for value in values:
        if "=" not in value:
            raise UsageError(f"--param expects NAME=VALUE, got `{value}`")
        name, _, text = value.partition("=")
        params[name.strip()] = text.strip()
    return params


def entry_files(files: tuple[str, ...]) -> tuple[list[str], Project]:
    project = find_project(Path(files[0]) if files else Path.cwd())
    chosen = list(files) or project.entry
    if not chosen:
        raise UsageError("no .seg file given and no `entry` in a segl.toml here or above")
    return chosen, project


def single_file(file: str | None) -> tuple[str, Project]:
    files, project = entry_files((file,) if file else ())
    if len(files) > 1:
        raise UsageError(f"segl.toml lists {len(files)} entry files: name one")
    return files[0], project


def as_of_option(value: str | None, project: Project) -> str:
    text = value or project.as_of
    if text in ("today", "param"):
        return text
    try:
        date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of expects YYYY-MM-DD, `today` or `param`, got `{text}`") from None
    return text


def evaluation_date(value: str | None, project: Project, command: str) -> str:
    """--as-of for a command that evaluates on DuckDB: a date or `today`."""
    when = as_of_option(value, project)
    if when == "param":
        raise UsageError(f"`segl {command}` needs a date (or `today`) for --as-of")
    return when


class SeglGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exit as exc:
            ctx.exit(exc.code)


@click.group(cls=SeglGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(SEGL_VERSION, prog_name="segl")
def main() -> None:
    """segl: customer segments as reviewed code, compiled to any warehouse."""


param_option = click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
                            help="Override a `param` of the file (repeatable).")
db_option = click.option("--db", "database", metavar="DUCKDB_FILE",
                         help="DuckDB database holding `from table` sources.")
engine_option = click.option(
    "--engine", "-e", default="duckdb", show_default=True, metavar="ENGINE",
    help=f"Where the query runs: {', '.join(ENGINES)} (see docs/engines.md).")
target_option = click.option(
    "--target", metavar="URL",
    help="The engine's server: a postgresql:// URL (default: a temporary embedded server) "
         "or a Spark master (default: local[2]).")

# Which option of an engine's run_members --target sets.
TARGET_OPTIONS = {"postgres": "url", "spark": "master"}


def engine_options(engine: str, target: str | None) -> dict[str, object]:
    if engine not in ENGINES:
        raise UsageError(f"unknown engine `{engine}`; engines are: {', '.join(ENGINES)}")
    if target is None:
        return {}
    if engine not in TARGET_OPTIONS:
        raise UsageError(f"--target is for {' and '.join(TARGET_OPTIONS)}; the {engine} "
                         "engine runs in this process")
    if engine == "postgres" and not target.startswith(("postgresql://", "postgres://")):
        raise UsageError(f"--target for postgres is a postgresql:// URL, not `{target}`")
    return {TARGET_OPTIONS[engine]: target}



@main.command()
@click.argument("files", nargs=-1, type=click.Path())
@param_option
@db_option
@click.option("--no-data", is_flag=True, help="Check definitions only; do not read the data.")
@click.option("--data", "evaluate_data", is_flag=True,
              help="Also evaluate the segments and check their `expect` clauses.")
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date for --data.")
def check(files, params, database, no_data, evaluate_data, as_of):
    """Check definitions (and that the data matches them)."""
    with reporting():
        chosen, project = entry_files(files)
        values = parse_params(params, project)
        failed, usage_only = False, True
        for file in chosen:
            if no_data:
                compilation = compile_file(file, values)
            else:
                compilation, connection = api.load(file, values, database or project.database)
            print_diagnostics(compilation.diagnostics)
            if not compilation.ok:
                failed = True
                usage_only = usage_only and all(d.code == "E401" for d in compilation.errors)
                continue
            if not no_data:
                api.check_data(compilation, connection)
            model = compilation.model
            parts = [_count(len(model.segments), "segment")]
            if model.segmentations:
                parts.append(_count(len(model.segmentations), "segmentation"))
            parts += [_count(len(model.features), "feature"),
                      _count(len(model.events) + len(model.lookups) + 1, "source")]
            console().print(f"{file}: ok ({', '.join(parts)})")
            if evaluate_data and not no_data:
                when = evaluation_date(as_of, project, "check --data")
                evaluation = api.evaluate(file, when, None, values,
                                          database or project.database)
                outcomes = check_expectations(evaluation)
                for outcome in outcomes:
                    stream = sys.stdout if outcome.passed else sys.stderr
                    stream.write(("ok: " if outcome.passed else "expectation failed: ")
                                 + outcome.message() + "\n")
                failing = [o for o in outcomes if not o.passed]
                console().print(f"{file}: {len(outcomes) - len(failing)} of {len(outcomes)} "
                                f"expectations hold at as_of {evaluation.as_of}")
                if failing:
                    failed = True
                    usage_only = False
        if failed:
            raise Exit(USAGE_OR_DATA_ERROR if usage_only else DEFINITION_ERROR)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@main.command(name="compile")
@click.argument("file", required=False, type=click.Path())
@click.option("--dialect", "-d", help="Target SQL dialect (any sqlglot dialect).")
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@click.option("--as-of", "as_of", metavar="DATE|today|param",
              help="Compile as_of as a date literal, the engine's current date, or a named "
                   "query parameter `as_of`.")
@click.option("--show", type=click.Choice(["sql", "plan"]), default="sql",
              help="The SQL, or the plan every backend translates (for the given --as-of).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="With --show plan: a readable listing or JSON.")
@click.option("--kpis", "with_kpis", is_flag=True,
              help="The KPI query instead: every KPI and its index per segment and bucket.")
@click.option("--out", "out_path", type=click.Path(), help="Write the SQL to this file.")
@param_option
def compile_command(file, dialect, segments, as_of, show, fmt, with_kpis, out_path, params):
    """Compile segments (or, with --kpis, their KPIs) to SQL for a warehouse dialect."""
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
        when = AsOf.parse(as_of_option(as_of, project))
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


def compiled(path: str, params: dict[str, str]) -> Compilation:
    """Compile without data; print diagnostics once; stop on errors."""
    compilation = compile_file(path, params)
    print_diagnostics(compilation.diagnostics)
    if not compilation.ok:
        usage = all(d.code == "E401" for d in compilation.errors)
        raise Exit(USAGE_OR_DATA_ERROR if usage else DEFINITION_ERROR)
    return compilation


def check_dialect(name: str) -> str:
    try:
        Dialect.get_or_raise(name)
    except ValueError:
        known = sorted(d for d in Dialects.__members__.values() if d.value)
        raise UsageError(f"unknown dialect `{name}`; "
                         f"known: {', '.join(d.value for d in known)}") from None
    return name


@main.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date (default: today).")
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@click.option("--out", "out_path", type=click.Path(), help="Write members to this file.")
@click.option("--format", "fmt", type=click.Choice(["table", *FORMATS]),
              help="Output format (default: from --out's extension; `table` prints members).")
@click.option("--shape", type=click.Choice(["long", "wide"]), default="long",
              help="long: one row per (key, segment); wide: key + one column per segment.")
@click.option("--limit", default=20, show_default=True, help="Rows printed by --format table.")
@param_option
@db_option
@engine_option
@target_option
def run(file, as_of, segments, out_path, fmt, shape, limit, params, database, engine, target):
    """Evaluate segments (on DuckDB, or --engine E) and write their members."""
    with reporting():
        options = engine_options(engine, target)
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "run")
        if out_path:
            try:
                fmt = format_for(out_path, fmt)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        with console(sys.stderr).status("Compiling and reading sources…") as status:
            status.update("Evaluating segments…")
            evaluation = api.evaluate(path, when, list(segments), parse_params(params, project),
                                      database or project.database, engine=engine,
                                      engine_options=options)
            if out_path or fmt == "table":
                model = evaluation.compilation.model
                require_allowed(model, member_outputs(
                    model, [*evaluation.segments, *evaluation.segmentations],
                    "segl run --out" if out_path else "segl run --format table",
                    "or write the others only: `segl run --segment NAME …`"))
            if out_path:
                status.update(f"Writing {out_path}…")
                query = members_query(evaluation.table, evaluation.key, evaluation.segments,
                                      shape, evaluation.segmentations, evaluation.scores)
                write_atomically(evaluation.connection, query, out_path, fmt)
        print_sizes(evaluation)
        for outcome in check_expectations(evaluation):
            if not outcome.passed:
                sys.stderr.write(f"warning: expectation failed: {outcome.message()}\n")
        if fmt == "table" and not out_path:
            print_members(evaluation, shape, limit)
        if out_path:
            console(sys.stderr).print(f"wrote {out_path} ({fmt}, {shape})")


def print_sizes(evaluation: api.Evaluation) -> None:
    model = evaluation.compilation.model
    table = Table(title=f"{evaluation.compilation.path} · as_of {evaluation.as_of} · "
                        f"{evaluation.entities:,} {model.entity.name} entities")
    table.add_column("segment")
    table.add_column("label")
    table.add_column("members", justify="right")
    table.add_column("share", justify="right")
    for name in evaluation.segments:
        size = evaluation.sizes[name]
        share = size / evaluation.entities if evaluation.entities else 0.0
        table.add_row(name, model.segments[name].label or "", f"{size:,}", f"{share:.1%}")
    if evaluation.segments:
        console().print(table)
    for name in evaluation.segmentations:
        segmentation = model.segmentations[name]
        title = f"segmentation {name}" + (f" · {segmentation.label}" if segmentation.label else "")
        buckets = Table(title=title)
        for column, justify in (("bucket", "left"), ("label", "left"), ("entities", "right"),
                                ("share", "right")):
            buckets.add_column(column, justify=justify)
        for bucket in segmentation.buckets:
            size = evaluation.buckets[name].get(bucket.name, 0)
            share = size / evaluation.entities if evaluation.entities else 0.0
            buckets.add_row(bucket.name, bucket.label or "", f"{size:,}", f"{share:.1%}")
        console().print(buckets)


def print_members(evaluation: api.Evaluation, shape: str, limit: int) -> None:
    query = members_query(evaluation.table, evaluation.key, evaluation.segments, shape,
                          evaluation.segmentations, evaluation.scores)
    connection = evaluation.connection
    total = sql.fetch_one(connection, sql.select(sql.count_all(),
                                                 source=sql.subquery(query.copy())))[0]
    cursor = sql.execute(connection, sql.select(exp.Star(), source=sql.subquery(query))
                         .limit(int(limit), copy=False))
    rows = cursor.fetchall()
    table = Table(title="members")
    for column in (d[0] for d in cursor.description):
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console().print(table)
    if total > limit:
        console().print(f"… {total - limit:,} more rows; write them all with --out FILE")


@main.command()
@click.argument("segment")
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE")
@param_option
@db_option
def explain(segment, file, as_of, params, database):
    """Show how many entities pass each condition of SEGMENT."""
    with reporting():
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "explain")
        funnel = explain_segment(path, segment, when, parse_params(params, project),
                                 database or project.database)
        table = Table(title=f"{segment} · as_of {when} · {funnel.entities:,} entities")
        table.add_column("#", justify="right")
        table.add_column("condition")
        table.add_column("pass alone", justify="right")
        table.add_column("remaining", justify="right")
        table.add_column("share", justify="right")
        for index, step in enumerate(funnel.steps, 1):
            share = step.remaining / funnel.entities if funnel.entities else 0.0
            table.add_row(str(index), step.condition, f"{step.passing:,}",
                          f"{step.remaining:,}", f"{share:.1%}")
        console().print(table)


@main.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE")
@click.option("--segment", "-s", "segments", multiple=True, help="Only these segments.")
@click.option("--limit", default=20, show_default=True, help="Pairs printed, most alike first.")
@click.option("--out", "out_path", type=click.Path(),
              help="Write every pair (segment, segment, both, either, jaccard) to a CSV file.")
@param_option
@db_option
def overlap(file, as_of, segments, limit, out_path, params, database):
    """How much segments overlap: members in both, and the Jaccard index, for every pair."""
    with reporting():
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "overlap")
        evaluation = api.evaluate(path, when, list(segments) or None,
                                  parse_params(params, project), database or project.database)
        pairs = sorted(overlaps(evaluation), key=lambda p: (-p.jaccard, p.first, p.second))
        table = Table(title=f"overlap · as_of {evaluation.as_of} · {len(pairs):,} pairs")
        for column, justify in (("segment", "left"), ("segment", "left"), ("both", "right"),
                                ("either", "right"), ("jaccard", "right")):
            table.add_column(column, justify=justify)
        for pair in pairs[:limit]:
            table.add_row(pair.first, pair.second, f"{pair.both:,}", f"{pair.either:,}",
                          f"{pair.jaccard:.3f}")
        console().print(table)
        if out_path:
            lines = ["first,second,both,either,jaccard"] + [
                f"{p.first},{p.second},{p.both},{p.either},{p.jaccard:.6f}" for p in pairs]
            write_text_atomically(out_path, "\n".join(lines) + "\n")


@main.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE")
@click.option("--segment", "-s", "segments", multiple=True,
              help="Only these segments (or segmentations).")
@click.option("--kpi", "-k", "chosen_kpis", multiple=True, help="Only these KPIs.")
@param_option
@db_option
def kpis(file, as_of, segments, chosen_kpis, params, database):
    """KPIs per segment and per segmentation bucket, with their index against everyone."""
    with reporting():
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "kpis")
        evaluation = api.evaluate(path, when, list(segments) or None,
                                  parse_params(params, project), database or project.database,
                                  kpis=True)
        model = evaluation.compilation.model
        shares = evaluation.plan.shares
        if not model.kpis and not shares:
            raise UsageError(f"{path} declares no `kpi` (and no segment ranks by a number)")
        unknown = [k for k in chosen_kpis if k not in model.kpis]
        if unknown:
            hint = did_you_mean(unknown[0], model.kpis)
            raise UsageError(f"unknown KPI `{unknown[0]}`" + (f"; {hint}" if hint else ""))
        shown = list(chosen_kpis) or list(model.kpis)
        if chosen_kpis:
            shares = ()
        # Columns are headed by the KPIs' names, which are short; their labels follow the
        # table, so a dozen KPIs still fit a terminal.
        table = Table(title=f"KPIs · as_of {evaluation.as_of} · value (index vs all = 100)")
        table.add_column("group", no_wrap=True)
        table.add_column("members", justify="right")
        table.add_column("share", justify="right")
        for name in shown:
            table.add_column(name, justify="right")
        for name in shares:
            table.add_column(name, justify="right")
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
            table.add_row(*cells)
        out = console()
        out.print(table)
        for name in shown:
            if model.kpis[name].label:
                out.print(f"  {name}: {model.kpis[name].label}")


@main.command()
@click.argument("name")
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE")
@param_option
@db_option
def persona(name, file, as_of, params, database):
    """Check persona NAME against its segment and the data, and print its factsheet."""
    with reporting():
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "persona")
        report = persona_report(path, name, when, parse_params(params, project),
                                database or project.database)
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
        table = Table(title="profile: persona vs segment members")
        for column in ("attribute", "persona", "segment members"):
            table.add_column(column)
        for attribute, value in p.profile.items():
            table.add_row(attribute, str(value.value),
                          report.profile_in_data.get(attribute, "(a feature)"))
        out.print(table)
        if report.kpis is not None:
            kpi_table_view = Table(title="KPIs of the segment (index vs all = 100)")
            kpi_table_view.add_column("KPI")
            kpi_table_view.add_column("value", justify="right")
            kpi_table_view.add_column("index", justify="right")
            model = compiled(path, parse_params(params, project)).model
            for kpi_name, value in report.kpis.values.items():
                if kpi_name not in model.kpis:  # a share of a ranking expression
                    continue
                index = report.kpis.index[kpi_name]
                kpi_table_view.add_row(model.kpis[kpi_name].label or kpi_name,
                                       "–" if value is None else f"{float(value):,.2f}",
                                       "–" if index is None else f"{index:.0f}")
            out.print(kpi_table_view)


@main.command()
@click.argument("file", required=False, type=click.Path())
@click.option("--as-of", "as_of", metavar="DATE", help="Evaluation date (default: today).")
@click.option("--out", "out_path", type=click.Path(), default="report.html", show_default=True,
              help="The HTML file to write (atomically).")
@param_option
@db_option
def report(file, as_of, out_path, params, database):
    """Write one self-contained HTML report: sizes, KPIs, overlap, personas, definitions."""
    with reporting():
        path, project = single_file(file)
        when = evaluation_date(as_of, project, "report")
        if Path(out_path).is_dir():
            raise UsageError(f"--out `{out_path}` is a folder: name the HTML file to write")
        with console(sys.stderr).status("Evaluating segments, KPIs and personas…"):
            try:
                data = write_report(path, out_path, when, parse_params(params, project),
                                    database or project.database)
            except OSError as exc:
                raise UsageError(f"cannot write `{out_path}`: {exc.strerror or exc}") from None
        console(sys.stderr).print(
            f"wrote {out_path} ({_count(len(data.evaluation.segments), 'segment')}, "
            f"{_count(len(data.evaluation.segmentations), 'segmentation')}, "
            f"as_of {data.as_of})")


@main.command(name="test")
@click.argument("file", required=False, type=click.Path())
@click.option("--name", "-k", "names", multiple=True, help="Only these tests.")
@param_option
def test_command(file, names, params):
    """Run the `test` blocks: fixture rows in, expected members out."""
    with reporting():
        path, project = single_file(file)
        compilation = compiled(path, parse_params(params, project))
        default_as_of = project.as_of if project.as_of not in ("today", "param") else None
        results = run_tests(compilation, list(names),
                            date.fromisoformat(default_as_of) if default_as_of else None)
        for result in results:
            console().print(("PASS " if result.passed else "FAIL ") + result.name)
            for failure in result.failures:
                sys.stderr.write(f"  {failure}\n")
        failed = sum(1 for r in results if not r.passed)
        console().print(f"{len(results) - failed} passed, {failed} failed")
        if failed:
            raise Exit(DEFINITION_ERROR)


@main.command(name="ls")
@click.argument("file", required=False, type=click.Path())
@param_option
def list_objects(file, params):
    """List sources, features and segments with their labels and dependencies."""
    with reporting():
        path, project = single_file(file)
        model = compiled(path, parse_params(params, project)).model
        table = Table()
        for column in ("name", "kind", "label", "depends on"):
            table.add_column(column)
        for source in model.tables:
            where = ", ".join(f"{loc.kind} {loc.target}" for loc in source.locations)
            table.add_row(source.name, source.kind, "", where)
        for name, param in model.params.items():
            table.add_row(name, "param", "", str(param.value.value))
        for name, feature in model.features.items():
            table.add_row(name, f"feature ({feature.type.value})", feature.label or "",
                          ", ".join(dependencies(feature.expr)))
        for name, segment in model.segments.items():
            table.add_row(name, "segment", segment.label or "",
                          ", ".join(dependencies(segment.predicate)))
        for name, segmentation in model.segmentations.items():
            uses = [d for b in segmentation.buckets if b.condition
                    for d in dependencies(b.condition)]
            table.add_row(name, f"segmentation ({len(segmentation.buckets)} buckets)",
                          segmentation.label or "", ", ".join(dict.fromkeys(uses)))
        for name, kpi in model.kpis.items():
            table.add_row(name, "kpi", kpi.label or "", ", ".join(dependencies(kpi.expr)))
        for name, persona in model.personas.items():
            table.add_row(name, "persona", persona.label or "", persona.segment)
        for name, test in model.tests.items():
            table.add_row(name, "test", "", ", ".join(e.target for e in test.expects))
        console().print(table)


def dependencies(expr: ir.Expr) -> list[str]:
    names: list[str] = []
    for node in expr.walk():
        name = None
        if isinstance(node, (ir.FeatureRef, ir.SegmentRef)):
            name = node.name
        elif isinstance(node, ir.Aggregate):
            name = node.table
        if name and name not in names:
            names.append(name)
    return names


@main.command()
@click.argument("folder", default=".", type=click.Path())
def init(folder):
    """Scaffold a new segl project in FOLDER (default: here)."""
    with reporting():
        created = scaffold(Path(folder))
        for path in created:
            console().print(f"created {path}")
        console().print(f"next: cd {folder} && segl run")


@main.command(name="fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print a diff and exit 1 if a file would change.")
@click.option("--line-length", default=100, show_default=True, type=click.IntRange(min=1),
              help="Split a longer inline `and`/`or` condition one condition per line.")
def fmt(paths, check, show_diff, line_length):
    """Format .seg files in the canonical style (PATH: files, folders, or - for stdin)."""
    with reporting():
        failed = changed = False
        for path in formatting.seg_files(paths):
            before = sys.stdin.read() if path == formatting.STDIN else formatting.read(path)
            shown = "<stdin>" if path == formatting.STDIN else path
            try:
                after = format_source(before, shown, line_length)
            except CompileError as exc:
                print_diagnostics(exc.diagnostics)
                failed = True
                continue
            if path == formatting.STDIN and not (check or show_diff):
                sys.stdout.write(after)
                continue
            if after == before:
                continue
            changed = True
            if show_diff:
                sys.stdout.write(formatting.unified_diff(shown, before, after))
            elif check:
                click.echo(f"would reformat {shown}")
            else:
                formatting.replace(path, after)
                click.echo(f"reformatted {shown}")
        if failed or (changed and (check or show_diff)):
            raise Exit(DEFINITION_ERROR)


@main.command(name="lsp")
@click.option("--stdio", is_flag=True,
              help="Talk over standard input and output: the only transport, and the default "
                   "(accepted because editors pass it).")
def lsp(stdio):
    """Run the language server for editors (docs/editors.md); needs `segl[lsp]`."""
    with reporting():
        from .lsp import serve  # pygls is imported only by this command

        serve()


@main.command(name="diff")
@click.argument("revisions_and_files", nargs=-1, required=True, metavar="BASE [HEAD] [FILE…]")
@click.option("--data", "with_data", is_flag=True,
              help="Evaluate both versions on DuckDB: members before, after, joined, left.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Evaluation date for --data and the compiled SQL (default: segl.toml, "
                   "else today).")
@click.option("--dialect", "-d", help="Dialect of the compiled SQL diff (default: segl.toml, "
                                      "else duckdb).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True,
              help="markdown: one pull-request comment; json: schema segl-diff/1.")
@click.option("--by", "by", metavar="COLUMN",
              help="With --data: count joiners and leavers by this column of the entity.")
@click.option("--examples", default=5, show_default=True, type=click.IntRange(min=0),
              help="With --data: how many keys (the smallest) to show per change.")
@click.option("--out", "out_path", type=click.Path(), help="Write the report to this file.")
@param_option
@db_option
def diff_command(revisions_and_files, with_data, as_of, dialect, fmt, by, examples, out_path,
                 params, database):
    """What a change does: objects added, removed and changed, narrower or wider, the SQL,
    and with --data the members who join and leave.

    BASE and HEAD are git revisions (HEAD: the working tree) or two files or folders.
    FILE… are the entry files to compare (default: segl.toml's `entry`, else every .seg
    file no other imports). Exit 0: no semantic change; 1: something changed; 2: usage or
    data error, or a version that does not compile.
    """
    with reporting():
        args = list(revisions_and_files)
        base, rest = args[0], args[1:]
        head = None
        both_paths = rest and Path(base).exists() and Path(rest[0]).exists()
        if both_paths or (rest and not Path(rest[0]).exists()):
            head, rest = rest[0], rest[1:]
        project = find_project(Path.cwd())
        if by and not with_data:
            raise UsageError("--by needs --data")
        when = evaluation_date(as_of, project, "diff")
        request = diffing.DiffRequest(
            base=base, head=head, files=tuple(rest), data=with_data, as_of=when,
            dialect=check_dialect(dialect or project.dialect), by=by, examples=examples,
            params=parse_params(params, project), database=database or project.database,
            entry=tuple(project.entry) if not both_paths else ())
        if with_data:
            with console(sys.stderr).status("Compiling and evaluating both versions…"):
                report = diffing.build_report(request)
        else:
            report = diffing.build_report(request)
        print_diagnostics(report.errors)
        if fmt == "markdown":
            text = diff_report.to_markdown(report)
        elif fmt == "json":
            text = diff_report.to_json(report)
        else:
            text = None
        if out_path:
            write_text_atomically(out_path, text if text is not None else
                                  _plain(diff_report.to_text(report)))
        elif text is not None:
            sys.stdout.write(text)
        else:
            console().print(diff_report.to_text(report), end="")
        if report.errors:
            raise Exit(USAGE_OR_DATA_ERROR)
        if report.changed:
            raise Exit(DEFINITION_ERROR)


def _plain(markup: str) -> str:
    out = Console(file=None, width=200, color_system=None, record=True)
    with out.capture() as captured:
        out.print(markup, end="", soft_wrap=True)
    return captured.get()


@main.command(name="lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif", "github"]),
              default="text", show_default=True, help="How findings are printed.")
@click.option("--select", "select", metavar="CODES",
              help="Only these rules (comma-separated codes, prefixes like L2, or names); "
                   "replaces `select` of the settings.")
@click.option("--ignore", "ignore", metavar="CODES", help="Also leave out these rules.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--output", "output_path", type=click.Path(),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
def lint(paths, output_format, select, ignore, strict, output_path, list_rules):
    """Check .seg files against the lint rules (PATH: files or folders; default: here)."""
    with reporting():
        config = find_config(Path(paths[0]) if paths else Path.cwd())
        if select is not None:
            config.enabled = frozenset(expand_codes(_codes(select), "--select"))
        if ignore is not None:
            config.enabled = config.enabled - expand_codes(_codes(ignore), "--ignore")
        if list_rules:
            rules = rules_table(config.severity_of)
            if output_format == "json":
                sys.stdout.write(json.dumps(rules, indent=2) + "\n")
                return
            table = Table()
            for column in ("code", "name", "severity", "finds", "why"):
                table.add_column(column)
            for rule in rules:
                off = "" if rule["code"] in config.enabled else " (off)"
                table.add_row(rule["code"], rule["name"], rule["severity"] + off,
                              rule["summary"], rule["rationale"])
            console().print(table)
            return
        result = lint_paths(paths, config)
        root = repository_root()
        if output_format == "text":
            report = text(result, color=not output_path and sys.stdout.isatty())
        elif output_format == "json":
            report = as_json(result, root)
        elif output_format == "sarif":
            report = sarif(result, root)
        else:
            report = github(result, root)
        if output_path:
            write_text_atomically(output_path, report)
            sys.stderr.write(summary(result) + "\n")
        else:
            sys.stdout.write(report)
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        if any(f.severity in failing for f in result.findings):
            raise Exit(DEFINITION_ERROR)


def _codes(text: str) -> list[str]:
    return [c for c in (part.strip() for part in text.split(",")) if c]


if __name__ == "__main__":
    main()
