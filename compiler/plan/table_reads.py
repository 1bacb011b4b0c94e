"""What the planner decides per events table: the lookups a pass joins, whether plain
measures join a correlated pass, partial aggregation of `through` tables (a mixin of
`logical._Planner`, which owns the state these read)."""

from __future__ import annotations

from .. import catalogue, ir

# aggregates whose partial results per join key combine exactly (the catalogue's `partial`)
PARTIAL_FUNCS = frozenset(ir.AggregateFunc(a.name) for a in catalogue.AGGREGATE_FUNCTIONS.values()
                          if a.partial is not None)


class TableReads:
    """Per-table decisions of the planner (state: `model`, `measures`, `stages`,
    `correlated`, `lookup_columns`)."""

    def aggregation_lookups(self, table: str, measures: dict) -> tuple[str, ...]:
        """Lookups an aggregation reads (with the lookups they hang off), in join order."""
        used = {node.table for aggregate in measures for node in aggregate.walk()
                if isinstance(node, ir.Column) and node.table in self.model.lookups}
        needed: set[str] = set()
        for name in used:
            while name in self.model.lookups:
                needed.add(name)
                name = self.model.lookups[name].owner or ""
        roots = [table]
        through = self.model.events[table].through
        if through:
            roots.append(through)
        order = [t.name for root in roots for t in self.model.lookup_chain(root)]
        return tuple(name for name in dict.fromkeys(order) if name in needed)

    def mergeable(self) -> dict[str, ir.Aggregate]:
        """For each table with plain measures and correlated ones: its first correlated
        aggregate that reads no measure of the table itself (through any chain), whose pass
        the plain measures can join (one pass over the table instead of two)."""
        found: dict[str, ir.Aggregate] = {}
        for aggregate, (name, reads) in self.correlated.items():
            table, stage, _ = self.stages[name]
            if table in reads or table not in self.measures:
                continue
            best = found.get(table)
            if best is None or stage < self.stages[self.correlated[best][0]][1]:
                found[table] = aggregate
        return found

    # Whether a partial aggregation is folded into the pass over the table it is reached
    # through (a LEFT JOIN of the partials to every row of that table, summed in its
    # grouped pass) or finished in a pass of its own (the partials INNER JOIN that table's
    # keys, grouped per entity). Off: measured on DuckDB 2.0.1 at TPC-H SF10 (issue 15
    # item 2, bench/README.md), folding carried all 15 M orders with every column through
    # the join; a pass of its own reads the orders' keys a second time but joins 1.8 M
    # rows: 6-7% less CPU for the twelve and the fifty segments. Tests turn it on to keep
    # the folded form exact.
    fold_partials = False

    def fold_target(self, table: str) -> str | None:
        """The table whose pass finishes this table's partial aggregation, if any: the
        table it is reached through, when that has a plain grouped pass of its own (and
        `fold_partials` is on)."""
        via = self.model.events[table].through
        if not self.fold_partials or not via or table not in self.measures or \
                not self.can_pre_aggregate(table, self.measures[table]):
            return None
        own = self.measures.get(via, {})
        funcs = {aggregate.func for aggregate in own}
        F = ir.AggregateFunc
        if not funcs - {F.MOST_FREQUENT} or funcs & {F.FIRST, F.LAST}:
            return None
        return via

    def can_pre_aggregate(self, table: str, measures: dict) -> bool:
        """Partial aggregation is exact for count, sum, min and max over the table's own
        columns (and its own lookups); not for distinct counts, averages or ordered picks."""
        events = self.model.events[table]
        if not events.through:
            return False
        own = {table} | {t.name for t in self.model.lookup_chain(table)}
        for aggregate in measures:
            if aggregate.func not in PARTIAL_FUNCS or aggregate.distinct:
                return False
            for node in aggregate.walk():
                if isinstance(node, ir.Column) and node.table not in own:
                    return False
        return True

    def needed_lookups(self) -> set[str]:
        """Lookups whose columns are read, plus the lookups they hang off."""
        needed: set[str] = set()
        for lookup, _ in self.lookup_columns:
            name = lookup
            while name in self.model.lookups:
                needed.add(name)
                name = self.model.lookups[name].owner or ""
        return needed
