"""Type checking: gives every IR node its type and reports what does not fit.

Runs over a resolved Model in dependency order (a feature's type is known before anything
that uses it) and returns a new Model whose expressions carry types.
"""

from __future__ import annotations

from dataclasses import replace

from .. import catalogue, ir
from .. import model as m
from ..catalogue import ArgKind, Result
from ..codes import Code
from ..diagnostics import Diagnostic, error

T = ir.Type


def typecheck(model: m.Model, diagnostics: list[Diagnostic]) -> m.Model:
    checker = _Checker(model, diagnostics)
    return checker.run()


class _Checker:
    def __init__(self, model: m.Model, diagnostics: list[Diagnostic]) -> None:
        self.model = model
        self.diagnostics = diagnostics
        self.features: dict[str, m.Feature] = {}

    def error(self, message: str, node: ir.Expr, *hints: str, code: Code = Code.E201) -> None:
        self.diagnostics.append(error(code, message, node.span, *hints))

    def run(self) -> m.Model:
        for name in _feature_order(self.model):
            feature = self.model.features[name]
            expr = self.check(feature.expr)
            self.features[name] = replace(feature, expr=expr)
        segments = {}
        for name, segment in self.model.segments.items():
            conditions = tuple(self.predicate(c) for c in segment.conditions)
            segments[name] = replace(segment, conditions=conditions)
        segmentations = {}
        for name, segmentation in self.model.segmentations.items():
            buckets = tuple(
                replace(b, condition=self.predicate(b.condition)) if b.condition else b
                for b in segmentation.buckets
            )
            scores = tuple(self.check(score) for score in segmentation.scores)
            segmentations[name] = replace(segmentation, buckets=buckets, scores=scores)
            if segmentation.clusters is not None:
                segmentations[name] = replace(segmentations[name],
                                              clusters=self.clusters(segmentation.clusters))
        kpis = {name: replace(kpi, expr=self.check(kpi.expr))
                for name, kpi in self.model.kpis.items()}
        similarities = {key: replace(s, features=self.numbers(s.features))
                        for key, s in self.model.similarities.items()}
        return replace(self.model, features=self.features, segments=segments,
                       segmentations=segmentations, kpis=kpis, similarities=similarities)

    def clusters(self, clusters: m.Clusters) -> m.Clusters:
        return replace(clusters, features=self.numbers(clusters.features))

    def numbers(self, features: tuple[ir.Expr, ...]) -> tuple[ir.Expr, ...]:
        """Clusters and similarities are found on numbers: each feature must be one (a
        feature that fails is reported once, where the lookalike's ranking uses it too)."""
        checked = tuple(self.check(f) for f in features)
        for feature in checked:
            if feature.type is not T.ANY and not feature.type.is_numeric and not any(
                    d.span == feature.span for d in self.diagnostics if d.span is not None):
                self.error(f"expected a number (clusters and similarities are found on "
                           f"numbers), but this is {_a(feature.type)}", feature)
        return checked

    def predicate(self, expr: ir.Expr) -> ir.Expr:
        checked = self.check(expr)
        if checked.type not in (T.BOOL, T.ANY):
            self.error(f"a condition must be true or false, but this is {_a(checked.type)}",
                       checked, "compare it, e.g. `spend_1y > 100`", code=Code.E202)
        return checked

    def check(self, expr: ir.Expr) -> ir.Expr:
        return ir.transform(expr, self.typed)

    def typed(self, node: ir.Expr) -> ir.Expr:
        rule = getattr(self, "type_" + type(node).__name__, None)
        type_ = rule(node) if rule else node.type
        return replace(node, type=type_) if type_ is not node.type else node

    # one method per node kind --------------------------------------------------------
    def type_FeatureRef(self, node: ir.FeatureRef) -> T:
        feature = self.features.get(node.name)
        return feature.type if feature else T.ANY

    def type_Not(self, node: ir.Not) -> T:
        self.expect_bool(node.operand)
        return T.BOOL

    def type_Negate(self, node: ir.Negate) -> T:
        if not _numeric(node.operand.type):
            self.error(f"cannot negate {_a(node.operand.type)}", node)
        return node.operand.type

    def type_Logic(self, node: ir.Logic) -> T:
        for operand in node.operands:
            self.expect_bool(operand)
        return T.BOOL

    def type_Arith(self, node: ir.Arith) -> T:
        left, right = node.left.type, node.right.type
        if left.is_temporal or right.is_temporal:
            self.error(f"cannot apply `{node.op}` to {_a(left)} and {_a(right)}", node,
                       "use days_between(a, b) for the days between two dates, "
                       "or `date + 30 days` to move a date")
            return T.ANY
        if not (_numeric(left) and _numeric(right)):
            bad = node.left if not _numeric(left) else node.right
            self.error(f"`{node.op}` needs numbers, but this is {_a(bad.type)}", bad)
            return T.ANY
        if T.ANY in (left, right):
            return T.ANY
        if T.FLOAT in (left, right):
            return T.FLOAT
        if node.op == "/" or T.DECIMAL in (left, right):
            return T.DECIMAL  # `/` is exact division, never integer division
        return T.INT

    def type_Compare(self, node: ir.Compare) -> T:
        self.expect_comparable(node.left, node.right, node)
        if node.op not in ("=", "!=") and T.BOOL in (node.left.type, node.right.type):
            self.error(f"`{node.op}` does not order true and false", node)
        return T.BOOL

    def type_Between(self, node: ir.Between) -> T:
        self.expect_comparable(node.value, node.low, node)
        self.expect_comparable(node.value, node.high, node)
        return T.BOOL

    def type_InList(self, node: ir.InList) -> T:
        for item in node.items:
            self.expect_comparable(node.value, item, item)
        return T.BOOL

    def type_TextMatch(self, node: ir.TextMatch) -> T:
        word = node.op.replace("_", " ")
        for side in (node.value, node.pattern):
            if side.type not in (T.TEXT, T.ANY):
                self.error(f"`{word}` works on text, but this is {_a(side.type)}", side)
        return T.BOOL

    def type_IsMissing(self, node: ir.IsMissing) -> T:
        return T.BOOL

    def type_Case(self, node: ir.Case) -> T:
        for condition, _ in node.whens:
            self.expect_bool(condition)
        values = [v for _, v in node.whens] + ([node.otherwise] if node.otherwise else [])
        return self.common_type(values, "case branches")

    def type_DateShift(self, node: ir.DateShift) -> T:
        if not node.value.type.is_temporal and node.value.type is not T.ANY:
            self.error("only a date or timestamp can move by a duration, not "
                       f"{_a(node.value.type)}", node.value)
        return node.value.type if node.value.type.is_temporal else T.DATE

    def type_Func(self, node: ir.Func) -> T:
        if node.name == "score_code":
            return T.TEXT
        entry = catalogue.scalar(node.name)
        if entry.arg is not ArgKind.ANY:
            for arg in node.args:
                self.expect(arg, entry.arg.value, entry.arg.accepts)
        for position in entry.whole_literal_args:
            if position < len(node.args) and not (
                isinstance(node.args[position], ir.Literal)
                and isinstance(node.args[position].value, int)
            ):
                self.error("the number of decimals must be a whole number", node.args[position])
        if isinstance(entry.result, T):
            return entry.result
        if entry.result is Result.FIRST_ARG:
            return node.args[0].type
        # coalesce, least, greatest: arguments of one kind
        return self.common_type(list(node.args), f"`{node.name}` arguments")

    def type_Aggregate(self, node: ir.Aggregate) -> T:
        if node.filter is not None:
            self.expect_bool(node.filter)
        entry = catalogue.aggregate(node.func)
        arg_type = node.arg.type if node.arg is not None else None
        if entry.arg is not ArgKind.ANY and node.arg is not None:
            self.expect(node.arg, entry.arg.value, entry.arg.accepts)
        return entry.result_type(arg_type)

    def type_Sequence(self, node: ir.Sequence) -> T:
        for condition in (node.first_filter, node.then_filter):
            if condition is not None:
                self.expect_bool(condition)
        return node.type

    def type_Total(self, node: ir.Total) -> T:
        if node.func == "count":
            return T.INT
        if node.func in ("sum", "avg"):
            self.expect(node.value, "a number", _numeric)
            if node.func == "avg" or node.value.type is T.FLOAT:
                return T.DECIMAL
        return node.value.type

    def type_Score(self, node: ir.Score) -> T:
        self.expect(node.by, "a number or a date", lambda t: t.is_numeric or t.is_temporal)
        return T.INT

    def type_Rank(self, node: ir.Rank) -> T:
        self.expect(node.by, "a number or a date", lambda t: t.is_numeric or t.is_temporal)
        if node.among is not None:
            self.expect_bool(node.among)
        return T.BOOL

    # helpers ---------------------------------------------------------------------------
    def common_type(self, values: list[ir.Expr], what: str) -> T:
        """The one type several values share (numbers widen: int < decimal < float)."""
        result = T.ANY
        for value in values:
            if result is T.ANY:
                result = value.type
            elif not _compatible(result, value.type):
                self.error(f"{what} mix {result.value} and {value.type.value}", value)
            elif result.is_numeric and value.type.is_numeric and value.type is not result:
                result = T.FLOAT if T.FLOAT in (result, value.type) else T.DECIMAL
        return result
    def expect(self, node: ir.Expr, what: str, ok) -> None:
        if node.type is not T.ANY and not ok(node.type):
            self.error(f"expected {what}, but this is {_a(node.type)}", node)

    def expect_bool(self, node: ir.Expr) -> None:
        if node.type not in (T.BOOL, T.ANY):
            self.error("expected a condition (true or false), but this is "
                       f"{_a(node.type)}", node, "compare it, e.g. `x > 0`", code=Code.E202)

    def expect_comparable(self, left: ir.Expr, right: ir.Expr, where: ir.Expr) -> None:
        if _compatible(left.type, right.type):
            return
        self.error(f"cannot compare {_a(left.type)} with {_a(right.type)}", where,
                   _comparison_hint(left, right))


def _comparison_hint(left: ir.Expr, right: ir.Expr) -> str:
    """A hint only where it fits: "without quotes" only when a quoted literal is the text side."""
    text, other = (left, right) if left.type is T.TEXT else (right, left)
    if text.type is not T.TEXT or not (other.type.is_temporal or other.type.is_numeric):
        return ""
    if isinstance(text, ir.Literal):
        return ("write dates without quotes: 2026-01-31" if other.type.is_temporal
                else "numbers are written without quotes")
    named = f"`{text.span.text}`" if text.span is not None else "this value"
    return (f"{named} is text: compare it with text in quotes, or declare the column "
            f"with the type its values have")


def _a(t: T) -> str:
    return t.with_article


def _numeric(t: T) -> bool:
    return t.is_numeric or t is T.ANY


def _compatible(a: T, b: T) -> bool:
    if T.ANY in (a, b) or a is b:
        return True
    return (a.is_numeric and b.is_numeric) or (a.is_temporal and b.is_temporal)


def _feature_order(model: m.Model) -> list[str]:
    """Features in dependency order (the resolver has already rejected cycles)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in model.features:
            return
        seen.add(name)
        for node in model.features[name].expr.walk():
            if isinstance(node, ir.FeatureRef):
                visit(node.name)
        order.append(name)

    for name in model.features:
        visit(name)
    return order
