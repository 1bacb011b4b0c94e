"""Property: every name and literal the language accepts works on every engine.

Hypothesis draws names for every kind of definition (entity, key, columns, events table,
time column, feature, segments, segmentation, buckets, parameter) from quotes, backslashes,
`;`, `--`, `/*`, `*/`, `%`, `_`, `*`, `^…$`, `.`, the names segl gives its own columns
and CTEs (`_key`, `_as_of`, `orders__m1`, `_rank_1`, `base`, `step_1`, …: the columns and
sources only, definitions of those names are refused), Dutch diacritics (ë, ĳ), emoji (a ZWJ
sequence too), a no-break space, a line separator and reserved words of several dialects;
the data's own column names are those names. Text literals hold quotes, backslashes, `%` and
`_` (in `like` and in `contains`), newlines and comment markers. Each drawn file

- compiles for every dialect of the SQL snapshots; sqlglot parses each back into one
  statement in which every drawn name is an identifier, unchanged;
- runs on DuckDB, SQLite, PostgreSQL and Polars with identical members, buckets and
  counts, equal to a plain Python computation of the segments;
- writes the long output with each segment name and `segmentation.bucket` as values.

A longer hunt: SEGL_NAME_EXAMPLES=500 pytest tests/security/test_names_on_engines.py
"""

from __future__ import annotations

import csv
import os
import re
import textwrap
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from segl.compiler.api import compile_file, to_sql
from segl.compiler.diagnostics import CompileError
from segl.runtime.api import evaluate
from segl.runtime.engines import available
from segl.runtime.errors import UsageError
from segl.runtime.outputs import members_query, write_atomically
from sqlglot import exp

from tests.conftest import parse_back
from tests.sql.test_snapshots import DIALECTS

EXAMPLES = int(os.environ.get("SEGL_NAME_EXAMPLES", "12"))
ENGINES = [name for name in ("sqlite", "postgres", "polars") if available(name)]
AS_OF = date(2026, 6, 30)

PIECES = ["'", '"', "\\", ";", "--", "/*", "*/", " ", ".", ",", "(", ")", "[", "]", "{", "}",
          "$", "?", ":", "@", "%", "_", "*", "^", "#", "=", "|", "é", "ë", "ĳ", "ü", "ß", "İ",
          "🚀", "👩‍💻", "\u00a0", "\u2028", "DROP TABLE t", "a", "B", "x1"]
RESERVED = ["select", "from", "order", "group", "user", "table", "key", "default", "limit",
            "where", "drop", "rlike", "returning", "notnull", "sample", "value", "date", "all",
            "segment", "base", "true", "FALSE"]
# Names segl gives its own columns and CTEs (tests/security/test_internal_names.py): the
# data's columns may have them (definitions may not: E105), the sources may be named like a CTE.
INTERNAL_COLUMNS = ["_key", "_position", "_count", "_as_of", "_rank_as_of", "_dates", "_seg",
                    "_t", "_a", "_next", "_running", "_col_1", "_KEY", "orders__m1", "_rank_1",
                    "_score_x", "segl_kind", "ranked_rank_1_position", "as_of", "base", "step_1"]
INTERNAL_TABLES = ["base", "step_1", "step_2", "_dates", "_running", "_ranked", "agg_orders",
                   "ranked_rank_1", "pass_0", "numbered"]
COLUMN_KINDS = ("key", "text", "number", "time", "amount")
LITERAL_PIECES = ["'", '"', "\\", "%", "_", "\n", "\t", "--", "/*", "*/", ";", "a", "b", "é",
                  "🚀", " ", "[x]", "DROP TABLE t"]


def _usable(name: str) -> bool:
    # what the grammar's backquoted name takes, less what E002 refuses (tested elsewhere)
    return bool(name.strip()) and "`" not in name and not any(
        ord(c) < 32 or 127 <= ord(c) < 160 for c in name)


names = st.one_of(
    st.sampled_from(RESERVED),
    st.lists(st.sampled_from(PIECES + RESERVED), min_size=1, max_size=4).map("".join),
    st.sampled_from(["*", "^a$", "^", "$"]),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=6),
).filter(_usable)
literals = st.lists(st.sampled_from(LITERAL_PIECES), min_size=0, max_size=4).map("".join)
KINDS = ["entity", "key", "text", "number", "events", "time", "amount", "feature", "equal",
         "matches", "active", "segmentation", "first", "other", "param"]


def seg_string(value: str) -> str:
    """A text value as a .seg string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\t", "\\t") + '"'


def like(value: str, pattern: str) -> bool:
    """SQL LIKE as segl defines it: % any run, _ one character, no escape character."""
    parts = ["%" if c == "%" else "_" if c == "_" else re.escape(c) for c in pattern]
    regex = "".join(".*" if p == "%" else "." if p == "_" else p for p in parts)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def expected(n, customers, orders, lit):
    """The segments in plain Python: key -> (equal, matches, active, bucket)."""
    counts: dict[int, int] = {}
    for key, at, amount in orders:
        if amount is not None and amount > 1 and at.date() <= AS_OF:
            counts[key] = counts.get(key, 0) + 1
    result = {}
    for key, text, number in customers:
        equal = text is not None and text in (lit["equal"], lit["param"])
        matches = text is not None and (lit["contains"] in text or like(text, lit["like"])
                                        or text.startswith(lit["starts"]))
        active = counts.get(key, 0) >= 1 and number is not None and number > 0
        result[key] = (equal, matches, active, n["first"] if equal else n["other"])
    return result


def refused(dialect: str, identifiers: set[str]) -> bool:
    """Whether the dialect refuses (E301) one of the names: BigQuery splits a quoted name at
    its dots; SQLite reads a subquery's column "true" or "false" as the boolean."""
    if dialect == "bigquery":
        return any("." in name for name in identifiers)
    if dialect == "sqlite":
        return any(name.casefold() in ("true", "false") for name in identifiers)
    return False


def source(n, lit) -> str:
    q = {kind: f"`{name}`" for kind, name in n.items()}
    return textwrap.dedent(f"""\
        param {q['param']} = {seg_string(lit['param'])}
        entity {q['entity']} from parquet "data/customers.parquet",
          table {seg_string('wh.' + q['entity'])} key {q['key']}
        events {q['events']} from parquet "data/orders.parquet",
          table {seg_string('wh.' + q['events'])} key {q['key']} at {q['time']}
        feature {q['feature']} = count({q['events']} where {q['amount']} > 1)
        segment {q['equal']} = {q['text']} = {seg_string(lit['equal'])}
          or {q['text']} = {q['param']}
        segment {q['matches']} = {q['text']} contains {seg_string(lit['contains'])}
          or {q['text']} like {seg_string(lit['like'])}
          or {q['text']} starts with {seg_string(lit['starts'])}
        segment {q['active']} = {q['feature']} >= 1 and {q['number']} > 0
        segmentation {q['segmentation']} {{
          {q['first']} when {q['equal']}
          else {q['other']}
        }}
        """)


# (found by CI: a key named `segment`, which the long output refuses)
@example(drawn=["from", "segment", "select", "group", "key", "'", "''", "*", "0", "ü", "=", "1",
                "00", "\\", '"'],
         internal=dict.fromkeys((*COLUMN_KINDS, "entity", "events")),
         lit=dict.fromkeys(("equal", "contains", "like", "starts", "param"), ""),
         others=[None, None], numbers=[None], order_rows=[])
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(drawn=st.lists(names, min_size=len(KINDS), max_size=len(KINDS), unique_by=str.casefold),
       internal=st.fixed_dictionaries(
           {k: st.one_of(st.none(), st.sampled_from(INTERNAL_COLUMNS if k in COLUMN_KINDS
                                                    else INTERNAL_TABLES))
            for k in (*COLUMN_KINDS, "entity", "events")}),
       lit=st.fixed_dictionaries({k: literals for k in
                                  ("equal", "contains", "like", "starts", "param")}),
       others=st.lists(st.one_of(st.none(), literals), min_size=2, max_size=5),
       numbers=st.lists(st.one_of(st.none(), st.integers(-2, 3)), min_size=1, max_size=7),
       order_rows=st.lists(st.tuples(st.integers(1, 8), st.integers(-40, 5),
                                     st.sampled_from([None, 0.5, 1.0, 2.5])), max_size=10))
def test_names_and_literals_work_on_every_engine(project, request, tmp_path_factory, drawn,
                                                 internal, lit, others, numbers, order_rows):
    n = dict(zip(KINDS, drawn, strict=True))
    for kind, name in internal.items():  # a column or source named like segl's own
        if name is not None and name.casefold() not in {v.casefold() for v in n.values()}:
            n[kind] = name
    # Text values that meet each pattern, miss it by a little, and the drawn others.
    pool = [lit["equal"], lit["param"], lit["contains"] + "é", "x" + lit["starts"],
            lit["starts"] + "y", lit["like"].replace("%", "zz").replace("_", "q"), *others]
    customers = [(key, pool[(key - 1) % len(pool)], numbers[(key - 1) % len(numbers)])
                 for key in range(1, 10)]
    orders = [(key, datetime.combine(AS_OF, datetime.min.time()) + timedelta(days=shift),
               amount) for key, shift, amount in order_rows]
    want = expected(n, customers, orders, lit)
    # SQLite's LIKE ignores the case of ASCII letters (issue 9, item 5, another branch):
    # skip the draws where only case would decide, until it matches case as the others do.
    folded = expected(n, [(k, t.lower() if t else t, v) for k, t, v in customers], orders,
                      {k: v.lower() for k, v in lit.items()})
    assume([w[:3] for w in want.values()] == [f[:3] for f in folded.values()])
    path = project(source(n, lit), {
        "customers": [{n["key"]: k, n["text"]: t, n["number"]: v} for k, t, v in customers],
        "orders": [{n["key"]: k, n["time"]: at, n["amount"]: a} for k, at, a in orders],
    }, {"customers": {n["key"]: pl.Int64, n["text"]: pl.String, n["number"]: pl.Int64},
        "orders": {n["key"]: pl.Int64, n["time"]: pl.Datetime("us"), n["amount"]: pl.Float64}})

    compilation = compile_file(path)
    assert compilation.ok, [d.render() for d in compilation.diagnostics]
    identifiers = {n[k] for k in KINDS if k not in ("param", "first", "other")}
    for dialect in DIALECTS:
        if refused(dialect, identifiers):
            with pytest.raises(CompileError) as refusal:
                to_sql(compilation, dialect, AS_OF)
            assert {d.code for d in refusal.value.diagnostics} == {"E301"}
            assert all(d.span is not None for d in refusal.value.diagnostics)
            continue
        (statement,) = parse_back(to_sql(compilation, dialect, AS_OF), dialect)
        found = {i.this for i in statement.find_all(exp.Identifier)}
        assert identifiers <= found, (dialect, identifiers - found)

    segments = [n["equal"], n["matches"], n["active"]]
    rows = [(k, *want[k]) for k in sorted(want)]
    reference = evaluate(path, AS_OF)
    query = f"SELECT * FROM {reference.table} ORDER BY 1"
    assert reference.connection.execute(query).fetchall() == rows
    for engine in ENGINES:
        options = {"url": request.getfixturevalue("postgres_url")} if engine == "postgres" \
            else {}
        if refused(engine, identifiers):
            with pytest.raises(CompileError):
                evaluate(path, AS_OF, engine=engine, engine_options=options)
            continue
        other = evaluate(path, AS_OF, engine=engine, engine_options=options)
        assert other.connection.execute(query).fetchall() == rows, engine
        assert (other.sizes, other.buckets) == (reference.sizes, reference.buckets), engine

    out = str(tmp_path_factory.mktemp("long") / "members.csv")
    if n["key"].casefold() == "segment":   # the long output's own column: refused
        with pytest.raises(UsageError, match="--shape wide"):
            members_query(reference.table, n["key"], segments, "long", [n["segmentation"]])
        return
    write_atomically(reference.connection, members_query(
        reference.table, n["key"], segments, "long", [n["segmentation"]]), out, "csv")
    with open(out, newline="", encoding="utf-8") as stream:
        written = {tuple(row) for row in list(csv.reader(stream))[1:]}
    assert written == {
        *((str(k), name) for k, *flags, _ in rows for name, flag in zip(segments, flags,
                                                                        strict=True) if flag),
        *((str(k), f"{n['segmentation']}.{bucket}") for k, *_, bucket in rows),
    }
