"""Event sequences as SQL (`plan/sequences.py` says what each stage computes): four CTEs
per pattern, `seq_N_rows` (one scan per table, UNION ALL when the steps read two tables),
`seq_N_instants` (grouped by key and time), `seq_N_windows` (the neighbouring instants by
window functions, ROWS frames that every tested dialect has) and `seq_N` (per entity: the
count and the latest time), LEFT JOINed into `base` by the generator."""

from __future__ import annotations

from sqlglot import exp

from ... import ir
from ...plan.sequences import PhysicalSequence, SequenceSource
from .trees import and_, case_when, cast, col, ident, named, or_, project, table_ref

K = ir.SequenceKind
T = ir.Type


class Sequences:
    """Mixed into SqlGenerator: the CTEs of each sequence pass."""

    def value_Sequence(self, node: ir.Sequence) -> exp.Expression:
        raise AssertionError("sequences are planned as passes of their own")

    def sequence_ctes(self, sequence: PhysicalSequence) -> list[tuple[str, exp.Expression]]:
        name = sequence.name
        rows: exp.Expression | None = None
        for source in sequence.sources:
            select = self.sequence_rows(sequence, source)
            rows = select if rows is None else exp.union(rows, select, distinct=False)
        assert rows is not None
        zero = exp.Literal.number(0)
        instants = exp.select(
            col("_key"), col("_t"),
            named(exp.Sum(this=col("_a")), ident("_a")),
            named(exp.Sum(this=col("_b")), ident("_b")),
        ).from_(table_ref(f"{name}_rows"), copy=False).group_by(col("_key"), col("_t"),
                                                                 copy=False)
        windows = exp.select(col("_key"), col("_t"), col("_a"), col("_b"))
        windows = windows.from_(table_ref(f"{name}_instants"), copy=False)
        if sequence.kind is K.THEN_FIRST:
            project(windows, self.neighbour(exp.Max, "_a", following=False), "_prev_a")
            project(windows, self.neighbour(exp.Max, "_b", following=False), "_prev_b")
        elif sequence.every_instant_then:
            project(windows, exp.Window(
                this=exp.Lead(this=col("_t")),
                partition_by=[col("_key")],
                order=exp.Order(expressions=[exp.Ordered(this=col("_t"))]), over="OVER"),
                "_next")
        else:
            project(windows, self.neighbour(exp.Min, "_b", following=True), "_next")
        matched = self.cond(sequence.matched)
        result = exp.select(col("_key")).from_(table_ref(f"{name}_windows"), copy=False)
        if sequence.pass_.count:
            # (a whole number of every engine's usual width: DuckDB sums to HUGEINT)
            project(result, cast(exp.Sum(this=exp.Case(
                ifs=[exp.If(this=matched, true=col(sequence.weight))], default=zero)),
                "BIGINT"), sequence.pass_.count)
        if sequence.pass_.last:
            project(result, exp.Max(this=case_when(matched.copy(), col("_t"))),
                    sequence.pass_.last)
        result = result.group_by(col("_key"), copy=False)
        return [(f"{name}_rows", rows), (f"{name}_instants", instants),
                (f"{name}_windows", windows), (name, result)]

    def sequence_rows(self, sequence: PhysicalSequence, source: SequenceSource) -> exp.Select:
        """The events of either step from one table, flagged, up to as_of."""
        table = self.model.events[source.table]
        self.scope_table = table.name
        time: exp.Expression = col(source.time, table.name)
        if self.sequence_time_type(sequence) is T.TIMESTAMP and \
                _time_type(table) is T.DATE:
            time = cast(time, exp.DataType.build("timestamp"))
        one, zero = exp.Literal.number(1), exp.Literal.number(0)
        flags = []
        conditions = []
        for condition in (source.first, source.then):
            if condition is None:
                flags.append(zero)
                continue
            if isinstance(condition, ir.Literal) and condition.value is True:
                flags.append(one)  # every row of the table is an event of this step
                continue
            test = self.cond(condition)
            conditions.append(test)
            flags.append(exp.Case(ifs=[exp.If(this=test.copy(), true=one)], default=zero))
        select = exp.select(
            named(col(source.key, table.name), ident("_key")), named(time, ident("_t")),
            named(flags[0], ident("_a")), named(flags[1], ident("_b")),
        ).from_(self.aliased_source(table), copy=False)
        where = [exp.Not(this=exp.Is(this=col(source.time, table.name), expression=exp.Null())),
                 self.cond(source.cap)]
        if not any(isinstance(c, ir.Literal) and c.value is True
                   for c in (source.first, source.then)):
            where.append(exp.Paren(this=or_(*conditions)) if len(conditions) > 1
                         else conditions[0])
        self.scope_table = None
        return select.where(and_(*where), copy=False)

    def neighbour(self, func, flag: str, following: bool) -> exp.Expression:
        """The nearest instant before (after) this one holding an event of the step
        `flag`: strictly, since the rows are one per instant."""
        value = case_when(exp.GT(this=col(flag), expression=exp.Literal.number(0)), col("_t"))
        one = exp.Literal.number(1)
        spec = exp.WindowSpec(kind="ROWS", start=one, start_side="FOLLOWING",
                              end="UNBOUNDED", end_side="FOLLOWING") if following else \
            exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                           end=one, end_side="PRECEDING")
        return exp.Window(this=func(this=value), partition_by=[col("_key")],
                          order=exp.Order(expressions=[exp.Ordered(this=col("_t"))]),
                          spec=spec, over="OVER")

    def sequence_time_type(self, sequence: PhysicalSequence) -> ir.Type:
        types = {_time_type(self.model.events[s.table]) for s in sequence.sources}
        return types.pop() if len(types) == 1 else T.TIMESTAMP

    def sequence_joins(self, select: exp.Select, key: exp.Expression) -> exp.Select:
        """`base` with each pass LEFT JOINed by key, its columns projected (count 0 for an
        entity without events)."""
        for sequence in self.physical.sequences:
            pass_ = sequence.pass_
            if pass_.count:
                project(select, exp.Coalesce(this=col(pass_.count, pass_.name),
                                             expressions=[exp.Literal.number(0)]), pass_.count)
            if pass_.last:
                project(select, col(pass_.last, pass_.name), pass_.last)
            select = select.join(table_ref(pass_.name), join_type="left", on=exp.EQ(
                this=col("_key", pass_.name), expression=key.copy()), copy=False)
        return select


def _time_type(table) -> ir.Type:
    info = table.column(table.time_column or "")
    return info.type if info is not None and info.type in (T.DATE, T.TIMESTAMP) else T.TIMESTAMP
