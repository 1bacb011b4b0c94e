"""KPIs -> SQL for any dialect: one row per group (everyone, each segment's members, each
bucket of each segmentation) with its size, every KPI and every KPI's index.

The query reads the members query's result (the key, one column per segment and
segmentation, and the per-entity KPI components) and groups it once with GROUPING SETS:
`()` for everyone and one set per segment and segmentation column. It does not use
GROUPING(), whose meaning differs between engines: a segment column is never null and a
segmentation column always holds a bucket name, so the one column that is not null in a row
tells which set the row belongs to. Dialects without GROUPING SETS (SQLite, MySQL) get one
SELECT per set, joined with UNION ALL. Buckets without members have no row.

Many dates in one pass (`AsOf.many`, docs/time.md): the members query has the date first
(`as_of`); every set is grouped by it as well (`(as_of)`, `(as_of, segment)`, …), each
index divides by everyone's value at the same date, and the result has the date first,
ordered by date, then as for one date. One date's query is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from ...plan import Plan
from ...plan.as_of import AsOf
from .expressions import SqlExpressions
from .generator import SourceOverride, members_query
from .multi_date import OUTPUT as DATE
from .names import keep_ctes_apart
from .text import sql_header
from .trees import col, cte_alias, ident, table_ref

# Result columns, before the KPIs and their indexes (`<kpi>__index`).
KIND, GROUP, MEMBERS = "segl_kind", "segl_group", "segl_members"
_GROUPED, _GROUPS, _MEMBERS = "segl_grouped", "segl_groups", "segl_member_rows"


def kpi_select(plan: Plan, dialect: str, as_of: AsOf, members: exp.Expression | str
               ) -> exp.Select:
    """The KPI query over `members`: a table's name (an identifier), or the members query
    itself (which then becomes a CTE, its own CTEs lifted beside it, as some dialects refuse
    nested WITH)."""
    generator = SqlExpressions(plan, dialect, as_of)
    ctes: list[tuple[str, exp.Expression]] = []
    if isinstance(members, exp.Select):
        inner = members.copy()
        with_ = inner.args.pop("with_", None)
        inner.set("order", None)  # T-SQL refuses ORDER BY inside a CTE
        if with_ is not None:
            ctes += [(cte.alias, cte.this) for cte in with_.expressions]
        ctes.append((_MEMBERS, inner))
        source = table_ref(_MEMBERS)
    else:
        source = table_ref(members) if isinstance(members, str) else members
    segments, segmentations = list(plan.outputs), list(plan.segmentations)
    columns = [*segments, *segmentations]
    values = [_alias(generator.value(kpi), name) for name, kpi in plan.kpis]
    size = _alias(exp.Count(this=exp.Star()), MEMBERS)
    dates = [DATE] if as_of.dated else []  # many dates: every set per date

    def by(*names: str) -> list[exp.Expression]:
        return [col(c) for c in (*dates, *names)]

    if generator.rules.grouping_sets:
        grouped = exp.select(*by(*columns), size, *values).from_(source)
        sets = [exp.Tuple(expressions=by())] + [exp.Tuple(expressions=by(c))
                                                for c in columns]
        grouped.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=sets)]))
    else:
        parts = [_one_set(source, columns, chosen, size, values, dates) for chosen in
                 [None, *columns]]
        grouped = parts[0]
        for part in parts[1:]:
            grouped = exp.union(grouped, part, distinct=False)
    ctes.append((_GROUPED, grouped))

    def present(column: str) -> exp.Expression:
        return exp.Not(this=exp.Is(this=col(column), expression=exp.Null()))

    def holds(column: str) -> exp.Expression:
        # a segment's row is its members' (TRUE) row; the FALSE row is everyone else
        return col(column) if generator.rules.boolean_values else \
            exp.EQ(this=col(column), expression=exp.Literal.number(1))

    kind = exp.Case(ifs=[
        *(exp.If(this=present(s), true=exp.Literal.string("segment")) for s in segments),
        *(exp.If(this=present(s), true=exp.Literal.string("bucket")) for s in segmentations),
    ], default=exp.Literal.string("all"))
    group = exp.Case(ifs=[
        *(exp.If(this=present(s), true=exp.Literal.string(s)) for s in segments),
        *(exp.If(this=present(s), true=exp.Concat(
            expressions=[exp.Literal.string(f"{s}."), col(s)], safe=True, coalesce=False))
          for s in segmentations),
    ], default=exp.Literal.string("all"))
    kept = [exp.Or(this=exp.Is(this=col(s), expression=exp.Null()), expression=holds(s))
            for s in segments]
    groups = exp.select(*by(), _alias(kind, KIND), _alias(group, GROUP), col(MEMBERS),
                        *(col(name) for name, _ in plan.kpis)).from_(table_ref(_GROUPED))
    if kept:
        groups = groups.where(exp.and_(*kept))
    ctes.append((_GROUPS, groups))

    def index(name: str) -> exp.Expression:
        """value / everyone's value x 100, as a double; missing when everyone's is 0."""
        everyone = exp.Window(this=exp.Max(this=exp.Case(ifs=[exp.If(
            this=exp.EQ(this=col(KIND), expression=exp.Literal.string("all")),
            true=col(name))])), partition_by=by() or None)
        as_double = exp.DataType.build("DOUBLE")
        return exp.Div(
            this=exp.Mul(this=exp.cast(col(name), as_double),
                         expression=exp.Literal.number(100)),
            expression=exp.Nullif(this=exp.cast(everyone, as_double),
                                  expression=exp.Literal.number(0)))

    order = exp.Case(ifs=[
        exp.If(this=exp.EQ(this=col(KIND), expression=exp.Literal.string(k)),
               true=exp.Literal.number(i))
        for i, k in enumerate(("all", "segment"))
    ], default=exp.Literal.number(2))
    final = exp.select(
        *by(), col(KIND), col(GROUP), col(MEMBERS),
        *(col(name) for name, _ in plan.kpis),
        *(_alias(index(name), f"{name}__index") for name, _ in plan.kpis),
    ).from_(table_ref(_GROUPS)).order_by(*by(), order, col(GROUP))
    for name, cte in ctes:
        final = final.with_(cte_alias(name), as_=cte)
    keep_ctes_apart(final)  # segl_grouped, segl_groups: a user's table may be named so
    if generator.rules.kpi_settings:
        final.set("settings", [exp.EQ(this=exp.column(name), expression=exp.Literal.number(v))
                               for name, v in generator.rules.kpi_settings])
    return final


def generate_kpi_sql(plan: Plan, dialect: str, as_of: AsOf, file_paths: str = "absolute",
                     header: dict[str, str] | None = None, pretty: bool = True,
                     sources: Mapping[str, SourceOverride] | None = None) -> str:
    """The members query and the KPI query over it, as one statement for a warehouse.
    `sources`: as for the members query (generator.SourceOverride)."""
    query = kpi_query(plan, dialect, as_of, file_paths, sources)
    return sql_header(dialect, as_of, header) + query.sql(dialect=dialect, pretty=pretty) + "\n"


def kpi_query(plan: Plan, dialect: str, as_of: AsOf, file_paths: str = "absolute",
              sources: Mapping[str, SourceOverride] | None = None,
              rollups: Mapping[str, object] | None = None) -> exp.Select:
    """The members query and the KPI query over it, as one sqlglot tree (no header)."""
    return kpi_select(plan, dialect, as_of, members_query(plan, dialect, as_of, file_paths,
                                                          sources, rollups))


def _one_set(source: exp.Expression, columns: list[str], chosen: str | None, size: exp.Expression,
             values: list[exp.Expression], dates: list[str]) -> exp.Select:
    """The rows GROUPING SETS would give for one set: `chosen` grouped, the others null
    (and, with many dates, grouped by the date too)."""
    projected = [col(c) if c == chosen else _alias(exp.Null(), c) for c in columns]
    select = exp.select(*(col(d) for d in dates), *projected, size.copy(),
                        *(v.copy() for v in values)).from_(source.copy())
    keys = [col(c) for c in (*dates, *([chosen] if chosen else []))]
    return select.group_by(*keys) if keys else select


def _alias(expression: exp.Expression, name: str) -> exp.Expression:
    return exp.alias_(expression, ident(name))
