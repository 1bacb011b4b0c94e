"""Many dates in one pass (`AsOf.many`, docs/time.md): the date is a column.

A `_dates` CTE holds every date (one row each). Each pass over an events table joins it on
the cap (`time < _as_of + 1 day`, an inequality join the engine sorts once) and groups by
(entity, date), so each events table is scanned once whatever the number of dates; the
entity rows are crossed with the dates; every window bound is `_as_of` shifted; rankings
rank the entities of each date apart (PARTITION BY the date); the result has one row per
(date, entity), the date first (`as_of`), ordered by date then key.

Part of the SQL generator (mixed into `SqlGenerator`): the generator, `aggregations.py` and
`ranking.py` call these where a single-date query would differ, and nothing else changes.
"""

from __future__ import annotations

from sqlglot import exp

from ...codes import Code
from ...diagnostics import CompileError, error
from .expressions import AS_OF_COLUMN
from .trees import and_, col, named, table_ref

DATES = "_dates"  # the CTE of every date
OUTPUT = "as_of"  # the date's column in the result
RANK_DATE = "_rank_as_of"  # a ranking CTE's date, apart from the step's own `_as_of`


class MultiDate:
    """Part of the SQL generator: the date dimension, when `self.as_of.dated`."""

    @property
    def dated(self) -> bool:
        return self.as_of.dated

    def refuse_undated_passes(self) -> None:
        """A correlated pass (`count(orders where ordered_at > last_view)`) reads entity
        values per entity, not per (entity, date): not built for many dates yet (E301)."""
        if getattr(self.plan, "sequences", ()):
            raise CompileError([error(
                Code.E301, "many dates in one pass cannot compute an event sequence yet",
                self.plan.sequences[0].pattern.span,
                "evaluate one date at a time (`segl run --as-of D`)")])
        for aggregation in self.plan.aggregations:
            if aggregation.stage is not None:
                measure = aggregation.measures[0].aggregate
                raise CompileError([error(
                    Code.E301, "many dates in one pass cannot compute a correlated aggregate "
                    f"over `{aggregation.table}` yet", measure.span,
                    "evaluate one date at a time (`segl run --as-of D`)")])

    def refuse_date_named_outputs(self) -> None:
        """E302: the result's date column is `as_of`; an output of that name (the entity key,
        a segment, segmentation, score or trait) would be a second column of that name."""
        model = self.model
        spans = {self.plan.key: model.entity.span, **{
            name: getattr(definition, "name_span", None) or definition.span
            for kind in (model.segments, model.segmentations,
                                               model.features, model.kpis)
            for name, definition in kind.items()}}
        outputs = (self.plan.key, *self.plan.outputs, *self.plan.segmentations,
                   *(output for output, _ in self.plan.score_outputs),
                   *self.plan.kpi_components, *self.plan.traits)
        clashes = [name for name in dict.fromkeys(outputs) if name.casefold() == OUTPUT]
        if clashes:
            raise CompileError([error(
                Code.E302, f"`{name}` would be a second column `{OUTPUT}` beside the date of "
                "many dates", spans.get(name, model.entity.span),
                f"rename `{name}`, or evaluate one date at a time (`segl run --as-of D`)")
                for name in clashes])

    def dates_cte(self) -> exp.Expression:
        """SELECT DATE 'd1' AS _as_of UNION ALL SELECT DATE 'd2' … (portable: no VALUES)."""
        selects = [exp.select(named(self.to_date(exp.Literal.string(day.isoformat())),
                                    AS_OF_COLUMN)) for day in self.as_of.dates]
        query: exp.Expression = selects[0]
        for select in selects[1:]:
            query = exp.Union(this=query, expression=select, distinct=False)
        return query

    def date_of(self, source: str | None) -> exp.Column:
        return col(AS_OF_COLUMN, source)

    def join_dates(self, select: exp.Select, caps: list[exp.Expression]) -> exp.Select:
        """Each row joined to every date it is visible at (`caps`, built with as_of read
        from `_dates`), or to every date when the table has no time column."""
        dates = named(table_ref(DATES), DATES, table=True)
        if caps:
            return select.join(dates, join_type="inner", on=and_(*caps), copy=False)
        return select.join(dates, join_type="cross", copy=False)

    def dated_key(self, key_test: exp.Expression, left: str | None, right: str | None
                  ) -> exp.Expression:
        """A join on the key, and on the date when there are many."""
        if not self.dated:
            return key_test
        return and_(key_test, exp.EQ(this=self.date_of(left), expression=self.date_of(right)))

    def date_partition(self, source: str | None) -> list[exp.Expression]:
        """What a window function partitions by besides its own keys."""
        return [self.date_of(source)] if self.dated else []
