"""`mode changes` exports (docs/activation.md): who joined and who left since the last export.

The rows written are `(key, change, traits…)`: `joined` for a member kept now (with consent,
outside the holdout and the suppression list) who was not in the baseline, with the traits;
`left` for a key of the baseline that is not kept now, with the key only (no trait of
someone who may have withdrawn consent leaves). Ordered by key.

The baseline is the last export before as_of:
- from the history table of `segl snapshot` (`--history FILE`, docs/time.md) when it has the
  export's segment recorded at a date before as_of: the segment's members at the latest such
  date, less the holdout. The history records membership only, not consent or suppression:
  someone who lost consent or was suppressed since still leaves (they are not kept now); one
  who was a member then without consent and has given it since is not counted as joined;
- otherwise from the state segl keeps beside the target: the keys it exported at each as_of
  (`TARGET.segl-state.parquet` beside a file; the table `NAME__segl_state` beside a table, in
  the same warehouse: DuckDB, PostgreSQL, SQLite or Spark, runtime/export_state.py), the
  latest before as_of. Without either, everyone kept joins.
The state of as_of is replaced after each successful write, so re-running an export at the
same as_of compares with the same baseline and writes the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from segl.compiler.api import Export
from sqlglot import exp

from . import export_state, history_store, sql
from .atomic_files import atomic_path

CHANGE = "change"
JOINED, LEFT = "joined", "left"
STATE_SUFFIX = ".segl-state.parquet"
STATE_TABLE = "__segl_state"
KEY, AS_OF = "key", "as_of"  # the state's columns
BASELINE = "segl_baseline"  # temporary: the baseline's keys


@dataclass(frozen=True)
class Baseline:
    source: str  # "history", "state" or "none"
    as_of: date | None
    keys: int


def _date(value: date) -> exp.Expression:
    return exp.cast(sql.text(value.isoformat()), exp.DataType.Type.DATE)


def state_location(export: Export) -> tuple[str | None, tuple[str, ...]]:
    """Where the export's state is kept: a Parquet file path, or a table's parts (in the
    warehouse of the export's table)."""
    target = export.target
    if target.format == "table":
        *schema, name = target.table
        return None, (*schema, name + STATE_TABLE)
    assert target.path is not None
    return target.path + STATE_SUFFIX, ()


def _state_source(connection, export: Export, engine: str) -> exp.Expression | None:
    path, table = state_location(export)
    if path is None and export_state.in_warehouse(engine):
        return sql.table_ref(export_state.ALL)  # (read by load_baseline; maybe empty)
    if path is not None:
        if not Path(path).is_file():
            return None
        return exp.func("read_parquet", sql.text(path))
    *schema, name = table
    query = sql.select(sql.count_all(), source=sql.table_ref("information_schema", "tables"))
    query = query.where(exp.and_(
        exp.EQ(this=sql.col("table_name"), expression=sql.text(name)),
        exp.EQ(this=sql.col("table_schema"), expression=sql.text(schema[-1] if schema
                                                                else "main"))), copy=False)
    return sql.table_ref(*table) if sql.fetch_one(connection, query)[0] else None


def load_baseline(connection, export: Export, as_of: date, held: exp.Select,
                  history: str | None, history_table: str | None, engine: str = "duckdb",
                  engine_options: dict | None = None, key_type: str = "VARCHAR") -> Baseline:
    """The baseline's keys as the temporary table BASELINE (one column `key`). `held`: the
    keys in the holdout now (left out of a history baseline). A table's state in a
    warehouse other than DuckDB (`engine`) is read first, its keys cast to `key_type`."""
    _, table = state_location(export)
    if table and export_state.in_warehouse(engine):
        export_state.load(connection, table, key_type, engine, engine_options or {},
                          (AS_OF, KEY))
    if history:
        found = _history_baseline(connection, export, as_of, held, history,
                                  history_table or history_store.DEFAULT_TABLE)
        if found is not None:
            return found
    source = _state_source(connection, export, engine)
    when = None
    if source is not None:
        before = exp.LT(this=sql.col(AS_OF), expression=_date(as_of))
        when = sql.fetch_one(connection, sql.select(exp.Max(this=sql.col(AS_OF)),
                                                    source=source.copy()).where(before))[0]
    keys = sql.select(sql.col(KEY), source=source.copy()).where(
        exp.EQ(this=sql.col(AS_OF), expression=_date(when))) if when is not None else \
        sql.select(sql.aliased(exp.null(), KEY)).where(exp.false())
    sql.execute(connection, sql.create_table_as(BASELINE, keys))
    return _counted(connection, "state" if when is not None else "none", when)


def _counted(connection, source: str, when: date | None) -> Baseline:
    (keys,) = sql.fetch_one(connection, sql.select(sql.count_all(),
                                                   source=sql.table_ref(BASELINE)))
    return Baseline(source, when, int(keys))


def _history_baseline(connection, export: Export, as_of: date, held: exp.Select,
                      path: str, table: str) -> Baseline | None:
    history_store.attach(connection, path, read_only=True)
    try:
        if not history_store.exists(connection, table):
            return None
        target = history_store.TARGET
        segment = exp.EQ(this=sql.col(history_store.OBJECT), expression=sql.text(export.segment))
        before = exp.LT(this=sql.col(history_store.AS_OF), expression=_date(as_of))
        when = sql.fetch_one(connection, sql.select(
            exp.Max(this=sql.col(history_store.AS_OF)),
            source=sql.table_ref(target, "main", history_store.dates_table(table))).where(
                exp.and_(segment.copy(), before)))[0]
        if when is None:
            return None
        valid_to = sql.col(history_store.VALID_TO)
        members = sql.select(sql.aliased(sql.col(history_store.ENTITY), KEY),
                             source=sql.table_ref(target, "main", table)).where(exp.and_(
            segment, exp.EQ(this=sql.col(history_store.GROUP),
                            expression=sql.text(history_store.MEMBER)),
            exp.LTE(this=sql.col(history_store.VALID_FROM), expression=_date(when)),
            exp.or_(exp.Is(this=valid_to.copy(), expression=exp.null()),
                    exp.LT(this=_date(when), expression=valid_to)),
            exp.not_(exp.In(this=sql.col(history_store.ENTITY), query=sql.subquery(held)))))
        sql.execute(connection, sql.create_table_as(BASELINE, members))
        return _counted(connection, "history", when)
    finally:
        history_store.detach(connection)


def changes(kept: exp.Select, key: str, traits: list[str]) -> exp.Select:
    """The rows of a changes export: `kept` (key and traits of the members kept now) against
    BASELINE."""
    kept = kept.copy()
    kept.set("order", None)
    now = sql.subquery(kept, "now")
    in_baseline = exp.In(this=sql.col(key), query=sql.subquery(
        sql.select(sql.col(KEY), source=sql.table_ref(BASELINE))))
    joined = sql.select(sql.col(key), sql.aliased(sql.text(JOINED), CHANGE),
                        *(sql.col(t) for t in traits), source=now.copy()).where(
        exp.not_(in_baseline))
    kept_keys = sql.subquery(sql.select(sql.col(key), source=now.copy()))
    left = sql.select(sql.aliased(sql.col(KEY), key), sql.aliased(sql.text(LEFT), CHANGE),
                      *(sql.aliased(exp.null(), t) for t in traits),
                      source=sql.table_ref(BASELINE)).where(
        exp.not_(exp.In(this=sql.col(KEY), query=kept_keys)))
    both = exp.union(joined, left, distinct=False)
    return sql.select(exp.Star(), source=sql.subquery(both, "changes")).order_by(
        sql.col(key), copy=False).order_by(sql.col(CHANGE), copy=False)


def count_changes(connection, rows: exp.Select) -> tuple[int, int]:
    """How many joined and how many left."""
    change = sql.col(CHANGE)
    found = sql.fetch_one(connection, sql.select(
        sql.count_where(exp.EQ(this=change.copy(), expression=sql.text(JOINED))),
        sql.count_where(exp.EQ(this=change, expression=sql.text(LEFT))),
        source=sql.subquery(rows.copy(), "rows")))
    return int(found[0]), int(found[1])


def record_state(connection, export: Export, as_of: date, kept: exp.Select,
                 key: str, engine: str = "duckdb", engine_options: dict | None = None) -> None:
    """Replace the state's keys of as_of with the keys kept now (in a warehouse other than
    DuckDB: the whole state table replaced, runtime/export_state.py)."""
    kept = kept.copy()
    kept.set("order", None)
    now = sql.select(sql.aliased(_date(as_of), AS_OF), sql.aliased(sql.col(key), KEY),
                     source=sql.subquery(kept, "now"))
    source = _state_source(connection, export, engine)
    rows: exp.Expression = now
    if source is not None:
        earlier = sql.select(sql.col(AS_OF), sql.col(KEY), source=source).where(
            exp.NEQ(this=sql.col(AS_OF), expression=_date(as_of)))
        rows = exp.union(earlier, now, distinct=False)
    ordered = sql.select(exp.Star(), source=sql.subquery(rows, "state")).order_by(
        sql.col(AS_OF), copy=False).order_by(sql.col(KEY), copy=False)
    path, table = state_location(export)
    if path is not None:
        with atomic_path(path) as temp:
            sql.execute(connection, sql.copy_to(ordered, temp, {"FORMAT": "parquet"}))
        return
    if export_state.in_warehouse(engine):
        from .export_tables import write_table

        write_table(connection, table, ordered, engine, engine_options or {})
        return
    staged = "segl_state_rows"  # (read before the table is replaced)
    sql.execute(connection, sql.create_table_as(staged, ordered))
    sql.execute(connection, exp.Transaction())
    try:
        sql.execute(connection, exp.Create(
            this=sql.table_ref(*table), kind="TABLE", replace=True,
            expression=sql.select(exp.Star(), source=sql.table_ref(staged))))
        sql.execute(connection, exp.Commit())
    except BaseException:
        sql.execute(connection, exp.Rollback())
        raise
