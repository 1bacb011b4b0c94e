"""`top`/`bottom` ranks and segmentation scores as window functions."""

from __future__ import annotations

from sqlglot import exp

from ... import ir
from ...plan import ComputedKind
from .trees import and_, cast, col, paren


class Ranking:
    """Part of the SQL generator (mixed into `SqlGenerator`)."""

    def value_Rank(self, node: ir.Rank) -> exp.Expression:
        by = self.value(node.by)
        amount = exp.Literal.number(str(node.amount.value))
        if node.among is None and self.never_missing(node.by):
            # Every entity is ranked: order by value and key; the count is the number of
            # entities (a window count over all rows would stall the engine's threads).
            order = exp.Order(expressions=[
                exp.Ordered(this=by, desc=node.direction == "top"),
                exp.Ordered(this=col(self.plan.key)),
            ])
            row_number = exp.Window(this=exp.RowNumber(), order=order)
            if not node.percent:
                return exp.LTE(this=row_number, expression=amount)
            entities = exp.select(exp.Count(this=exp.Star())).from_(
                self.aliased_source(self.model.entity), copy=False)
            return exp.LTE(this=exp.Mul(this=row_number, expression=exp.Literal.number(100)),
                           expression=exp.Mul(this=amount, expression=entities.subquery()))
        eligible = exp.Not(this=exp.Is(this=paren(by, 5), expression=exp.Null()))
        if node.among is not None:
            among = self.cond(node.among)
            if self.rules.boolean_values:
                among = exp.Coalesce(this=among, expressions=[exp.false()])
            eligible = and_(eligible, among)
        # One ordering of all entities: the eligible first, by value, ties by key.
        ineligible_last = exp.Case(ifs=[exp.If(this=eligible.copy(),
                                               true=exp.Literal.number(0))],
                                   default=exp.Literal.number(1))
        order = exp.Order(expressions=[
            # (missing values are ineligible, so already last: no NULLS clause is needed)
            exp.Ordered(this=ineligible_last),
            exp.Ordered(this=by.copy(), desc=node.direction == "top"),
            exp.Ordered(this=col(self.plan.key)),
        ])
        row_number = exp.Window(this=exp.RowNumber(), order=order.copy())
        if node.percent:
            # The number of eligible entities, over the same ordering and the whole frame.
            eligible_count = exp.Window(
                this=exp.Sum(this=exp.Case(
                    ifs=[exp.If(this=eligible.copy(), true=exp.Literal.number(1))],
                    default=exp.Literal.number(0))),
                order=order,
                spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                    end="UNBOUNDED", end_side="FOLLOWING"),
            )
            within = exp.LTE(this=exp.Mul(this=row_number, expression=exp.Literal.number(100)),
                             expression=exp.Mul(this=amount, expression=eligible_count))
        else:
            within = exp.LTE(this=row_number, expression=amount)
        return and_(eligible, within)

    def value_Score(self, node: ir.Score) -> exp.Expression:
        """Bins 1..N, N the best. ntile: equal-sized bins, ties split by key (the smaller key
        gets the better score); quantile: bins by rank, ties share a bin; thresholds: fixed
        cut points. Entities whose value is missing get no score."""
        by = self.value(node.by)
        missing = exp.Is(this=paren(by.copy(), 5), expression=exp.Null())
        if node.method == "thresholds":
            compare = exp.GTE if node.higher_is_better else exp.LTE
            score: exp.Expression = exp.Literal.number(1)
            for threshold in node.thresholds:
                reached = exp.Case(ifs=[exp.If(this=compare(this=paren(by.copy(), 5),
                                                            expression=self.value(threshold)),
                                               true=exp.Literal.number(1))],
                                   default=exp.Literal.number(0))
                score = exp.Add(this=score, expression=reached)
        else:
            partition = [exp.Case(ifs=[exp.If(this=missing.copy(), true=exp.Literal.number(1))],
                                  default=exp.Literal.number(0))]
            # worst first, so that the best values get the highest bin
            worst_first = exp.Ordered(this=by.copy(), desc=not node.higher_is_better)
            if node.method == "ntile":
                order = exp.Order(expressions=[worst_first,
                                               exp.Ordered(this=col(self.plan.key), desc=True)])
                score = exp.Window(this=exp.Ntile(this=exp.Literal.number(node.bins)),
                                   partition_by=partition, order=order)
            else:
                rank = exp.Window(this=exp.Rank(), partition_by=partition,
                                  order=exp.Order(expressions=[worst_first]))
                size = exp.Window(this=exp.Count(this=exp.Star()),
                                  partition_by=[p.copy() for p in partition])
                share = exp.Div(
                    this=cast(exp.Mul(this=exp.Literal.number(node.bins),
                                       expression=exp.Paren(this=exp.Sub(
                                           this=rank, expression=exp.Literal.number(1)))),
                               "DOUBLE"),
                    expression=size)
                score = exp.Add(this=cast(exp.Floor(this=share), "INT"),
                                expression=exp.Literal.number(1))
        return exp.Case(ifs=[exp.If(this=missing, true=exp.Null())], default=score)

    def never_missing(self, node: ir.Expr) -> bool:
        """True when the value is present for every entity: a count or sum (0 without
        rows), a segment or rank, or arithmetic and features built only from those."""
        if isinstance(node, ir.Literal):
            return node.value is not None
        if isinstance(node, ir.Ref):
            if node.name in self.defaulted_measures:
                return True
            computed = self.computed.get(node.name)
            if computed is None:
                return False
            return computed.kind is not ComputedKind.FEATURE or self.never_missing(computed.expr)
        if isinstance(node, ir.Arith):
            return node.op != "/" and self.never_missing(node.left) and \
                self.never_missing(node.right)
        if isinstance(node, ir.Negate):
            return self.never_missing(node.operand)
        return False

