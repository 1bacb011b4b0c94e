"""One resolved context for every command: the project file, the entry file, the
parameters, the evaluation date, the engine and the database, read once from the command
line and `segl.toml` (command line first). And the options every command spells alike."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..engines import ENGINES
from ..errors import UsageError
from ..project import Project, find_project
from ..resources import Resources, parse_memory_limit, parse_temp_dir, parse_threads, use
from .console import print_diagnostics
from .exits import Exit, for_diagnostics

if TYPE_CHECKING:
    from segl.compiler.api import Compilation

# Which option of an engine's run_members --target sets.
TARGET_OPTIONS = {"postgres": "url", "spark": "master"}


@dataclass(frozen=True)
class Context:
    """What a command runs on, resolved once."""

    path: str  # the entry file
    project: Project
    params: dict[str, str] = field(default_factory=dict)
    as_of: str = "today"  # a date, `today` (or `param`, for `segl compile`)
    database: str | None = None
    engine: str = "duckdb"
    engine_options: dict[str, object] = field(default_factory=dict)


def resolve(file: str | None, params: tuple[str, ...] = (), *, command: str,
            as_of: str | None = None, database: str | None = None, engine: str = "duckdb",
            target: str | None = None, evaluates: bool = True,
            limits: tuple[str | None, str | None, str | None] = (None, None, None)
            ) -> Context:
    """The context of a command on one entry file (`file`, else segl.toml's `entry`).
    `evaluates`: the command evaluates data, so --as-of must be a date or `today`.
    `limits`: --threads, --memory-limit and --temp-dir, applied with `use_resources`."""
    options = engine_options(engine, target)
    path, project = single_file(file)
    use_resources(project, limits, engine)
    when = evaluation_date(as_of, project, command) if evaluates else as_of_option(as_of,
                                                                                 project)
    return Context(path, project, parse_params(params, project), when,
                   database or project.database, engine, options)


def use_resources(project: Project, limits: tuple[str | None, str | None, str | None],
                  engine: str = "duckdb") -> Resources:
    """--threads, --memory-limit and --temp-dir over segl.toml's keys, validated, used by
    every connection the command opens (runtime/resources.py)."""
    threads, memory_limit, temp_dir = limits
    chosen = project.resources
    chosen = Resources(
        parse_threads(threads, "--threads") if threads is not None else chosen.threads,
        parse_memory_limit(memory_limit, "--memory-limit") if memory_limit is not None
        else chosen.memory_limit,
        parse_temp_dir(temp_dir, "--temp-dir") if temp_dir is not None else chosen.temp_dir)
    use(chosen, engine)
    return chosen


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


def as_of_option(value: str | None, project: Project, takes_param: bool = True) -> str:
    """--as-of, else segl.toml's `as_of` (itself `today` when absent). `takes_param`: the
    command accepts `param` (only `segl compile`); the message lists what it takes."""
    text = value or project.as_of
    if text in ("today", "param"):
        return text
    try:
        when = date.fromisoformat(text)
    except ValueError:
        takes = "YYYY-MM-DD, `today` or `param`" if takes_param else "YYYY-MM-DD or `today`"
        source = "--as-of" if value else "segl.toml's `as_of`"
        raise UsageError(f"{source} expects {takes}, got `{text}`") from None
    from segl.compiler.api import as_of_problem

    problem = as_of_problem(when)
    if problem:
        raise UsageError(f"--as-of: {problem} (docs/language.md, supported ranges)")
    return text


def evaluation_date(value: str | None, project: Project, command: str) -> str:
    """--as-of for a command that evaluates data: a date or `today` (`param` is for
    `segl compile` only, so the messages do not offer it)."""
    when = as_of_option(value, project, takes_param=False)
    if when == "param":
        source = "--as-of" if value else "segl.toml's `as_of`"
        raise UsageError(f"`segl {command}` needs a date (YYYY-MM-DD) or `today` for "
                         f"{source}, not `param` (only `segl compile` takes it)")
    return when


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


def compiled(path: str, params: dict[str, str]) -> Compilation:
    """Compile without data; print diagnostics once; stop on errors."""
    from segl.compiler.api import compile_file

    compilation = compile_file(path, params)
    print_diagnostics(compilation.diagnostics)
    if not compilation.ok:
        raise Exit(for_diagnostics(compilation.errors))
    return compilation


def check_dialect(name: str) -> str:
    from sqlglot.dialects.dialect import Dialect, Dialects

    try:
        Dialect.get_or_raise(name)
    except ValueError:
        known = sorted(d for d in Dialects.__members__.values() if d.value)
        raise UsageError(f"unknown dialect `{name}`; "
                         f"known: {', '.join(d.value for d in known)}") from None
    return name


# ---------------------------------------------------------------- options spelled alike

param_option = click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
                            help="Override a `param` of the file (repeatable; default: "
                                 "segl.toml's [params], else the value in the file).")
db_option = click.option("--db", "database", metavar="DUCKDB_FILE",
                         help="DuckDB database file holding `from table` sources (default: "
                              "segl.toml's `database`, else none).")
engine_option = click.option(
    "--engine", "-e", default="duckdb", show_default=True, metavar="ENGINE",
    help=f"Where the queries run: {', '.join(ENGINES)} (see docs/engines.md).")
target_option = click.option(
    "--target", metavar="URL",
    help="The engine's server: a postgresql:// URL (default: a temporary embedded server) "
         "or a Spark master (default: local[2]).")


def resources_options(function):
    """`--threads`, `--memory-limit`, `--temp-dir`: on every command that runs a query,
    passed to it as `limits` (a tuple, for `resolve` or `use_resources`)."""

    function = click.option(
        "--temp-dir", metavar="FOLDER",
        help="Where the engine spills what does not fit in memory (DuckDB's "
             "temp_directory; default: segl.toml's `temp_dir`, else the engine's).")(function)
    function = click.option(
        "--memory-limit", metavar="SIZE",
        help="Memory the engine may use, e.g. 256MB or 4GB (DuckDB's memory_limit; "
             "default: segl.toml's `memory_limit`, else the engine's).")(function)
    function = click.option(
        "--threads", metavar="N",
        help="Threads the engine may use (DuckDB, Polars; default: segl.toml's `threads`, "
             "else one per core).")(function)
    return function


AS_OF_HELP = ("Evaluation date, YYYY-MM-DD or `today` (default: segl.toml's `as_of` when "
              "set, else today).")


def as_of_flag(help_text: str = AS_OF_HELP,
               metavar: str = "DATE"):
    """`--as-of DATE`, once: a second one is a usage error (click would keep the last one
    silently); `segl snapshot` takes several dates."""
    return click.option("--as-of", "as_of", metavar=metavar, help=help_text, multiple=True,
                        callback=_one_as_of)


def _one_as_of(ctx: click.Context, param: click.Parameter,
               values: tuple[str, ...]) -> str | None:
    if len(values) > 1:
        raise click.BadParameter(
            f"given {len(values)} times ({', '.join(values)}): this command evaluates one "
            "date; `segl snapshot FILE --as-of D1..D2 --every month` records many",
            ctx, param)
    return values[0] if values else None


def out_flag(help_text: str, **options):
    """`--out PATH`: the one spelling of "write to this file"."""
    return click.option("--out", "out_path", type=click.Path(), metavar="PATH",
                        help=help_text, **options)


def deprecated_output_flag(function):
    """`--output FILE`, hidden: the spelling `segl lint` had before `--out`, still accepted
    with a warning (CHANGELOG)."""

    def warn(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            sys.stderr.write("warning: --output is deprecated; use --out\n")
        return value

    return click.option("--output", "deprecated_output", type=click.Path(), hidden=True,
                        callback=warn)(function)


# ---------------------------------------------------------------- tables that pipe (tables.py)

TABLE_FORMATS = ("table", "csv", "json", "markdown")


def format_option(function=None, *, without: str = "a table"):
    """`--format table|csv|json|markdown`; `without`: what the command prints when neither
    --format nor --out is given (`@format_option` or `@format_option(without=…)`)."""

    def decorate(f):
        return click.option(
            "--format", "fmt", type=click.Choice(TABLE_FORMATS),
            help="table (for people), csv, json or markdown (default: from --out's extension "
                 f".csv/.json/.md/.txt, CSV for `--out -`, else {without}).")(f)

    return decorate(function) if function is not None else decorate


def out_option(function):
    return click.option("--out", "out_path", type=click.Path(), metavar="PATH",
                        help="Write the output to this file (atomically) instead of stdout; "
                             "`-` is stdout (default: stdout).")(function)
