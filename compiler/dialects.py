"""Per-dialect rules: the one place where target SQL dialects differ in what segl emits.

Everything else is left to sqlglot's generator for the dialect. Each rule is pinned by a
test in tests/sql/test_dialect_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp


def _duckdb_file(kind: str, path: str) -> exp.Expression:
    reader = "read_parquet" if kind == "parquet" else "read_csv"
    args: list[exp.Expression] = [exp.Literal.string(path)]
    if kind == "csv":
        args.append(exp.EQ(this=exp.column("header"), expression=exp.true()))
    return exp.Anonymous(this=reader, expressions=args)


def _spark_file(kind: str, path: str) -> exp.Expression:
    # parquet.`/path/to/files`: Spark and Databricks read files as tables.
    return exp.Table(this=exp.to_identifier(path, quoted=True), db=exp.to_identifier(kind))


def _clickhouse_file(kind: str, path: str) -> exp.Expression:
    fmt = "Parquet" if kind == "parquet" else "CSVWithNames"
    return exp.Anonymous(this="file", expressions=[exp.Literal.string(path), exp.var(fmt)])


@dataclass(frozen=True)
class DialectRules:
    name: str
    # Which file formats the dialect can read in a FROM clause, and how.
    file_reader: Callable[[str, str], exp.Expression] | None = None
    file_kinds: frozenset[str] = frozenset()
    # False where the engine has no boolean values (T-SQL): conditions become 1/0 columns.
    boolean_values: bool = True
    # How a named query parameter for as_of is written, when sqlglot's default is wrong.
    as_of_parameter: str | None = None
    # False where GROUP BY GROUPING SETS is missing: the KPI query unions one SELECT per set.
    grouping_sets: bool = True
    notes: tuple[str, ...] = field(default=())


RULES: dict[str, DialectRules] = {
    "duckdb": DialectRules("duckdb", _duckdb_file, frozenset({"parquet", "csv"})),
    "spark": DialectRules("spark", _spark_file, frozenset({"parquet"})),
    "databricks": DialectRules("databricks", _spark_file, frozenset({"parquet"})),
    "clickhouse": DialectRules("clickhouse", _clickhouse_file, frozenset({"parquet", "csv"}),
                               as_of_parameter="{as_of:Date}"),
    "tsql": DialectRules("tsql", boolean_values=False),
    "sqlite": DialectRules("sqlite", grouping_sets=False),
    "mysql": DialectRules("mysql", grouping_sets=False),
}


def rules_for(dialect: str) -> DialectRules:
    return RULES.get(dialect, DialectRules(dialect))


# Words reserved in at least one common dialect: identifiers spelled like these are quoted.
RESERVED_WORDS = frozenset([
    "all", "and", "any", "array", "as", "asc", "at", "between", "both", "by", "case",
    "cast", "check", "collate", "column", "constraint", "create", "cross", "current",
    "current_date", "current_time", "current_timestamp", "current_user", "date", "day",
    "default", "delete", "desc", "distinct", "do", "else", "end", "except", "exists",
    "false", "fetch", "filter", "for", "foreign", "from", "full", "grant", "group",
    "having", "hour", "if", "ilike", "in", "inner", "insert", "intersect", "interval",
    "into", "is", "join", "key", "lateral", "leading", "left", "like", "limit", "localtime",
    "localtimestamp", "minute", "month", "natural", "not", "null", "of", "offset", "on",
    "only", "or", "order", "outer", "over", "partition", "percent", "primary", "qualify",
    "range", "references", "right", "rollup", "row", "rows", "second", "select",
    "session_user", "set", "some", "table", "then", "time", "timestamp", "to", "top",
    "trailing", "true", "union", "unique", "unknown", "update", "user", "using", "value",
    "values", "when", "where", "window", "with", "within", "year",
])
