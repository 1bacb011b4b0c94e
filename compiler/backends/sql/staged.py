"""Many dates in bounded memory (issue 11, docs/time.md "Cost"): the one-pass query split
into stage tables and per-batch queries.

The one-pass query (`AsOf.many`, multi_date.py) computes every date at once: its operator
state (the segment rows joined to every date, the passes grouped per (entity, date), the
rankings over every date's entities) grows with the number of dates. Here the part that
does not depend on the dates is computed once and kept: each segmented pass's rows per
(entity, time segment) (`<pass>__seg`, segments.py: the partials, before any date is
applied) become a stage table, `CREATE TABLE <database>.main.<pass>__seg AS …`. The rest of
the query, with those CTEs reading the stage tables and its `_dates` and `<pass>__spans`
restricted to a few dates, is a batch query: run once per batch of dates, its rows are the
one-pass query's rows at those dates (the cuts, and so the segment rows, are those of every
date; each date reads only its own spans).

Passes that are not segmented (a measure that does not combine: joined to the dates on the
cap) stay in the batch queries as they are (each batch joins them to its own dates);
correlated passes are refused for many dates anyway (E301). `staged_query` returns None
when no pass is segmented (nothing to stage: the runtime runs the one query).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlglot import exp

from ...plan import AsOf, Plan
from .expressions import AS_OF_COLUMN
from .multi_date import DATES
from .trees import cte_alias, table_ref

if TYPE_CHECKING:
    from .generator import SourceOverride
    from .rollup import RollupSource

DATABASE = "segl_stages"  # the attached database holding the stage tables
SCHEMA = "main"
SEGMENT_ROWS, SPANS, DATED = "__seg", "__spans", "__dated"  # segments.py's CTE suffixes
RUN, RUNNING = "__run", "_running"  # a lifted running-totals CTE; segments.py's subquery


@dataclass(frozen=True)
class StagedQuery:
    """The one-pass query as stages and batches: run every `stages` statement once (each
    creates a table in `database`), then every batch query in order; the batch queries'
    rows, stacked, are `query`'s rows (ordered by date, then key)."""

    query: exp.Select  # the one-pass query (what `segl compile` prints)
    database: str
    stages: tuple[exp.Expression, ...]  # CREATE TABLE database.main.<pass>__seg AS … (and
    # INSERT INTO it, one per further slice of the entities)
    stage_tables: tuple[str, ...]  # the stage tables' names, in `database`
    batches: tuple[exp.Select, ...]  # one query per batch of dates
    batch_dates: tuple[tuple[date, ...], ...]  # each batch's dates


def staged_query(plan: Plan, dialect: str, as_of: AsOf, batch: int = 1,
                 sources: Mapping[str, SourceOverride] | None = None,
                 rollups: Mapping[str, RollupSource] | None = None,
                 database: str = DATABASE, slices: int = 1) -> StagedQuery | None:
    """The plan's many-date query split into stage tables (one per segmented pass) and a
    query per `batch` dates; None for one date or when no pass is segmented. `slices`:
    each stage built over that many slices of the entities (DuckDB only).
    Raises CompileError as `members_query` does."""
    from .generator import SqlGenerator

    if not as_of.dated or batch < 1:
        return None
    if dialect != "duckdb":  # the slices hash the key with DuckDB's hash()
        slices = 1
    generator = SqlGenerator(plan, dialect, as_of, "absolute", sources, rollups)
    original = generator.query()
    ctes = {cte.alias: cte for cte in original.ctes}
    passes = [a.cte_name for a in generator.plan.aggregations
              if not a.correlated and generator.segmented(a) is not None
              and f"{a.cte_name}{SEGMENT_ROWS}" in ctes]
    if not passes:
        return None
    query, staged = _lift_running(original, passes)
    stages = tuple(statement for name in staged
                   for statement in _stage(query, name, database, slices))
    dates = tuple(as_of.dates)
    chunks = tuple(dates[i:i + batch] for i in range(0, len(dates), batch))
    batches = tuple(_batch(query, set(staged), chunk, database) for chunk in chunks)
    return StagedQuery(original, database, stages, tuple(staged), batches, chunks)


def _lift_running(query: exp.Select, passes: list[str]) -> tuple[exp.Select, list[str]]:
    """A pass read from running totals (segments.py `_running`: a window over its segment
    rows in `<pass>__dated`) has its window lifted into a CTE `<pass>__run` of its own,
    which is staged instead of the segment rows: the running totals are computed once, not
    once per batch. Returns the query (a copy when changed) and the CTEs to stage."""
    lifted = query.copy()
    ctes = {cte.alias: cte for cte in lifted.ctes}
    staged: list[str] = []
    for name in passes:
        dated = ctes.get(f"{name}{DATED}")
        running = None if dated is None else next(
            (s for s in dated.this.find_all(exp.Subquery) if s.alias == RUNNING), None)
        if running is None:
            staged.append(f"{name}{SEGMENT_ROWS}")
            continue
        lift = f"{name}{RUN}"
        running.replace(exp.Table(this=table_ref(lift).this, alias=exp.TableAlias(
            this=exp.to_identifier(RUNNING))))
        cte = exp.CTE(this=running.this, alias=cte_alias(lift))
        position = list(lifted.ctes).index(dated)
        lifted.args["with_"].expressions.insert(position, cte)
        staged.append(lift)
    return lifted, staged


def stage_table(database: str, name: str) -> exp.Table:
    return table_ref(database, SCHEMA, name)


def _stage(query: exp.Select, name: str, database: str,
           slices: int = 1) -> list[exp.Expression]:
    """CREATE TABLE database.main.name AS the CTE `name`'s query (with the CTEs it reads);
    with `slices` > 1, in as many statements, each over the entities whose key hashes to
    its slice (the segment rows filtered before grouping: each grouped pass's state is a
    slice's), the first creating the table, the next ones INSERTing."""
    ctes = {cte.alias: cte for cte in query.ctes}
    needed: list[str] = []

    def visit(cte_name: str) -> None:
        for table in ctes[cte_name].this.find_all(exp.Table):
            found = table.name
            if not table.args.get("db") and found in ctes and found != cte_name \
                    and found not in needed:
                visit(found)
                needed.append(found)

    visit(name)
    statements: list[exp.Expression] = []
    for index in range(slices):
        body = _slice(ctes[name].this.copy(), name, index, slices)
        for dependency in needed:
            part = _slice(ctes[dependency].this.copy(), dependency, index, slices)
            body = body.with_(cte_alias(dependency), as_=part, copy=False)
        target = stage_table(database, name)
        statements.append(exp.Create(this=target, kind="TABLE", expression=body) if index == 0
                          else exp.Insert(this=target, expression=body))
    return statements


def _slice(select: exp.Expression, name: str, index: int, slices: int) -> exp.Expression:
    """A segment rows' select kept to the entities of slice `index` (hash(key) % slices)."""
    if slices == 1 or not name.endswith(SEGMENT_ROWS):
        return select
    key = next(p.this for p in select.expressions if p.alias_or_name == "_key")
    test = exp.EQ(this=exp.Mod(this=exp.func("hash", key.copy()),
                               expression=exp.Literal.number(slices)),
                  expression=exp.Literal.number(index))
    return select.where(test, append=True, copy=False)


def _batch(query: exp.Select, staged: set[str], dates: Sequence[date],
           database: str) -> exp.Select:
    """`query` with the staged CTEs reading their tables and the date CTEs keeping
    `dates` only."""
    batch = query.copy()
    keep = {day.isoformat() for day in dates}
    for cte in batch.ctes:
        name = cte.alias
        if name in staged:
            cte.set("this", exp.select(exp.Star()).from_(stage_table(database, name),
                                                           copy=False))
        elif name == DATES or name.endswith(SPANS):
            cte.set("this", _keep_dates(cte.this, keep))
    _drop_unread(batch)
    return batch


def _drop_unread(query: exp.Select) -> None:
    """Removes the CTEs nothing reads any more (a lifted pass's segment rows)."""
    while True:
        read = {t.name for cte in query.ctes for t in cte.this.find_all(exp.Table)
                if not t.args.get("db")}
        outer = query.copy()
        outer.set("with_", None)
        read |= {t.name for t in outer.find_all(exp.Table) if not t.args.get("db")}
        unread = [cte for cte in query.ctes if cte.alias not in read]
        if not unread:
            return
        for cte in unread:
            cte.pop()


def _keep_dates(union: exp.Expression, keep: set[str]) -> exp.Expression:
    """The branches of a UNION ALL of literal date rows whose `_as_of` is in `keep`."""
    branches: list[exp.Select] = []

    def flatten(node: exp.Expression) -> None:
        if isinstance(node, exp.Union):
            flatten(node.this)
            flatten(node.expression)
        else:
            branches.append(node)

    flatten(union)
    kept = [b for b in branches if _date_of(b) in keep]
    query: exp.Expression = kept[0]
    for select in kept[1:]:
        query = exp.Union(this=query, expression=select, distinct=False)
    return query


def _date_of(select: exp.Select) -> str | None:
    for projection in select.expressions:
        if projection.alias_or_name == AS_OF_COLUMN:
            literal = projection.find(exp.Literal)
            return literal.this if literal is not None else None
    return None
