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
    # True to write a measure's window and filter as `sum(x) FILTER (WHERE c)` (SQL:2003)
    # instead of `sum(CASE WHEN c THEN x END)`. Off for every dialect: measured on DuckDB
    # 2.0.1 (issue 15 item 2, bench/compare.py's `segl12_filter`), FILTER costs 1.14x the
    # CPU time of CASE for the twelve TPC-H segments and 1.19x for fifty, because DuckDB
    # shares a condition used by several CASEs (common subexpressions) but evaluates each
    # aggregate's FILTER on its own. Engines that answer both the same way may turn it on.
    aggregate_filter: bool = False
    # True where `LIMIT` takes a scalar subquery: a `top`/`bottom` rank is then a sorted
    # top-N (`ORDER BY value, key LIMIT (SELECT P * count // 100 …)`) instead of a
    # `row_number()` window with the number ranked beside it (issue 15 item 2: on DuckDB
    # 2.0.1 the window over every customer cost more than the sort; bench/README.md).
    ranking_limit: bool = False
    # True to compute an ntile/quantile score (or a rank that is not a top-N) in its step's
    # SELECT, as a window partitioned by whether the ranking admits the entity (`CASE WHEN
    # admitted THEN ntile(5) OVER (PARTITION BY admitted ORDER BY …) END`), instead of in a
    # CTE of the admitted entities joined back by key. One date only. On DuckDB 2.0.1 the
    # CTEs read the step twice or more, which materializes it, and each adds a join of every
    # entity: the RFM members cost 0.93x the CPU inline at SF10, 0.89x at SF1 (medians
    # of interleaved rounds; one run of five: 1.05x), issue 15 item 2, bench/README.md.
    inline_rankings: bool = False
    # True where `x IN (SELECT …)` may stand anywhere a value may (not Spark: only in a
    # filter): a lookup read through one condition only (`part.p_type like "%BRASS%"`) is
    # then a semi-join of the events rows, `l_partkey IN (SELECT p_partkey FROM part WHERE
    # …) AS _lookup_1` in a subquery over the events table, instead of a LEFT JOIN of the
    # reduced lookup (issue 15 item 2: DuckDB's MARK join carries no lookup columns).
    semi_join_lookups: bool = False
    # The type dates are cast to: ClickHouse's DATE holds 1970-2149 only (earlier dates
    # wrap around), its DATE32 holds 1900-2299.
    date_type: str = "DATE"
    # The type timestamps are cast to: ClickHouse's DATETIME has whole seconds from 1970;
    # DATETIME64(6) has microseconds, like the others.
    timestamp_type: str = "TIMESTAMP"
    # Function names for upper and lower case that map every letter, not ASCII only.
    case_functions: tuple[str, str] | None = None
    # segl's `like` (and `contains`/`starts with`/`ends with`) is DuckDB's LIKE: case-
    # sensitive, no escape character, `%` and `_` its only special characters. The three
    # rules below say where a dialect's LIKE differs; like_match() is what applies them.
    # The character the dialect's LIKE escapes `%` and `_` with by default (None: none, as
    # in DuckDB, SQLite, Snowflake, Trino): a backslash in a pattern is doubled.
    like_escape: str | None = None
    # True where `[…]` in a LIKE pattern is a character class (T-SQL): `[` is written `[[]`.
    like_brackets: bool = False
    # True where LIKE ignores the case of ASCII letters and GLOB does not (SQLite): a
    # pattern is written as GLOB's, whose own wildcards (`*`, `?`, `[`) are bracketed.
    like_as_glob: bool = False
    # The bytes of a name the engine keeps, where it cuts longer names silently (PostgreSQL
    # keeps 63): two names alike in those bytes would be one column there.
    name_bytes: int | None = None
    # False where a `.` in a quoted name separates parts of a path (BigQuery reads
    # `a.b` as table b of dataset a, even quoted).
    dotted_names: bool = True
    # Names (without case) the engine cannot read back as columns of a subquery: SQLite
    # takes "true" and "false" for its boolean values there, whatever the quotes.
    unusable_names: frozenset[str] = frozenset()
    # True where a many-dates pass read from running totals (one row per entity and date
    # already) must be grouped by (entity, date) for the engine to index it when joining it
    # into the entity rows: SQLite otherwise scans it for every (entity, date) row (6
    # month-ends of the example shop: about 200 s against 10 s; bench/README.md).
    group_running: bool = False
    notes: tuple[str, ...] = field(default=())


RULES: dict[str, DialectRules] = {
    "duckdb": DialectRules("duckdb", _duckdb_file, frozenset({"parquet", "csv"}),
                           ranking_limit=True, semi_join_lookups=True, inline_rankings=True),
    "postgres": DialectRules("postgres", like_escape="\\", name_bytes=63),
    "redshift": DialectRules("redshift", like_escape="\\", name_bytes=127),
    "snowflake": DialectRules("snowflake"),  # LIKE has no default escape character
    "bigquery": DialectRules("bigquery", like_escape="\\", dotted_names=False),
    "spark": DialectRules("spark", _spark_file, frozenset({"parquet"}), like_escape="\\"),
    "databricks": DialectRules("databricks", _spark_file, frozenset({"parquet"}),
                               like_escape="\\"),
    "clickhouse": DialectRules("clickhouse", _clickhouse_file, frozenset({"parquet", "csv"}),
                               as_of_parameter="{as_of:Date32}", date_type="Nullable(Date32)",
                               timestamp_type="Nullable(DateTime64(6))",
                               case_functions=("upperUTF8", "lowerUTF8"),
                               kpi_settings=(("group_by_use_nulls", 1),), like_escape="\\"),
    "tsql": DialectRules("tsql", boolean_values=False, like_brackets=True),
    "sqlite": DialectRules("sqlite", grouping_sets=False, date_part=_sqlite_date_part,
                           exact_decimals=False, unusable_names=frozenset({"true", "false"}),
                           like_as_glob=True, group_running=True),
    "mysql": DialectRules("mysql", grouping_sets=False, like_escape="\\"),
}


def rules_for(dialect: str) -> DialectRules:
    return RULES.get(dialect, DialectRules(dialect))


# ---------------------------------------------------------------- LIKE
# A LIKE pattern as a GLOB pattern: GLOB's own wildcards are bracketed first (so that they
# match themselves), then LIKE's `%` and `_` become GLOB's `*` and `?`. As REPLACE calls the
# order matters: `[` before the replacements that add brackets, `*`/`?` before `%`/`_`
# become them. A backslash is an ordinary character in both.
_GLOB_STEPS = (("[", "[[]"), ("*", "[*]"), ("?", "[?]"), ("%", "*"), ("_", "?"))


def glob_pattern(like: str) -> str:
    """A LIKE pattern written as the GLOB pattern that matches the same texts."""
    return _rewrite_text(like, _GLOB_STEPS)


def like_match(rules: DialectRules, value: exp.Expression,
               pattern: exp.Expression) -> exp.Expression:
    """`value LIKE pattern` with segl's meaning in the dialect of `rules`: case-sensitive,
    `%` and `_` the only special characters. A literal pattern is rewritten here; any other
    is rewritten by the query (REPLACE), so a pattern from a column means the same."""
    if rules.like_as_glob:
        return exp.Glob(this=value, expression=_rewrite(pattern, _GLOB_STEPS))
    steps: list[tuple[str, str]] = []
    if rules.like_escape:
        steps.append((rules.like_escape, rules.like_escape * 2))
    if rules.like_brackets:
        steps.append(("[", "[[]"))
    return exp.Like(this=value, expression=_rewrite(pattern, tuple(steps)))


def _rewrite(pattern: exp.Expression, steps: tuple[tuple[str, str], ...]) -> exp.Expression:
    if not steps:
        return pattern
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return exp.Literal.string(_rewrite_text(pattern.name, steps))
    for old, new in steps:
        pattern = exp.Replace(this=pattern, expression=exp.Literal.string(old),
                              replacement=exp.Literal.string(new))
    return pattern


def _rewrite_text(text: str, steps: tuple[tuple[str, str], ...]) -> str:
    # One pass over the characters: what a step writes is never rewritten by another.
    replacements = dict(steps)
    return "".join(replacements.get(character, character) for character in text)


# Words reserved in at least one dialect segl compiles for (every word PostgreSQL reserves,
# the common ones of the others, and every word sqlglot's parser refuses as a bare name in
# one of them): identifiers spelled like these are quoted. (Quoting a lowercase name is
# harmless except on Snowflake, where a quoted name keeps its case: the list stays short.)
_RESERVED = """
    all alter analyse analyze and any array as asc asymmetric at authorization begin
    between binary both by case cast charset check collate collation column concurrently
    constraint create cross current current_catalog current_date current_role
    current_schema current_time current_timestamp current_user date day default deferrable
    delete desc describe distinct do drop else end except exists false fetch filter for
    force foreign freeze from full glob global grant group having hour if ilike in initially
    inner insert install intersect interval into is isnull join key lateral leading left
    like limit localtime localtimestamp match_recognize minus minute month natural not
    notnull null of offset on only option or order outer over overlaps partition
    partitioned_by percent placing prewhere primary qualify range references regexp
    returning revoke right rlike rollback rollup row rows sample second select
    serdeproperties session_user set similar some symmetric system_user table tablesample
    then time timestamp to top trailing true uncache undrop union unique unknown update
    user using value values variadic verbose when where window with within xor year
"""
RESERVED_WORDS = frozenset(_RESERVED.split())
