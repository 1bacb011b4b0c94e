"""Event sequences as Polars (`plan/sequences.py` says what each stage computes), the same
stages as the SQL backend (`backends/sql/sequences.py`): the flagged rows of each table
(concatenated when the steps read two), one row per key and instant, the neighbouring
instants by `shift` and `fill` over each key's instants in time order, then per entity the
count and the latest time, LEFT JOINed into the entity row by the generator."""

from __future__ import annotations

import polars as pl

from ... import ir
from ...plan.sequences import PhysicalSequence, SequenceSource
from .sources import column_named, qualified

K = ir.SequenceKind
T = ir.Type


class Sequences:
    """Mixed into PolarsGenerator: one frame of `_key`, count and last per sequence pass."""

    def value_Sequence(self, node: ir.Sequence) -> pl.Expr:
        raise AssertionError("sequences are planned as passes of their own")

    def sequence_frame(self, sequence: PhysicalSequence) -> pl.LazyFrame:
        frames = [self.sequence_rows(sequence, source) for source in sequence.sources]
        rows = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical_relaxed")
        matched = self.value(sequence.matched).fill_null(False)
        return self.grouped_pass(
            rows, "_key", lambda rows: self.sequence_windows(sequence, rows, matched),
            [pl.col("_t"), pl.col("_a"), pl.col("_b")])

    def sequence_windows(self, sequence: PhysicalSequence, rows: pl.LazyFrame,
                         matched: pl.Expr) -> pl.LazyFrame:
        """Per entity: the count of matched instants and the latest one."""
        instants = rows.group_by(["_key", "_t"]).agg(pl.col("_a").sum(), pl.col("_b").sum())
        instants = instants.sort(["_key", "_t"])
        t = pl.col("_t")
        if sequence.kind is K.THEN_FIRST:
            a_time = pl.when(pl.col("_a") > 0).then(t)
            b_time = pl.when(pl.col("_b") > 0).then(t)
            windows = instants.with_columns(
                a_time.shift(1).forward_fill().over("_key").alias("_prev_a"),
                b_time.shift(1).forward_fill().over("_key").alias("_prev_b"))
        elif sequence.every_instant_then:  # every instant holds one: the next instant
            windows = instants.with_columns(t.shift(-1).over("_key").alias("_next"))
        else:
            b_time = pl.when(pl.col("_b") > 0).then(t)
            windows = instants.with_columns(
                b_time.shift(-1).backward_fill().over("_key").alias("_next"))
        parts = []
        pass_ = sequence.pass_
        if pass_.count:
            parts.append(pl.when(matched).then(pl.col(sequence.weight)).otherwise(0)
                         .sum().cast(pl.Int64).alias(pass_.count))
        if pass_.last:
            parts.append(pl.when(matched).then(t).max().alias(pass_.last))
        return windows.group_by("_key").agg(parts)

    def sequence_rows(self, sequence: PhysicalSequence, source: SequenceSource
                      ) -> pl.LazyFrame:
        """The events of either step from one table, flagged, up to as_of."""
        table = self.model.events[source.table]
        columns = [source.key, source.time]
        for condition in (source.first, source.then):
            for node in condition.walk() if condition is not None else ():
                if isinstance(node, ir.Column) and node.table == table.name:
                    columns.append(node.name)
        frame = self.read(table, columns, lambda c: qualified(table.name, c))
        self.scope_table = table.name
        time = column_named(qualified(table.name, source.time))
        if self.sequence_time_type(sequence) is T.TIMESTAMP:
            time = time.cast(pl.Datetime("us"))
        flags, conditions = [], []
        for condition in (source.first, source.then):
            if condition is None:
                flags.append(pl.lit(0, dtype=pl.Int64))
                continue
            test = self.value(condition).fill_null(False)
            conditions.append(test)
            flags.append(pl.when(test).then(1).otherwise(0).cast(pl.Int64))
        keep = column_named(qualified(table.name, source.time)).is_not_null() & \
            self.value(source.cap).fill_null(False) & pl.any_horizontal(conditions)
        self.scope_table = None
        return frame.filter(keep).select(
            column_named(qualified(table.name, source.key)).alias("_key"), time.alias("_t"),
            flags[0].alias("_a"), flags[1].alias("_b"))

    def sequence_time_type(self, sequence: PhysicalSequence) -> ir.Type:
        types = set()
        for source in sequence.sources:
            table = self.model.events[source.table]
            info = table.column(table.time_column or "")
            types.add(info.type if info is not None and info.type is T.DATE else T.TIMESTAMP)
        return types.pop() if len(types) == 1 else T.TIMESTAMP

    def sequence_joins(self, frame: pl.LazyFrame, key: pl.Expr) -> pl.LazyFrame:
        for sequence in self.physical.sequences:
            frame = self.join_by_key(frame, self.sequence_frame(sequence), key)
            if sequence.pass_.count:
                frame = frame.with_columns(pl.col(sequence.pass_.count).fill_null(0))
        return frame
