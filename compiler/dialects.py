"""Per-dialect rules: the one place where target SQL dialects differ in what segl emits.

Everything else is left to sqlglot's generator for the dialect. Each rule is pinned by a
test in tests/sql/test_dialect_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

# How DuckDB reads a CSV file: a header line, and `"` quoting values (RFC 4180) whatever
# the sniffer saw in the first rows. Left to the sniffer, a file whose sample holds no quote
# (or a broken quoted row) is read with no quote character: every quoted value then keeps
# its quotes (`"Amsterdam"`), silently, and a quote left open deep in the file is taken as
# text. Delimiter and column types are still sniffed.
DUCKDB_CSV_OPTIONS: tuple[tuple[str, bool | str], ...] = (("header", True), ("quote", '"'))


def duckdb_file_reader(
    kind: str, path: str,
    options: tuple[tuple[str, bool | int | str | exp.Expression], ...] = (),
) -> exp.Expression:
    """`read_parquet('path')` or `read_csv('path', header = TRUE, quote = '"')`, with
    `options` added (the runtime adds `store_rejects` to find bad rows)."""
    reader = "read_parquet" if kind == "parquet" else "read_csv"
    args: list[exp.Expression] = [exp.Literal.string(path)]
    for name, value in (*(DUCKDB_CSV_OPTIONS if kind == "csv" else ()), *options):
        literal = (value if isinstance(value, exp.Expression)
                   else exp.Boolean(this=value) if isinstance(value, bool)
                   else exp.Literal.number(value) if isinstance(value, int)
                   else exp.Literal.string(value))
        args.append(exp.EQ(this=exp.column(name), expression=literal))
    return exp.Anonymous(this=reader, expressions=args)


def _duckdb_file(kind: str, path: str) -> exp.Expression:
    return duckdb_file_reader(kind, path)


def _spark_file(kind: str, path: str) -> exp.Expression:
    # parquet.`/path/to/files`: Spark and Databricks read files as tables.
    return exp.Table(this=exp.to_identifier(path, quoted=True), db=exp.to_identifier(kind))


def _clickhouse_file(kind: str, path: str) -> exp.Expression:
    fmt = "Parquet" if kind == "parquet" else "CSVWithNames"
    return exp.Anonymous(this="file", expressions=[exp.Literal.string(path), exp.var(fmt)])


def _sqlite_date_part(unit: str, value: exp.Expression) -> exp.Expression:
    # SQLite has no YEAR/MONTH/DAY: dates are ISO text, read their digits with strftime.
    pattern = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d"}[unit]
    return exp.cast(exp.Anonymous(this="STRFTIME", expressions=[exp.Literal.string(pattern),
                                                                 value]), "INT", copy=False)


# A LIKE pattern as a GLOB pattern: GLOB's own wildcards are bracketed first (so that they
# match themselves), then LIKE's `%` and `_` become GLOB's `*` and `?`. The order matters:
# `[` before the replacements that add brackets. A backslash is an ordinary character in
# both (segl's `like` has no escape character, as on DuckDB).
_GLOB_STEPS = (("[", "[[]"), ("*", "[*]"), ("?", "[?]"), ("%", "*"), ("_", "?"))
_GLOB_CHARACTERS = dict(_GLOB_STEPS)


def glob_pattern(like: str) -> str:
    """A LIKE pattern written as the GLOB pattern that matches the same texts."""
    return "".join(_GLOB_CHARACTERS.get(character, character) for character in like)


def _sqlite_like(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    # SQLite's LIKE ignores the case of ASCII letters; GLOB compares exactly, like every
    # other engine's LIKE. A pattern that is not a literal is translated by the query.
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return exp.Glob(this=value, expression=exp.Literal.string(glob_pattern(pattern.name)))
    for old, new in _GLOB_STEPS:
        pattern = exp.Replace(this=pattern, expression=exp.Literal.string(old),
                              replacement=exp.Literal.string(new))
    return exp.Glob(this=value, expression=pattern)


def _like_without_escape(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    # PostgreSQL, Spark and ClickHouse take a backslash in a LIKE pattern as an escape
    # character; segl's `like` has none (as on DuckDB and SQLite): each backslash is doubled
    # to mean itself. A pattern without one is written as it is.
    backslash = "\\"
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        if backslash in pattern.name:
            pattern = exp.Literal.string(pattern.name.replace(backslash, backslash * 2))
    else:
        pattern = exp.Replace(this=pattern, expression=exp.Literal.string(backslash),
                              replacement=exp.Literal.string(backslash * 2))
    return exp.Like(this=value, expression=pattern)


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
    # Query settings the KPI query needs (ClickHouse fills the columns a grouping set leaves
    # out with 0 and '' unless group_by_use_nulls is on; the KPI query tells sets apart by
    # those columns being NULL).
    kpi_settings: tuple[tuple[str, int], ...] = ()
    # How YEAR(x) / MONTH(x) / DAY(x) of a date is written, when the engine has no such
    # functions (None: sqlglot's exp.Year, exp.Month, exp.Day).
    date_part: Callable[[str, exp.Expression], exp.Expression] | None = None
    # False where DECIMAL is a floating-point type (SQLite): sums and averages of fractional
    # numbers are rounded to the 9 decimals they are added with elsewhere, so that equal
    # totals compare equal whatever order the rows were added in (ties in rankings).
    exact_decimals: bool = True
    # The type dates are cast to: ClickHouse's DATE holds 1970-2149 only (earlier dates
    # wrap around), its DATE32 holds 1900-2299.
    date_type: str = "DATE"
    # The type timestamps are cast to: ClickHouse's DATETIME has whole seconds from 1970;
    # DATETIME64(6) has microseconds, like the others.
    timestamp_type: str = "TIMESTAMP"
    # Function names for upper and lower case that map every letter, not ASCII only.
    case_functions: tuple[str, str] | None = None
    # How `value LIKE pattern` is written where the engine's LIKE ignores case (SQLite) or
    # has an escape character (a backslash): the text predicates are case-sensitive, and
    # only `%` and `_` are special, on every engine.
    like: Callable[[exp.Expression, exp.Expression], exp.Expression] | None = None
    notes: tuple[str, ...] = field(default=())


RULES: dict[str, DialectRules] = {
    "duckdb": DialectRules("duckdb", _duckdb_file, frozenset({"parquet", "csv"})),
    "spark": DialectRules("spark", _spark_file, frozenset({"parquet"}),
                          like=_like_without_escape),
    "databricks": DialectRules("databricks", _spark_file, frozenset({"parquet"}),
                               like=_like_without_escape),
    "clickhouse": DialectRules("clickhouse", _clickhouse_file, frozenset({"parquet", "csv"}),
                               as_of_parameter="{as_of:Date32}", date_type="Nullable(Date32)",
                               timestamp_type="Nullable(DateTime64(6))",
                               case_functions=("upperUTF8", "lowerUTF8"),
                               like=_like_without_escape,
                               kpi_settings=(("group_by_use_nulls", 1),)),
    "postgres": DialectRules("postgres", like=_like_without_escape),
    "tsql": DialectRules("tsql", boolean_values=False),
    "sqlite": DialectRules("sqlite", grouping_sets=False, date_part=_sqlite_date_part,
                           exact_decimals=False, like=_sqlite_like),
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
