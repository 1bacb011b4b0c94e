"""The entity key check of a pass over the entity's rows (`segl export`'s light pass): how
many rows lack the key and how many repeat one, without `count(DISTINCT key)` when it can.

`count(DISTINCT key)` builds a hash table of every key: on 1.4 M customers it was most of
what `segl export` added to a hand-written `COPY … TO` (bench/README.md, exports). For an
integer key the same count comes from a bitmap: `bitstring_agg(key, lo, hi)` sets one bit per
distinct value between the smallest and the largest key, and `count(key) - bit_count(…)` is
the number of repeated keys, exactly (no hashing, no sort). The bounds must be constants: a
first pass reads them (`min`, `max` of the key, which reads the key column alone). A text key,
or integers spread over more than MAX_BITS, keep `count(DISTINCT key)`.
"""

from __future__ import annotations

from sqlglot import exp

from . import sql

MAX_BITS = 1 << 26  # a bitmap of 8 MiB per thread at most
_INT64 = (-(1 << 63), (1 << 63) - 1)


def bounds_query(key: str, source: exp.Expression) -> exp.Select:
    """min(key), max(key) over `source`: the bitmap's bounds."""
    return sql.select(exp.Min(this=sql.col(key)), exp.Max(this=sql.col(key)),
                      source=source.copy())


def key_counts(key: str, bounds: tuple | None) -> list[exp.Expression]:
    """count(*) - count(key) (missing keys) and the number of repeated keys, for a query
    over the entity's rows; `bounds`: the row of `bounds_query` (None: not read)."""
    missing = exp.Sub(this=sql.count_all(), expression=exp.Count(this=sql.col(key)))
    return [missing, _repeats(key, bounds)]


def _repeats(key: str, bounds: tuple | None) -> exp.Expression:
    low, high = bounds if bounds is not None else (None, None)
    count = exp.Count(this=sql.col(key))
    if low is None and high is None and bounds is not None:
        return sql.number(0)  # (no key at all: nothing repeats)
    if _integer(low) and _integer(high) and high - low < MAX_BITS:
        bitmap = exp.func("bitstring_agg", exp.cast(sql.col(key), exp.DataType.Type.BIGINT),
                          exp.cast(sql.number(low), exp.DataType.Type.BIGINT),
                          exp.cast(sql.number(high), exp.DataType.Type.BIGINT))
        return exp.Sub(this=count, expression=exp.func("bit_count", bitmap))
    return exp.Sub(this=count, expression=exp.Count(this=exp.Distinct(
        expressions=[sql.col(key)])))


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and \
        _INT64[0] <= value <= _INT64[1]
