"""The grouped passes as units the runtime may run on their own (issue 15 item 6).

Polars' streaming `group_by` keeps the rows of keys it has not pre-aggregated until its
input ends (pola-rs/polars#22285): with a few events per entity that is nearly every row,
so one lazy query holding every pass peaks at the sum of their inputs. Each grouped pass
whose rows do not depend on the per-entity frame (every pass but the correlated ones) is
therefore handed, as a `GroupedPass`, to a `PassRunner` the caller may give the generator:
the runtime's runner collects it alone and, when its input is large, in K partitions of the
group key (`hash(key) % K`), each partition grouped over only its rows, the results
concatenated (`runtime/engines/polars_memory.py`).
A key's rows all fall in one partition, so every group is computed from exactly the rows it
had before; rankings, scores and correlated passes come after, over all the entities
(the per-entity frame the materialised passes are joined into). Without a runner (the
default) every pass stays part of one lazy query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class GroupedPass:
    """One grouped pass: `group(rows)` is its result, one row per value of `key` (a column
    of `rows`); `inputs` are the columns its aggregates read, which Polars' group-by holds
    per row (the runtime sizes partitions by them). `group` must give the same result for
    any subset of `rows` that holds every row of the keys it keeps."""

    rows: pl.LazyFrame
    key: str
    group: Callable[[pl.LazyFrame], pl.LazyFrame]
    inputs: tuple[str, ...]

    def result(self) -> pl.LazyFrame:
        """The pass over all its rows (what one lazy query holds)."""
        return self.group(self.rows)

    def partition(self, index: int, count: int, seed: int = 0) -> pl.LazyFrame:
        """The pass over the rows whose key hashes to `index` of `count` partitions (null
        keys fall in one partition too: `hash` of a null is a value)."""
        return self.group(self.rows.filter(
            pl.col(self.key).hash(seed) % count == index))


# The runtime's way of running a pass: its result as a (materialised) lazy frame.
PassRunner = Callable[[GroupedPass], pl.LazyFrame]


def input_columns(rows: pl.LazyFrame, key: str, expressions: list[pl.Expr]) -> tuple[str, ...]:
    """The key and the columns of `rows` the aggregate expressions read."""
    names = [key]
    for expression in expressions:
        names += expression.meta.root_names()
    available = rows.collect_schema()
    return tuple(name for name in dict.fromkeys(names) if name in available)


class Passes:
    """Part of the Polars generator (mixed into `PolarsGenerator`): where a grouped pass is
    built, it goes through `grouped_pass`, which hands it to the runner when there is one."""

    run_pass: PassRunner | None = None

    def grouped_pass(self, rows: pl.LazyFrame, key: str,
                     group: Callable[[pl.LazyFrame], pl.LazyFrame],
                     expressions: list[pl.Expr], alone: bool = True) -> pl.LazyFrame:
        """`group(rows)`; run by the runner when there is one and the pass can run `alone`
        (a correlated pass reads the per-entity frame: it stays in the query)."""
        if self.run_pass is None or not alone:
            return group(rows)
        return self.run_pass(GroupedPass(rows, key, group,
                                         input_columns(rows, key, expressions)))
