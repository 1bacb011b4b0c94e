"""`top`/`bottom` ranks and ntile/quantile scores: a window over the admitted entities
only (a CTE per ranking of the plan), joined back by key; thresholds scores as arithmetic.
Where the dialect's LIMIT takes a subquery, a `top`/`bottom` rank is a top-N instead: the
members' keys, sorted by the same ordering and cut after N (or P% of the admitted count)."""

from __future__ import annotations

import math
from fractions import Fraction

from sqlglot import exp

from ... import ir
from ...plan import ranking as plan_ranking
from ...plan.ranking import RankFunc
from .multi_date import RANK_DATE
from .trees import cast, col, ident, named, paren, table_ref


class Ranking:
    """Part of the SQL generator (mixed into `SqlGenerator`). Each ranking of the plan is a
    CTE over the step before it: the admitted entities' keys with their position (and the
    number ranked), joined back by key in the step that uses it (`plan.ranking`)."""

    # the step whose SELECT computes inlined rankings (set by the generator per step)
    step_source: str | None = None

    def plan_Ranking(self, ranking: plan_ranking.Ranking, previous: str) -> exp.Select:
        if self.limited(ranking):
            return self.top_n(ranking, previous)
        order = exp.Order(expressions=[
            exp.Ordered(this=self.value(key.expr), desc=key.descending or None)
            for key in ranking.order])
        func = self.rank_function(ranking)
        # ranking.partition: ranked within groups; many dates: each date ranks its own
        partition = [*self.date_partition(None), *(self.value(p) for p in ranking.partition)]
        select = exp.select(named(col(self.plan.row_key), ident("_key")),
                            named(exp.Window(this=func, partition_by=partition or None,
                                             order=order.copy()), ident("_position")))
        if self.dated:
            select = select.select(named(self.date_of(None), ident(RANK_DATE)), copy=False)
        if ranking.counted:
            # over the same ordering and the whole frame: one sort serves both
            count = exp.Window(this=exp.Count(this=exp.Star()), order=order,
                               partition_by=[p.copy() for p in partition] or None,
                               spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED",
                                                   start_side="PRECEDING", end="UNBOUNDED",
                                                   end_side="FOLLOWING"))
            select = select.select(named(count, ident("_count")), copy=False)
        select = select.from_(table_ref(previous), copy=False)
        if ranking.admits is not None:
            select = select.where(self.cond(ranking.admits), copy=False)
        select = qualify_shadowed(select, previous)
        if self.members_only(ranking):
            assert isinstance(ranking.node, ir.Rank)
            return exp.select(col("_key"), col(RANK_DATE)).from_(
                select.subquery("_ranked"), copy=False).where(
                    self.within(ranking.node, None), copy=False)
        return select

    def rank_function(self, ranking: plan_ranking.Ranking) -> exp.Expression:
        if ranking.func is RankFunc.NTILE:
            return exp.Ntile(this=exp.Literal.number(ranking.node.bins))
        return exp.RowNumber() if ranking.func is RankFunc.ROW_NUMBER else exp.Rank()

    def inlined(self, ranking: plan_ranking.Ranking) -> bool:
        """A ranking computed in its step's SELECT (dialect rule `inline_rankings`): one
        date, not a top-N."""
        return self.rules.inline_rankings and not self.dated and not self.limited(ranking)

    def inline_window(self, ranking: plan_ranking.Ranking, func: exp.Expression,
                      spec: exp.WindowSpec | None = None) -> exp.Window:
        """`func OVER (PARTITION BY admitted, partition… ORDER BY …)` over the step's rows:
        the admitted entities are a partition of their own, numbered and counted as in the
        ranking's CTE (the others' values are discarded by `admitted_only`). Columns are
        qualified with the step's source, as rankings joined into the step have `_key`."""
        partition = [self.cond(ranking.admits)] if ranking.admits is not None else []
        partition += [self.value(p) for p in ranking.partition]
        order = exp.Order(expressions=[
            exp.Ordered(this=self.value(key.expr), desc=key.descending or None)
            for key in ranking.order])
        window = exp.Window(this=func, partition_by=partition or None, order=order, spec=spec)
        for column in list(window.find_all(exp.Column)):
            if not column.table and self.step_source:
                column.set("table", ident(self.step_source))
        return window

    def position(self, ranking: plan_ranking.Ranking) -> exp.Expression:
        if self.inlined(ranking):
            return self.inline_window(ranking, self.rank_function(ranking))
        return col("_position", ranking.name)

    def ranked_count(self, ranking: plan_ranking.Ranking) -> exp.Expression:
        if self.inlined(ranking):
            return self.inline_window(ranking, exp.Count(this=exp.Star()), exp.WindowSpec(
                kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="UNBOUNDED",
                end_side="FOLLOWING"))
        return col("_count", ranking.name)

    def admitted_only(self, ranking: plan_ranking.Ranking, value: exp.Expression
                      ) -> exp.Expression:
        """An inlined ranking's value for the entities it admits, NULL for the others (as
        the join back of its CTE leaves them)."""
        if not self.inlined(ranking) or ranking.admits is None:
            return value
        admits = self.cond(ranking.admits)
        for column in list(admits.find_all(exp.Column)):
            if not column.table and self.step_source:
                column.set("table", ident(self.step_source))
        return exp.Case(ifs=[exp.If(this=admits, true=value)])

    def members_only(self, ranking: plan_ranking.Ranking) -> bool:
        """Many dates: a `top`/`bottom` ranking keeps only its members' rows (position
        within N or P% of each date's count), so the join back into the step builds on the
        members (20% of the rows for `top 20%`), not on every ranked (entity, date)."""
        return (self.dated and isinstance(ranking.node, ir.Rank)
                and ranking.func is RankFunc.ROW_NUMBER and not self.limited(ranking))

    def limited(self, ranking: plan_ranking.Ranking) -> bool:
        """A `top`/`bottom` rank computed as a top-N: the dialect allows it and the ranking
        is one ordering of all admitted entities (not per group, not per date)."""
        return (self.rules.ranking_limit and isinstance(ranking.node, ir.Rank)
                and ranking.func is RankFunc.ROW_NUMBER and not ranking.partition
                and not self.dated)

    def top_n(self, ranking: plan_ranking.Ranking, previous: str) -> exp.Select:
        """The members' keys: the admitted entities in the ranking's order, the first N, or
        for P% the first floor(P * count / 100) (position * 100 <= P * count, in integers:
        P as a fraction num/den gives num * count // (den * 100))."""
        node = ranking.node
        assert isinstance(node, ir.Rank)
        select = exp.select(named(col(self.plan.row_key), ident("_key"))).from_(
            table_ref(previous), copy=False)
        if ranking.admits is not None:
            select = select.where(self.cond(ranking.admits), copy=False)
        select = select.order_by(*(exp.Ordered(this=self.value(key.expr),
                                               desc=key.descending or None)
                                   for key in ranking.order), copy=False)
        select = qualify_shadowed(select, previous)
        amount = Fraction(str(node.amount.value))
        if not node.percent:
            return select.limit(exp.Literal.number(math.floor(amount)), copy=False)
        counted = exp.select(exp.IntDiv(
            this=exp.Mul(this=exp.Literal.number(amount.numerator),
                         expression=exp.Count(this=exp.Star())),
            expression=exp.Literal.number(amount.denominator * 100))).from_(
                table_ref(previous), copy=False)
        if ranking.admits is not None:
            counted = counted.where(self.cond(ranking.admits), copy=False)
        return select.limit(exp.Subquery(this=counted), copy=False)

    def ranking_of(self, node: ir.Rank | ir.Score | ir.StratifiedSlot
                   ) -> plan_ranking.Ranking:
        if not hasattr(self, "_rankings"):
            self._rankings = {r.node: r for r in self.physical.rankings}
        return self._rankings[node]

    def value_Rank(self, node: ir.Rank) -> exp.Expression:
        """A member when ranked with position <= N (position * 100 <= P * count)."""
        ranking = self.ranking_of(node)
        if self.limited(ranking) or self.members_only(ranking):  # members' keys only
            return exp.Not(this=exp.Is(this=col("_key", ranking.name),
                                       expression=exp.Null()))
        if self.inlined(ranking):
            return self.admitted_only(ranking, self.within(
                node, None, self.position(ranking), self.ranked_count(ranking)))
        return self.within(node, ranking.name)

    def within(self, node: ir.Rank, ranking: str | None,
               position: exp.Expression | None = None,
               count: exp.Expression | None = None) -> exp.Expression:
        """The position test of a member: position <= N, or position * 100 <= P * count
        (`position` and `count`: an inlined ranking's windows)."""
        position = position or col("_position", ranking)
        amount = exp.Literal.number(str(node.amount.value))
        if not node.percent:
            return exp.LTE(this=position, expression=amount)
        return exp.LTE(this=exp.Mul(this=position, expression=exp.Literal.number(100)),
                       expression=exp.Mul(this=amount,
                                          expression=count or col("_count", ranking)))

    def value_StratifiedSlot(self, node: ir.StratifiedSlot) -> exp.Expression:
        """floor(10000 * (position - 1) / count) within the stratum (a double division of
        integers below 2^53: exact enough that the floor is the integer one)."""
        ranking = self.ranking_of(node)
        share = exp.Div(this=cast(exp.Mul(this=exp.Literal.number(10_000),
                                          expression=exp.Paren(this=exp.Sub(
                                              this=self.position(ranking),
                                              expression=exp.Literal.number(1)))), "DOUBLE"),
                        expression=self.ranked_count(ranking))
        return self.admitted_only(ranking, cast(exp.Floor(this=share), "INT"))

    def value_Score(self, node: ir.Score) -> exp.Expression:
        """Bins 1..N, N the best. ntile: equal-sized bins, ties split by key (the smaller key
        gets the better score); quantile: bins by rank, ties share a bin; thresholds: fixed
        cut points. Entities whose value is missing get no score (they are not ranked)."""
        if node.method != "thresholds":
            ranking = self.ranking_of(node)
            position = self.position(ranking)
            if ranking.func is RankFunc.NTILE:
                return self.admitted_only(ranking, position)
            share = exp.Div(
                this=cast(exp.Mul(this=exp.Literal.number(node.bins),
                                   expression=exp.Paren(this=exp.Sub(
                                       this=position, expression=exp.Literal.number(1)))),
                           "DOUBLE"),
                expression=self.ranked_count(ranking))
            return self.admitted_only(ranking, exp.Add(this=cast(exp.Floor(this=share), "INT"),
                                                       expression=exp.Literal.number(1)))
        by = self.value(node.by)
        missing = exp.Is(this=paren(by.copy(), 5), expression=exp.Null())
        compare = exp.GTE if node.higher_is_better else exp.LTE
        score: exp.Expression = exp.Literal.number(1)
        for threshold in node.thresholds:
            reached = exp.Case(ifs=[exp.If(this=compare(this=paren(by.copy(), 5),
                                                        expression=self.value(threshold)),
                                           true=exp.Literal.number(1))],
                               default=exp.Literal.number(0))
            score = exp.Add(this=score, expression=reached)
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=score)



def qualify_shadowed(select: exp.Select, source: str) -> exp.Select:
    """The data's own column `_key` read by a ranking, qualified with its source: the
    ranking's output alias `_key` would otherwise shadow it (ORDER BY resolves an output
    alias first on DuckDB, PostgreSQL and SQLite; ClickHouse substitutes aliases anywhere),
    and the ranking would order by the entity key instead. Only that name is qualified, so
    every other query reads as before."""
    for column in list(select.find_all(exp.Column)):
        if not column.table and column.name == "_key":
            column.set("table", ident(source))
    return select
