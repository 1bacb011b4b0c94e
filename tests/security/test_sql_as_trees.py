"""SQL is built only as sqlglot trees (or with bound parameters), never by formatting text.

Three rules, checked on the source of every module in compiler/ and runtime/ (an AST scan,
so a comment or a docstring cannot trip them and no code has to run):

1. One door. Outside runtime/sql.py no code calls a method named `execute`,
   `executemany`, `query`, `sql` or `from_query` (DuckDB, sqlite3, psycopg, chdb and Spark
   all run SQL text through one of those), nor `copy(…)` with arguments (psycopg's COPY);
   the compiler only renders trees (`.sql`) and imports no database driver. runtime/sql.py
   renders a tree with sqlglot, and refuses anything that is not a tree (NotATree, tested
   below), so text can reach a database only as sqlglot wrote it from a tree.
2. No SQL-shaped string building. No f-string, `%` formatting, `.format`, `+` or
   `str.join` whose constant text looks like SQL (an uppercase keyword, a `count(`-like
   call, `filter (where`, `… by`, `insert into` …): the habit that spliced names into
   queries. Messages mention SQL in lowercase prose and pass.
3. No parsing of built text. sqlglot's text entry points (`parse_one`, `parse`,
   `maybe_parse`, `to_table`, `to_column`, `condition`) take constant strings only, and a
   sqlglot builder (`from_`, `join`, `where`, `select`, `with_`, …) is never handed a
   string built at run time: sqlglot would parse a name there as SQL.

The scan is checked against the code it replaced: the previous runtime (git history, kept as
fixtures below) trips it, the current code does not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest
from segl.runtime import sql
from sqlglot import exp

from tests.conftest import ROOT

MODULES = sorted([*(ROOT / "compiler").rglob("*.py"), *(ROOT / "runtime").rglob("*.py")])
DOOR = ROOT / "runtime" / "sql.py"

RUNS_SQL = {"execute", "executemany", "query", "sql", "from_query"}
DRIVERS = {"duckdb", "psycopg", "sqlite3", "chdb", "pyspark"}
PARSES_TEXT = {"parse_one", "parse", "maybe_parse", "to_table", "to_column", "condition"}
BUILDERS = {"from_", "join", "where", "select", "with_", "group_by", "order_by", "having",
            "union", "subquery"}
SQL_TEXT = re.compile(
    r"\b(SELECT|FROM|WHERE|JOIN|CREATE|DROP|INSERT|UPDATE|DELETE|COPY|DESCRIBE|UNION|"
    r"GROUP BY|ORDER BY|LIMIT|ALTER|ANALYZE|VALUES|TABLE|CAST|COUNT|FILTER|COALESCE|"
    r"DISTINCT|REPLACE|SETTINGS)\b"
    r"|\b(read_parquet|read_csv|strftime|nullif)\s*\("
    r"|\bfilter\s*\(\s*where\b|\b(group|order) by\b|\bunion all\b|\binsert into\b"
    r"|\bselect\b.*\bfrom\b|\b(create|drop)( or replace)?( temp(orary)?)? table\b")


def constant_text(node: ast.AST) -> str:
    """The literal text pieces of a string-building expression."""
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


def is_built_string(node: ast.AST) -> bool:
    """An f-string, `%` on a string, `.format` on a string, or `+` with a string."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return any(isinstance(side, (ast.Constant, ast.JoinedStr)) and
                   (not isinstance(side, ast.Constant) or isinstance(side.value, str))
                   for side in (node.left, node.right))
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "join")
            and isinstance(node.func.value, (ast.Constant, ast.JoinedStr)))


def imported(tree: ast.AST) -> dict[str, str]:
    """Names bound by imports in a module: name -> the module it comes from."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            origin = "." * node.level + (node.module or "")
            names.update({a.asname or a.name: origin for a in node.names})
        elif isinstance(node, ast.Import):
            names.update({(a.asname or a.name).split(".")[0]: a.name for a in node.names})
    return names


def problems(source: str, path: str, door: bool = False, compiler: bool = False) -> list[str]:
    """Every place in `source` that breaks one of the three rules."""
    found = []
    tree = ast.parse(source)
    names = imported(tree)
    # the door itself: `sql` imported from the runtime package (`from . import sql`)
    door_name = names.get("sql") in (".", "..", "segl.runtime")
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, (ast.Import, ast.ImportFrom)) and compiler:
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            if any(module.split(".")[0] in DRIVERS for module in modules):
                found.append(f"{where}: the compiler imports a database driver")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, given = node.func.attr, bool(node.args or node.keywords)
            through_door = door_name and isinstance(node.func.value, ast.Name) and \
                node.func.value.id == "sql"
            runs = name in RUNS_SQL and given and not (compiler and name == "sql")
            if not door and not through_door and (runs or (name == "copy" and given)):
                found.append(f"{where}: `.{name}(…)` runs SQL outside runtime/sql.py")
        if isinstance(node, ast.Call):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            of_sqlglot = (isinstance(receiver, ast.Name) and
                          names.get(receiver.id, "").startswith("sqlglot")) or \
                (receiver is None and names.get(function, "").startswith("sqlglot"))
            if function in PARSES_TEXT and of_sqlglot and any(
                    not isinstance(arg, ast.Constant) for arg in node.args[:1]):
                found.append(f"{where}: `{function}` parses text that is not a constant")
            if function in BUILDERS and not isinstance(receiver, ast.Constant) and any(
                    is_built_string(arg) for arg in [*node.args,
                                                     *(k.value for k in node.keywords)]):
                found.append(f"{where}: `{function}` is given a built string (parsed as SQL)")
        if is_built_string(node) and SQL_TEXT.search(constant_text(node)):
            found.append(f"{where}: SQL built as text: {constant_text(node)[:60]!r}")
    return found


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_builds_sql_only_as_trees(module: Path):
    relative = module.relative_to(ROOT)
    assert problems(module.read_text(encoding="utf-8"), str(relative), door=module == DOOR,
                    compiler=relative.parts[0] == "compiler") == []


# Lines of the runtime before this rule (git history), each of which the scan must catch.
FORMERLY = {
    "long output": """
def members_query(table, key, segments):
    parts = [f"SELECT {k}, '{s}' AS segment, {i} AS _order FROM {table} WHERE {c}"
             for i, s in enumerate(segments)]
    return " UNION ALL ".join(parts)
""",
    "COPY target": """
def write(connection, query, temp, options):
    escaped = temp.replace("'", "''")
    connection.execute(f"COPY ({query}) TO '{escaped}' ({options})")
""",
    "loader": """
def load(connection, name, columns):
    connection.execute(f'CREATE TABLE "{name}" ({columns})')
""",
    "diff counts": """
def counts(b, h, n):
    return [f"count(*) filter (where {b})", f"min(segl_key, {n}) filter (where {h})"]
""",
    "location": """
def relation(location):
    return "read_parquet('" + location.path + "')"
""",
    "parsed name": """
def cte(final, name, query):
    return final.with_(f"agg_{name}", as_=query)
""",
    "parsed location": """
from sqlglot import exp

def source(location, dialect):
    return exp.to_table(location.target, dialect=dialect)
""",
    "header": """
def run(connection, sql):
    return connection.execute(sql)
""",
}


@pytest.mark.parametrize("name", FORMERLY)
def test_the_scan_catches_what_it_replaced(name):
    assert problems(FORMERLY[name], name)


def test_prose_about_sql_passes():
    ok = '''
def message(table, column, path):
    return [f"{table}: column `{column}` is declared but the data has no such column",
            f"cannot read `{path}`: select a file that exists", "as a " + table]
'''
    assert problems(ok, "ok") == []


@pytest.mark.parametrize("text", ["SELECT 1", "DROP TABLE victim", b"SELECT 1"])
def test_the_door_refuses_text(text):
    connection = duckdb.connect()
    with pytest.raises(sql.NotATree):
        sql.execute(connection, text)  # type: ignore[arg-type]
    with pytest.raises(sql.NotATree):
        sql.fetch_all(connection, text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["count(*)", "1; DROP TABLE victim"])
def test_the_relation_door_refuses_text(text):
    # (DuckDB's relation API would parse a string as SQL: runtime/sql.py takes only
    # expression objects there, which quote every name)
    relation = duckdb.connect().table_function("range", [3])
    with pytest.raises(sql.NotATree):
        sql.aggregate_row(relation, text)  # type: ignore[arg-type]
    with pytest.raises(sql.NotATree):
        sql.project_rows(relation, duckdb.col("range"), text)  # type: ignore[arg-type]
    assert sql.aggregate_row(relation, duckdb.count_all(), duckdb.col("range").n_unique()) \
        == (3, 3)


def test_a_relation_after_a_result_left_unread():
    # (DuckDB refuses a relation while an earlier result is pending: the helpers run it to
    # its end first, as `segl run` leaves one before checking the keys)
    connection = duckdb.connect()
    sql.execute(connection, sql.select(sql.number(1)))
    relation = sql.read_parquet(connection, str(ROOT / "examples/shop/data/campaigns.parquet"))
    assert sql.aggregate_row(relation, duckdb.count_all())[0] > 0
    sql.execute(connection, sql.select(sql.number(1)))
    assert sql.columns(sql.relation(connection, sql.select(sql.number(1))))[0][1] == "INTEGER"


# Each builder as the text sqlglot renders (a sqlglot upgrade that renames an argument
# would otherwise render an empty statement: `DROP TABLE IF EXISTS` with no table).
BUILT = [
    (sql.drop_table("pg_temp", "segl_web orders"), "postgres",
     'DROP TABLE IF EXISTS pg_temp."segl_web orders"'),
    (sql.analyze('a"b'), "postgres", 'ANALYZE "a""b"'),
    (sql.create_table("t", [sql.column_def('x"); DROP TABLE v; --',
                                           exp.DataType.build("TEXT"), "C")],
                      temporary=True), "postgres",
     'CREATE TEMPORARY TABLE t ("x""); DROP TABLE v; --" TEXT COLLATE "C")'),
    (sql.insert_values("t", ["a", "b c"]), "sqlite", 'INSERT INTO t (a, "b c") VALUES (?, ?)'),
    (sql.insert_values("t", ["a"]), "postgres", "INSERT INTO t (a) VALUES (%s)"),
    (sql.copy_to(sql.select(exp.Star(), source=sql.table_ref("m")), "it's.csv",
                 {"FORMAT": "csv", "HEADER": True}), "duckdb",
     "COPY (SELECT * FROM m) TO 'it''s.csv' WITH (FORMAT csv, HEADER TRUE)"),
    (sql.create_table_as("m", sql.select(sql.count_where(sql.col("it's")),
                                         source=sql.table_as("x y", "s"))), "duckdb",
     "CREATE OR REPLACE TEMPORARY TABLE m AS SELECT COUNT(*) FILTER(WHERE \"it's\") "
     'FROM "x y" AS s'),
    (sql.describe(sql.select(exp.Star(), source=sql.table_ref("crm", "web orders"))),
     "duckdb", 'DESCRIBE SELECT * FROM crm."web orders"'),
]


@pytest.mark.parametrize("tree,dialect,text", BUILT, ids=[t for _, _, t in BUILT])
def test_builders_render_what_they_say(tree, dialect, text):
    assert sql.render(tree, dialect) == text
