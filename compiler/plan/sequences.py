"""Event sequences in the plan: one pass per pattern (`A then B within N`), fixed for as_of.

The logical plan gives each distinct pattern one `SequencePass` whose count and last
columns the features read (`count(…)` and `last(…)` of one pattern share the pass). The
physical plan turns it into `PhysicalSequence`: the rows each table gives (its key, its time,
whether it is a first-step or a second-step event, hidden after as_of), and the tests over
the per-instant rows that the backends compute with window functions:

1. rows: every event of either step up to as_of, flagged `_a` (first step) and `_b`
   (second step); one scan per table (a table in both steps is read once);
2. instants: per entity and timestamp, how many first-step and second-step events;
3. neighbours, by window functions over the instants of each entity, ordered by time:
   `_next`, the next instant holding a second-step event (strictly later: equal timestamps
   are not "after"), or for `then first` `_prev_a`/`_prev_b`, the latest earlier instants
   holding a first-step / second-step event;
4. per entity: the events of the instants that complete the pattern, counted, and the
   latest such instant.

Semantics: docs/language.md#sequences."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from .. import model as m

T = ir.Type
K = ir.SequenceKind


@dataclass(frozen=True)
class SequencePass:
    """One pattern and the columns computed from it (count, last)."""

    name: str  # the pass's name: seq_1, seq_2, …
    pattern: ir.Sequence  # with func COUNT: the pattern, whatever is asked of it
    count: str | None  # the column of the count, if asked
    last: str | None  # the column of the latest time, if asked
    time_type: ir.Type = T.TIMESTAMP  # the type of the time the pattern is dated by


@dataclass(frozen=True)
class SequenceSource:
    """The rows one table gives a sequence pass: `first`/`then` say which of them are events
    of the first/second step (None: the table is not in that step; a Literal true: all)."""

    table: str
    key: str
    time: str
    first: ir.Expr | None
    then: ir.Expr | None
    cap: ir.Expr  # date(time) <= as_of: later rows are invisible


@dataclass(frozen=True)
class PhysicalSequence:
    pass_: SequencePass
    sources: tuple[SequenceSource, ...]
    # over the instants (`_t`, `_a`, `_b`, and `_next` or `_prev_a`/`_prev_b`): whether an
    # instant completes the pattern, and how many of its events it counts (`_a` or `_b`)
    matched: ir.Expr
    weight: str

    @property
    def every_instant_then(self) -> bool:
        """Every row read is a second-step event (`orders then no orders`): the next
        instant holding one is simply the next instant (LEAD, without a frame)."""
        return all(isinstance(s.then, ir.Literal) and s.then.value is True
                   for s in self.sources)

    @property
    def name(self) -> str:
        return self.pass_.name

    @property
    def kind(self) -> ir.SequenceKind:
        return self.pass_.pattern.kind


class SequencePlanner:
    """Collects the sequence passes of a plan (used by `logical._Planner`)."""

    def __init__(self) -> None:
        self.found: dict[ir.Sequence, dict[ir.AggregateFunc, str]] = {}
        self.types: dict[ir.Sequence, ir.Type] = {}

    def column(self, node: ir.Sequence) -> ir.Ref:
        pattern = _pattern(node)
        columns = self.found.setdefault(pattern, {})
        index = list(self.found).index(pattern) + 1
        suffix = "count" if node.func is ir.AggregateFunc.COUNT else "last"
        columns.setdefault(node.func, f"seq_{index}__{suffix}")
        if node.func is ir.AggregateFunc.LAST:
            self.types[pattern] = node.type
        return ir.Ref(columns[node.func], type=node.type, span=node.span)

    def passes(self) -> tuple[SequencePass, ...]:
        return tuple(
            SequencePass(f"seq_{index}", pattern, columns.get(ir.AggregateFunc.COUNT),
                         columns.get(ir.AggregateFunc.LAST), self.types.get(pattern, T.TIMESTAMP))
            for index, (pattern, columns) in enumerate(self.found.items(), 1))


def _pattern(node: ir.Sequence) -> ir.Sequence:
    return ir.Sequence(ir.AggregateFunc.COUNT, node.kind, node.first, node.first_filter,
                       node.then, node.then_filter, node.within, type=T.INT)


def fold_sequences(passes: tuple[SequencePass, ...], fold) -> tuple[SequencePass, ...]:
    """The passes with `fold` (as_of folded into dates) applied to their step filters."""
    from dataclasses import replace
    return tuple(replace(p, pattern=fold(p.pattern)) for p in passes)


def physical_sequence(model: m.Model, pass_: SequencePass, as_of: ir.Expr) -> PhysicalSequence:
    """The pass fixed for one as_of (`as_of`: its date as a Literal, or `ir.AsOf`)."""
    pattern = pass_.pattern
    true = ir.Literal(True, type=T.BOOL)
    sources = []
    for table_name in dict.fromkeys((pattern.first, pattern.then)):
        table = model.events[table_name]
        time = ir.Column(table.name, table.time_column or "",
                         type=_time_type(table))
        first = (pattern.first_filter or true) if table_name == pattern.first else None
        then = (pattern.then_filter or true) if table_name == pattern.then else None
        cap = ir.Compare(ir.CompareOp.LE, _date(time), as_of, type=T.BOOL)
        sources.append(SequenceSource(table.name, table.entity_key or "", table.time_column or "",
                                      first, then, cap))
    time_type = _time_type(model.events[pattern.first])
    if pattern.first != pattern.then and time_type != _time_type(model.events[pattern.then]):
        time_type = T.TIMESTAMP
    t = ir.Ref("_t", type=time_type)
    a_count = ir.Compare(ir.CompareOp.GT, ir.Ref("_a", type=T.INT), _zero(), type=T.BOOL)
    b_count = ir.Compare(ir.CompareOp.GT, ir.Ref("_b", type=T.INT), _zero(), type=T.BOOL)
    if pattern.kind is K.THEN_FIRST:
        prev_a = ir.Ref("_prev_a", type=time_type)
        prev_b = ir.Ref("_prev_b", type=time_type)
        terms = [b_count, ir.IsMissing(prev_a, True, type=T.BOOL),
                 ir.Logic(ir.LogicOp.OR, (
                     ir.IsMissing(prev_b, False, type=T.BOOL),
                     ir.Compare(ir.CompareOp.LE, prev_b, prev_a, type=T.BOOL)), type=T.BOOL)]
        if pattern.within is not None:
            terms.append(_within(prev_a, t, pattern.within))
        return PhysicalSequence(pass_, tuple(sources), _and(terms), "_b")
    following = ir.Ref("_next", type=time_type)
    if pattern.kind is K.THEN:
        terms = [a_count, ir.IsMissing(following, True, type=T.BOOL)]
        if pattern.within is not None:
            terms.append(_within(t, following, pattern.within))
        return PhysicalSequence(pass_, tuple(sources), _and(terms), "_a")
    none_after: ir.Expr = ir.IsMissing(following, False, type=T.BOOL)
    terms = [a_count]
    if pattern.within is not None:
        none_after = ir.Logic(ir.LogicOp.OR, (none_after, ir.Not(
            _within(t, following, pattern.within), type=T.BOOL)), type=T.BOOL)
        # the window has ended by as_of: date(t) + N <= as_of
        terms.append(ir.Compare(ir.CompareOp.LE, _shifted(t, pattern.within), as_of,
                                type=T.BOOL))
    terms.append(none_after)
    return PhysicalSequence(pass_, tuple(sources), _and(terms), "_a")


def reads(model: m.Model, passes: tuple[SequencePass, ...]) -> list[tuple[str, str]]:
    """(table, column) pairs the passes read."""
    found: list[tuple[str, str]] = []
    for pass_ in passes:
        pattern = pass_.pattern
        for table_name, condition in ((pattern.first, pattern.first_filter),
                                      (pattern.then, pattern.then_filter)):
            table = model.events[table_name]
            found += [(table.name, table.entity_key or ""), (table.name, table.time_column or "")]
            for node in condition.walk() if condition is not None else ():
                if isinstance(node, ir.Column):
                    found.append((node.table, node.name))
    return list(dict.fromkeys(found))


def describe(pass_: SequencePass) -> str:
    """The pass in one line (the logical plan's listing)."""
    p = pass_.pattern
    within = f" within {p.within.amount} {p.within.unit}s" if p.within else ""
    scans = p.first if p.first == p.then else f"{p.first}, {p.then}"
    outputs = ", ".join(c for c in (pass_.count, pass_.last) if c)
    return (f"sequence {pass_.name}: {p.first} {p.kind} {p.then}{within} "
            f"(one scan of {scans}; windows over instants) -> {outputs}")


def sequence_lines(sequence: PhysicalSequence, text) -> list[str]:
    """The pass for `--show plan`: what each scan reads and which instants complete it
    (`text`: describe.expr_text)."""
    lines = [describe(sequence.pass_)]
    for source in sequence.sources:
        steps = [f"{name} if {text(condition)}" for name, condition in
                 (("first step", source.first), ("second step", source.then))
                 if condition is not None]
        lines.append(f"  scan {source.table} ({text(source.cap)}): {'; '.join(steps)}")
    lines.append(f"  completes when {text(sequence.matched)}, counting {sequence.weight}")
    return lines


def sequence_json(sequence: PhysicalSequence, text) -> dict:
    pass_ = sequence.pass_
    return {"name": pass_.name, "pattern": text(pass_.pattern), "count": pass_.count,
            "last": pass_.last,
            "scans": [{"table": s.table, "cap": text(s.cap),
                       "first": None if s.first is None else text(s.first),
                       "then": None if s.then is None else text(s.then)}
                      for s in sequence.sources],
            "matched": text(sequence.matched), "weight": sequence.weight}


def _time_type(table: m.Table) -> ir.Type:
    info = table.column(table.time_column or "")
    return info.type if info is not None and info.type in (T.DATE, T.TIMESTAMP) else T.TIMESTAMP


def _date(value: ir.Expr) -> ir.Expr:
    if value.type is T.DATE:
        return value
    return ir.Func("date", (value,), type=T.DATE)


def _shifted(value: ir.Expr, within: ir.WindowLast) -> ir.Expr:
    return ir.DateShift(_date(value), within.amount, within.unit, type=T.DATE)


def _within(start: ir.Expr, end: ir.Expr, within: ir.WindowLast) -> ir.Expr:
    """date(end) <= date(start) + N units."""
    return ir.Compare(ir.CompareOp.LE, _date(end), _shifted(start, within), type=T.BOOL)


def _zero() -> ir.Literal:
    return ir.Literal(0, type=T.INT)


def _and(terms: list[ir.Expr]) -> ir.Expr:
    return ir.Logic(ir.LogicOp.AND, tuple(terms), type=T.BOOL) if len(terms) > 1 else terms[0]
