"""`segl compile --materialize history -d DIALECT`: the statements a scheduler runs once a
day, for a bound date `as_of`, to keep the membership history table (docs/time.md) in the
warehouse, with no segl at run time.

    1. CREATE TABLE IF NOT EXISTS <table>, <table>_dates (the shape `segl snapshot` writes)
    2. the members at as_of (the compiled query), then their points (entity, object, group)
       in temporary tables
    3. in one transaction (where the dialect has them):
       undo as_of if it is recorded already (a re-run): delete the intervals opened at
       as_of, reopen those closed at as_of, forget the date;
       close the open intervals of those no longer in their group (valid_to = as_of);
       open an interval for each point not continuing an open one (valid_from = as_of);
       record as_of in <table>_dates.

Run for dates in increasing order, the table equals what `segl snapshot` records for the
same dates; re-running the latest date gives the same table. Every statement of an object
applies only while as_of is on or after the object's latest recorded date: recording a
date before it (late data) is `segl snapshot`'s job, which rebuilds the intervals.

UPDATE and DELETE run where they always do; MERGE is not used: the close and the open are
two statements in one transaction, the same in every dialect (Snowflake and PostgreSQL
before 17 have no MERGE … WHEN NOT MATCHED BY SOURCE). Spark and Databricks have no
multi-statement transactions: the statements run one by one (on Delta tables, which
UPDATE and DELETE need)."""

from __future__ import annotations

from segl.compiler.api import AsOf, Model, Plan, Type, query_for_plan
from sqlglot import exp

from . import sql
from .history_store import (
    AS_OF,
    ENTITY,
    GROUP,
    MEMBER,
    OBJECT,
    VALID_FROM,
    VALID_TO,
    dates_table,
)

MEMBERS, POINTS = "segl_refresh_members", "segl_refresh_points"
NO_TRANSACTIONS = {"spark", "spark2", "databricks", "hive"}
_KEY_TYPES = {Type.INT: "BIGINT", Type.DATE: "DATE"}  # else text


def history_statements(plan: Plan, dialect: str, table: str = "segl_history",
                       objects: list[str] | None = None) -> list[exp.Expression]:
    """The statements, in order, as trees: `as_of` a bound parameter (exp.Placeholder)."""
    model = plan.model
    names = objects if objects is not None else [*plan.outputs, *plan.segmentations]
    parts = table.split(".")
    history, dates = sql.table_ref(*parts), sql.table_ref(*parts[:-1], dates_table(parts[-1]))
    day = exp.cast(exp.Placeholder(this="as_of"), "DATE")
    transaction = dialect not in NO_TRANSACTIONS
    statements: list[exp.Expression] = [*_create(model, history, dates)]
    for name, query in ((MEMBERS, query_for_plan(plan, dialect, AsOf.parse("param"))),
                        (POINTS, _points(model, names))):
        create = sql.create_table_as(name, query, temporary=True, replace=not transaction)
        if transaction:
            statements.append(sql.drop_table(name))
        else:  # Spark: a temporary view, replaced
            create.set("kind", "VIEW")
        statements.append(create)
    if transaction:
        statements.append(exp.Transaction())
    statements += _undo(history, dates, names, day)
    statements += [_close(history, dates, names, day), _open(history, dates, day),
                   _record(dates, names, day)]
    if transaction:
        statements.append(exp.Commit())
    for name in (POINTS, MEMBERS):
        drop = sql.drop_table(name)
        if not transaction:
            drop.set("kind", "VIEW")
        statements.append(drop)
    return statements


def history_script(plan: Plan, dialect: str, source: str, table: str = "segl_history",
                   objects: list[str] | None = None) -> str:
    """The statements as one script of the dialect, with a header saying how to run it."""
    header = [
        f"-- segl: the daily refresh of the membership history table {table} (docs/time.md)",
        f"-- source: {source}", f"-- dialect: {dialect}",
        "-- parameter: as_of, a date (YYYY-MM-DD) bound by the scheduler; run the",
        "-- statements in order, once per date, dates in increasing order",
    ]
    body = ";\n\n".join(sql.render(s, dialect, pretty=True) for s in history_statements(
        plan, dialect, table, objects))
    return "\n".join(header) + "\n" + body + ";\n"


def _create(model: Model, history: exp.Table, dates: exp.Table) -> list[exp.Create]:
    key = model.entity.column(model.entity.key or "")
    key_type = _KEY_TYPES.get(key.type if key else Type.TEXT, "TEXT")
    text, day = exp.DataType.build("TEXT"), exp.DataType.build("DATE")
    columns = {
        0: [sql.column_def(ENTITY, exp.DataType.build(key_type)), sql.column_def(OBJECT, text),
            sql.column_def(GROUP, text.copy()), sql.column_def(VALID_FROM, day),
            sql.column_def(VALID_TO, day.copy())],
        1: [sql.column_def(OBJECT, text.copy()), sql.column_def(AS_OF, day.copy())]}
    made = []
    for index, name in enumerate((history, dates)):
        create = exp.Create(this=exp.Schema(this=name.copy(), expressions=columns[index]),
                            kind="TABLE", exists=True)
        made.append(create)
    return made


def _points(model: Model, names: list[str]) -> exp.Expression:
    """(entity, object, group) of every member of each segment and every entity's bucket of
    each segmentation, from the members at as_of."""
    key = model.entity.key or ""
    parts: list[exp.Select] = []
    for name in names:
        group = sql.col(name) if name in model.segmentations else sql.text(MEMBER)
        part = sql.select(sql.aliased(sql.col(key), ENTITY), sql.aliased(sql.text(name), OBJECT),
                          sql.aliased(group, GROUP), source=sql.table_ref(MEMBERS))
        parts.append(part if name in model.segmentations else part.where(sql.col(name),
                                                                          copy=False))
    query: exp.Expression = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False, copy=False)
    return query


def _of(table: exp.Table, column: str) -> exp.Column:
    """`table.column`, the table by its own name (a correlated reference)."""
    return exp.Column(this=sql.ident(column), table=table.this.copy())


def _ours(table: exp.Table, names: list[str]) -> exp.Expression:
    return exp.In(this=_of(table, OBJECT), expressions=[sql.text(n) for n in names])


def _latest(history: exp.Table, dates: exp.Table, day: exp.Expression,
            object_column: exp.Expression) -> exp.Expression:
    """as_of is on or after the object's latest recorded date: no date after it."""
    source = dates.copy()
    source.set("alias", exp.TableAlias(this=sql.ident("later")))
    later = sql.select(sql.number(1), source=source).where(
        exp.and_(exp.EQ(this=sql.col(OBJECT, "later"), expression=object_column),
                 exp.GT(this=sql.col(AS_OF, "later"), expression=day.copy())), copy=False)
    return exp.Not(this=exp.Exists(this=later))


def _undo(history: exp.Table, dates: exp.Table, names: list[str],
          day: exp.Expression) -> list[exp.Expression]:
    """Forget as_of if it was recorded (a re-run of the latest date)."""
    ours = exp.and_(_ours(history, names), _latest(history, dates, day, _of(history, OBJECT)))
    opened = exp.Delete(this=history.copy(), where=exp.Where(this=exp.and_(
        exp.EQ(this=_of(history, VALID_FROM), expression=day.copy()), ours.copy())))
    reopened = exp.Update(this=history.copy(), expressions=[
        exp.EQ(this=sql.col(VALID_TO), expression=exp.Null())],
        where=exp.Where(this=exp.and_(
            exp.EQ(this=_of(history, VALID_TO), expression=day.copy()), ours.copy())))
    dates_ours = exp.and_(_ours(dates, names),
                          _latest(history, dates, day, _of(dates, OBJECT)))
    forgotten = exp.Delete(this=dates.copy(), where=exp.Where(this=exp.and_(
        exp.EQ(this=_of(dates, AS_OF), expression=day.copy()), dates_ours)))
    return [opened, reopened, forgotten]


def _same_point(history: exp.Table) -> exp.Expression:
    return exp.and_(*(exp.EQ(this=sql.col(c, "p"), expression=_of(history, c))
                      for c in (ENTITY, OBJECT, GROUP)))


def _close(history: exp.Table, dates: exp.Table, names: list[str],
           day: exp.Expression) -> exp.Update:
    """valid_to = as_of for the open intervals with no point at as_of: who left."""
    still = sql.select(sql.number(1), source=sql.table_as(POINTS, "p")).where(
        _same_point(history), copy=False)
    return exp.Update(this=history.copy(), expressions=[
        exp.EQ(this=sql.col(VALID_TO), expression=day.copy())],
        where=exp.Where(this=exp.and_(
            exp.Is(this=_of(history, VALID_TO), expression=exp.Null()), _ours(history, names),
            _latest(history, dates, day, _of(history, OBJECT)),
            exp.Not(this=exp.Exists(this=still)))))


def _open(history: exp.Table, dates: exp.Table, day: exp.Expression) -> exp.Insert:
    """An interval from as_of for each point no open interval continues: who entered."""
    continued = sql.select(sql.number(1), source=history.copy()).where(exp.and_(
        exp.Is(this=_of(history, VALID_TO), expression=exp.Null()), _same_point(history)),
        copy=False)
    query = sql.select(
        sql.col(ENTITY, "p"), sql.col(OBJECT, "p"), sql.col(GROUP, "p"),
        sql.aliased(day.copy(), VALID_FROM),
        sql.aliased(exp.cast(exp.Null(), "DATE"), VALID_TO),
        source=sql.table_as(POINTS, "p")).where(exp.and_(
            exp.Not(this=exp.Exists(this=continued)),
            _latest(history, dates, day, sql.col(OBJECT, "p"))), copy=False)
    schema = exp.Schema(this=history.copy(), expressions=[
        sql.ident(c) for c in (ENTITY, OBJECT, GROUP, VALID_FROM, VALID_TO)])
    return exp.Insert(this=schema, expression=query)


def _record(dates: exp.Table, names: list[str], day: exp.Expression) -> exp.Insert:
    """as_of in the dates table, for every object whose latest date it is."""
    objects: exp.Expression = sql.select(sql.aliased(sql.text(names[0]), OBJECT))
    for name in names[1:]:
        objects = exp.union(objects, sql.select(sql.aliased(sql.text(name), OBJECT)),
                            distinct=False, copy=False)
    query = sql.select(sql.col(OBJECT, "o"), sql.aliased(day.copy(), AS_OF),
                       source=sql.subquery(objects, "o")).where(
        _latest(dates, dates, day, sql.col(OBJECT, "o")), copy=False)
    schema = exp.Schema(this=dates.copy(), expressions=[sql.ident(OBJECT), sql.ident(AS_OF)])
    return exp.Insert(this=schema, expression=query)
