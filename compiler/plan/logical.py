"""Model -> logical plan: what to read, what to aggregate, what to compute in which order.

The plan reads each related table once: every aggregate over `orders` (from any feature or
segment) becomes one Measure of a single grouped Aggregation. The entity row is joined with
its lookups and with every Aggregation (LEFT JOIN, so entities without events stay, with
count and sum 0); Steps then compute features, ranks and segment memberships layer by layer,
each layer using only columns of the layers before it. The plan is plain data: print it with
`segl compile --show plan`; backends (SQL, later Polars) read nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from .. import ir
from .. import model as m
from ..source import Span
from . import correlation
from .sequences import SequencePass, SequencePlanner
from .table_reads import TableReads

T = ir.Type


@dataclass(frozen=True)
class Measure:
    name: str
    aggregate: ir.Aggregate
    empty: ir.Literal | None  # the value for an entity with no rows: 0 for count and sum


@dataclass(frozen=True)
class Aggregation:
    """One grouped pass over an events table (joined through its via table and lookups)."""

    table: str
    measures: tuple[Measure, ...]
    lookups: tuple[str, ...] = ()  # lookups joined to the rows before aggregating, in order
    # For a table joined `through` another: aggregate its rows per join key first (partial
    # counts, sums, minima, maxima), then join the much smaller result to the other table.
    partial: bool = False
    # A partial aggregation is finished inside this table's own pass (the table it is
    # reached through), so that table is read once: LEFT JOIN the partials, add them up.
    fold_into: str | None = None
    # A correlated pass (`correlation.py`): it runs after the plan step of this depth
    # (0: after `base`), reading these per-entity columns; None for a plain pass.
    stage: int | None = None
    context: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The pass's name: its table, and for a correlated pass its stage."""
        return self.table if self.stage is None else f"{self.table}@{self.stage}"

    @property
    def cte_name(self) -> str:
        return f"agg_{self.table}" if self.stage is None else f"agg{self.stage}_{self.table}"

    @property
    def correlated(self) -> bool:
        return self.stage is not None


class ComputedKind(StrEnum):
    """What a computed column of the per-entity table holds."""

    FEATURE = "feature"  # a value (a feature, or a KPI's per-entity component)
    SEGMENT = "segment"  # membership: true or false, never null
    RANK = "rank"  # membership of a top/bottom N: true or false, never null
    SCORE = "score"  # a segmentation score, 1..bins, missing without a value
    SEGMENTATION = "segmentation"  # the name of the entity's bucket

    @property
    def is_membership(self) -> bool:
        return self in (ComputedKind.SEGMENT, ComputedKind.RANK)


@dataclass(frozen=True)
class Computed:
    name: str
    expr: ir.Expr
    kind: ComputedKind
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Step:
    columns: tuple[Computed, ...]


@dataclass(frozen=True)
class Plan:
    model: m.Model = field(repr=False)
    entity_columns: tuple[str, ...]  # entity columns the plan reads, key first
    lookups: tuple[str, ...]  # entity-level lookups to join, in join order
    lookup_columns: tuple[tuple[str, str], ...]  # (lookup, column) pairs read
    aggregations: tuple[Aggregation, ...]
    steps: tuple[Step, ...]
    outputs: tuple[str, ...]  # segment names, in declaration order
    segmentations: tuple[str, ...] = ()  # segmentation names: one bucket name per entity
    # (output column, computed column): each score of those segmentations, e.g. rfm__r
    score_outputs: tuple[tuple[str, str], ...] = ()
    # KPIs: their expressions over `ir.Total(func, Ref(component))`, and the per-entity
    # component columns the query returns for them
    kpis: tuple[tuple[str, ir.Expr], ...] = ()
    kpi_components: tuple[str, ...] = ()
    # The KPIs among `kpis` that segl adds itself: the total of each ranking expression
    # (`top 20% by spend_total`, `tiers by spend_total`), whose index is a group's share.
    shares: tuple[str, ...] = ()
    # Features whose values the query returns as columns of their own name (`--traits`)
    traits: tuple[str, ...] = ()
    # event sequences (`count(A then no B within 7 days)`): one pass per pattern
    sequences: tuple[SequencePass, ...] = ()

    @property
    def key(self) -> str:
        return self.model.entity.key or ""

    @property
    def row_key(self) -> str:
        """The key's name in the query's rows (`row_name`)."""
        return self.row_name(self.key)

    def row_name(self, column: str) -> str:
        """The name an entity column has in the query's rows, past the entity's own source:
        its own, unless segl could give one of its own columns that name (`own_name`): then
        `_col_<n>`, n its place in `entity_columns` (the data's column names are the user's:
        a column `_as_of` or `orders__m1` must not meet the date or a measure)."""
        if column in self.entity_columns and own_name(column):
            return f"_col_{self.entity_columns.index(column) + 1}"
        return column

    @property
    def event_lookups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for a in self.aggregations for name in a.lookups))

    def describe(self) -> str:
        """A readable listing of the plan before as_of is known (`describe.py`)."""
        from .describe import describe_logical

        return describe_logical(self)


def own_name(name: str) -> bool:
    """Whether segl could give one of its own columns this name: every name segl invents in
    its queries starts with `_` (`_key`, `_as_of`, `_position`, `_rank_1`), holds `__`
    (`orders__m1`, `nation__n_name`, `agg_orders__seg`) or starts with `segl_`."""
    folded = name.casefold()
    return folded.startswith(("_", "segl_")) or "__" in folded


def feature_table_name(table: str, column: str) -> str:
    """How a lookup column is named in the per-entity feature table."""
    return f"{table}__{column}"


def plan_for(model: m.Model, names: list[str] | None = None,
             kpis: list[str] | None = None, shares: bool = False,
             traits: list[str] | None = None, fold_partials: bool | None = None) -> Plan:
    """Plan the given segments and segmentations (default: all), with only what they
    depend on, and the per-entity components of the given KPIs (default: none). With
    `shares`, also the total of every ranking expression (see `share_kpis`); with `traits`,
    the values of those features, each a column of the query named after it.
    `fold_partials` overrides `TableReads.fold_partials` (the prepared daily rollup folds
    line items into their orders)."""
    if names is None:
        names = [*model.segments, *model.segmentations]
    segments = [name for name in names if name in model.segments]
    segmentations = [name for name in names if name in model.segmentations]
    extra = share_kpis(model, segments, segmentations) if shares else {}
    first = _Planner(model, fold_partials=fold_partials)
    planned = first.plan(segments, segmentations, kpis or [], extra, traits or [])
    merge = first.mergeable()
    if not merge:
        return planned
    # again, with each table's plain measures in its first correlated pass
    return _Planner(model, merge, fold_partials).plan(segments, segmentations, kpis or [],
                                                      extra, traits or [])


def share_kpis(model: m.Model, segments: list[str], segmentations: list[str]
               ) -> dict[str, ir.Expr]:
    """`share of EXPR` -> sum(EXPR) for each numeric expression that a segment ranks by
    (a segment that is one `top`/`bottom`) or that a `tiers` segmentation bins: the 80/20
    view, how much of the expression the group holds."""
    found: dict[str, ir.Expr] = {}
    for _, _, by in ranked_expressions(model, segments, segmentations):
        # (a lookalike's similarity is a distance, not an amount anyone holds a share of)
        if by.type.is_numeric and not isinstance(by, ir.ClusterValue):
            text = " ".join(by.span.text.split()) if by.span is not None else repr(by)
            found.setdefault(f"share of {text}", ir.Total(ir.AggregateFunc.SUM, by, type=by.type,
                                                          span=by.span))
    return found


def ranked_expressions(model: m.Model, segments: list[str], segmentations: list[str]
                       ) -> list[tuple[str, str, ir.Expr]]:
    """(kind, name, expression) for each segment that is one `top`/`bottom` and each `tiers`
    segmentation: what they rank by."""
    found = [("segment", name, model.segments[name].predicate) for name in segments]
    found = [(kind, name, rank.by) for kind, name, rank in found if isinstance(rank, ir.Rank)]
    return found + [("segmentation", name, model.segmentations[name].scores[0].by)
                    for name in segmentations if model.segmentations[name].tiers]


class _Planner(TableReads):
    def __init__(self, model: m.Model, merge: dict[str, ir.Aggregate] | None = None,
                 fold_partials: bool | None = None) -> None:
        self.model = model
        if fold_partials is not None:
            self.fold_partials = fold_partials
        # by pass name (`Aggregation.name`): the table, `table@stage` for correlated passes
        self.measures: dict[str, dict[ir.Aggregate, Measure]] = {}
        self.stages: dict[str, tuple[str, int | None, tuple[str, ...]]] = {}
        # the tables whose measures each column and measure reads, through any chain
        self.reads: dict[str, frozenset[str]] = {}
        self.correlated: dict[ir.Aggregate, tuple[str, frozenset[str]]] = {}
        self.merge = merge or {}  # table -> the correlated aggregate its plain measures join
        self.pass_of: dict[str, str] = {}  # measure name -> pass name
        self.computed: dict[str, Computed] = {}
        self.depth: dict[str, int] = {}
        self.rank_count = 0
        self.stratified: dict[ir.StratifiedSlot, str] = {}  # node -> its column
        self.entity_columns: list[str] = [model.entity.key or ""]
        self.lookup_columns: list[tuple[str, str]] = []
        self.score_outputs: list[tuple[str, str]] = []
        self.kpi_components: list[str] = []
        self.sequences = SequencePlanner()

    def plan(self, segments: list[str], segmentations: list[str], kpis: list[str],
             shares: dict[str, ir.Expr], traits: list[str]) -> Plan:
        for name in segments:
            self.segment(name)
        for name in segmentations:
            self.segmentation(name)
        planned_kpis = tuple((name, self.kpi(self.model.kpis[name].expr)) for name in kpis)
        planned_kpis += tuple((name, self.kpi(total)) for name, total in shares.items())
        for name in traits:
            self.feature(name)
        steps: dict[int, list[Computed]] = {}
        for name, column in self.computed.items():
            steps.setdefault(self.depth[name], []).append(column)
        lookups = tuple(
            t.name for t in self.model.lookup_chain(self.model.entity.name)
            if t.name in self.needed_lookups()
        )
        aggregations = tuple(
            Aggregation(table, tuple(found.values()), self.aggregation_lookups(table, found),
                        stage is None and self.can_pre_aggregate(table, found),
                        self.fold_target(table) if stage is None else None, stage, context)
            for (table, stage, context), found in
            ((self.stages[name], found) for name, found in self.measures.items())
        )
        return Plan(
            model=self.model,
            entity_columns=tuple(self.entity_columns),
            lookups=lookups,
            lookup_columns=tuple(self.lookup_columns),
            aggregations=aggregations,
            steps=tuple(Step(tuple(steps[d])) for d in sorted(steps)),
            outputs=tuple(segments),
            segmentations=tuple(segmentations),
            score_outputs=tuple(self.score_outputs),
            kpis=planned_kpis,
            kpi_components=tuple(self.kpi_components),
            shares=tuple(shares),
            traits=tuple(traits),
            sequences=self.sequences.passes(),
        )

    # ---- named things: each becomes a column at a depth
    def segment(self, name: str) -> int:
        if name in self.depth:
            return self.depth[name]
        segment = self.model.segments[name]
        expr, depth = self.rewrite(segment.predicate)
        self.add(Computed(name, expr, ComputedKind.SEGMENT, segment.span), depth + 1)
        return self.depth[name]

    def kpi(self, expr: ir.Expr) -> ir.Expr:
        """Each Total's per-entity value becomes a column; the KPI totals that column."""

        def component(node: ir.Expr) -> ir.Expr:
            if not isinstance(node, ir.Total):
                return node
            value, depth = self.rewrite(node.value)
            name = f"_kpi_{len(self.kpi_components) + 1}"
            self.add(Computed(name, value, ComputedKind.FEATURE, node.span), depth + 1)
            self.kpi_components.append(name)
            return replace(node, value=ir.Ref(name, type=node.value.type, span=node.span))

        return _rewrite_top_down(expr, component)

    def segmentation(self, name: str) -> None:
        """An output: the bucket column and each score."""
        self.segmentation_column(name)
        for score in self.model.segmentations[name].scores:
            computed, _ = self.score(score)
            self.score_outputs.append((f"{name}__{score.name}", computed))

    def segmentation_column(self, name: str) -> int:
        """One text column: the name of the first bucket whose condition holds (a missing
        condition does not hold), else the last bucket's name. Computed once, whether an
        output or a value other definitions read (`rfm is champions`)."""
        if name in self.depth:
            return self.depth[name]
        segmentation = self.model.segmentations[name]
        depth = 0
        whens = []
        for bucket in segmentation.buckets[:-1]:
            condition, condition_depth = self.rewrite(bucket.condition)
            depth = max(depth, condition_depth)
            whens.append((condition, ir.Literal(bucket.name, type=T.TEXT)))
        otherwise = ir.Literal(segmentation.buckets[-1].name, type=T.TEXT)
        expr = ir.Case(tuple(whens), otherwise, type=T.TEXT, span=segmentation.span)
        self.add(Computed(name, expr, ComputedKind.SEGMENTATION, segmentation.span), depth + 1)
        return depth + 1

    def feature(self, name: str) -> int:
        if name in self.depth:
            return self.depth[name]
        feature = self.model.features[name]
        expr, depth = self.rewrite(feature.expr)
        self.add(Computed(name, expr, ComputedKind.FEATURE, feature.span), depth + 1)
        return self.depth[name]

    def add(self, column: Computed, depth: int) -> None:
        self.computed[column.name] = column
        self.depth[column.name] = depth
        self.reads[column.name] = self.tables_read(column.expr)

    def tables_read(self, expr: ir.Expr) -> frozenset[str]:
        return frozenset().union(*(self.reads.get(node.name, frozenset())
                                   for node in expr.walk() if isinstance(node, ir.Ref)))

    # ---- expressions: replace references by feature-table columns, track depth
    def rewrite(self, expr: ir.Expr) -> tuple[ir.Expr, int]:
        depth = 0

        def visit(node: ir.Expr) -> ir.Expr:
            nonlocal depth
            if isinstance(node, ir.Aggregate):
                ref, stage = self.measure(node)
                depth = max(depth, stage)
                return ref
            if isinstance(node, ir.Sequence):
                return self.sequences.column(node)
            if isinstance(node, ir.FeatureRef):
                depth = max(depth, self.feature(node.name))
                return ir.Ref(node.name, type=node.type, span=node.span)
            if isinstance(node, ir.SegmentRef):
                depth = max(depth, self.segment(node.name))
                return ir.Ref(node.name, type=T.BOOL, span=node.span)
            if isinstance(node, ir.SegmentationRef):
                depth = max(depth, self.segmentation_column(node.name))
                return ir.Ref(node.name, type=T.TEXT, span=node.span)
            if isinstance(node, ir.Column):
                return self.column(node)
            if isinstance(node, ir.Rank):
                name, rank_depth = self.rank(node)
                depth = max(depth, rank_depth)
                return ir.Ref(name, type=T.BOOL, span=node.span)
            if isinstance(node, ir.Score):
                name, score_depth = self.score(node)
                depth = max(depth, score_depth)
                return ir.Ref(name, type=T.INT, span=node.span)
            if isinstance(node, ir.StratifiedSlot):
                name, slot_depth = self.stratified_slot(node)
                depth = max(depth, slot_depth)
                return ir.Ref(name, type=T.INT, span=node.span)
            if isinstance(node, ir.ClusterValue):
                name, value_depth = self.cluster_value(node)
                depth = max(depth, value_depth)
                return ir.Ref(name, type=T.FLOAT, span=node.span)
            return node

        rewritten = _rewrite_top_down(expr, visit)
        return rewritten, depth

    def column(self, node: ir.Column) -> ir.Expr:
        if node.table == self.model.entity.name:
            if node.name not in self.entity_columns:
                self.entity_columns.append(node.name)
            return node
        pair = (node.table, node.name)
        if pair not in self.lookup_columns:
            self.lookup_columns.append(pair)
        return ir.Ref(feature_table_name(node.table, node.name), type=node.type, span=node.span)

    def rank(self, node: ir.Rank) -> tuple[str, int]:
        by, depth = self.rewrite(node.by)
        among = None
        if node.among is not None:
            among, among_depth = self.rewrite(node.among)
            depth = max(depth, among_depth)
        self.rank_count += 1
        name = f"_rank_{self.rank_count}"
        rewritten = ir.Rank(node.direction, node.amount, node.percent, by, among,
                            type=T.BOOL, span=node.span)
        self.add(Computed(name, rewritten, ComputedKind.RANK, node.span), depth + 1)
        return name, depth + 1

    def score(self, node: ir.Score) -> tuple[str, int]:
        name = f"_score_{node.segmentation}_{node.name}"
        if name in self.depth:
            return name, self.depth[name]
        by, depth = self.rewrite(node.by)
        self.add(Computed(name, replace(node, by=by), ComputedKind.SCORE, node.span), depth + 1)
        return name, depth + 1

    def stratified_slot(self, node: ir.StratifiedSlot) -> tuple[str, int]:
        """An experiment's stratified slot: a ranking within each stratum (plan/ranking.py),
        computed once per salt, stratum and admitted entities."""
        name = f"_stratified_{len(self.stratified) + 1}"
        name = self.stratified.setdefault(node, name)
        if name in self.depth:
            return name, self.depth[name]
        stratum, depth = self.rewrite(node.stratum)
        among, among_depth = self.rewrite(node.among)
        key, key_depth = self.rewrite(node.key)
        depth = max(depth, among_depth, key_depth)
        rewritten = ir.StratifiedSlot(node.salt, key, stratum, among, type=T.INT,
                                      span=node.span)
        self.add(Computed(name, rewritten, ComputedKind.SCORE, node.span), depth + 1)
        return name, depth + 1

    def cluster_value(self, node: ir.ClusterValue) -> tuple[str, int]:
        """A `clusters` segmentation's scaled feature or squared distance to a centroid:
        one column each, computed once."""
        name = f"_cluster_{node.segmentation}_{node.part}"
        if name in self.depth:
            return name, self.depth[name]
        value, depth = self.rewrite(node.value)
        self.add(Computed(name, value, ComputedKind.FEATURE, node.span), depth + 1)
        return name, depth + 1

    def measure(self, node: ir.Aggregate) -> tuple[ir.Expr, int]:
        """The aggregate's column, and the depth of the step after which it is known: 0
        for a plain pass, the stage of a correlated pass (`correlation.py`)."""
        original = node
        node, stage, context = correlation.contextualise(self.model, node, self.rewrite)
        context_reads = frozenset().union(*(self.reads.get(name, frozenset())
                                            for name in context))
        reads = context_reads | {node.table}
        if stage is None and node.table in self.merge and node != self.merge[node.table]:
            target, _ = self.measure(self.merge[node.table])  # the pass the measure joins
            assert isinstance(target, ir.Ref)
            name = self.pass_of[target.name]
            _, stage, context = self.stages[name]
        else:
            name = node.table if stage is None else f"{node.table}@{stage}"
        if stage is not None and original not in self.correlated:
            self.correlated[original] = (name, context_reads)
        old = self.stages.get(name, (node.table, stage, ()))[2]
        self.stages[name] = (node.table, stage, tuple(dict.fromkeys((*old, *context))))
        found = self.measures.setdefault(name, {})
        if node not in found:
            empty = None
            if node.func is ir.AggregateFunc.COUNT:
                empty = ir.Literal(0, type=T.INT)
            elif node.func is ir.AggregateFunc.SUM:
                empty = ir.Literal(0, type=node.type if node.type.is_numeric else T.INT)
            prefix = "" if stage is None else f"c{stage}"
            found[node] = Measure(f"{node.table}__{prefix}m{len(found) + 1}", node, empty)
            self.pass_of[found[node].name] = name
            self.reads[found[node].name] = reads
        return ir.Ref(found[node].name, type=node.type, span=node.span), stage or 0


def _rewrite_top_down(expr: ir.Expr, visit) -> ir.Expr:
    """Like ir.transform, but `visit` sees a node before its children and may replace it
    whole (an aggregate or a rank keeps its own inside)."""
    replaced = visit(expr)
    if replaced is not expr:
        return replaced
    return ir.transform_children(expr, lambda child: _rewrite_top_down(child, visit))
