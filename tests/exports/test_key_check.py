"""The export's entity key check (runtime/key_check.py): the number of missing and repeated
keys equals a plain-Python count for integer keys (checked with a bitmap between the bounds),
text keys and integers spread too widely (checked with `count(DISTINCT key)`), negative and
extreme keys, missing keys and no rows at all; and the bitmap is what an integer key gets."""

from __future__ import annotations

from collections import Counter

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.runtime import key_check, sql


def python_counts(keys: list) -> tuple[int, int]:
    present = [k for k in keys if k is not None]
    return len(keys) - len(present), sum(n - 1 for n in Counter(present).values())


def checked(keys: list, dtype) -> tuple[tuple[int, int], str]:
    connection = duckdb.connect()
    frame = pl.DataFrame({"k": keys}, schema={"k": dtype})
    connection.register("rows", frame)
    source = sql.table_ref("rows")
    bounds = sql.fetch_one(connection, key_check.bounds_query("k", source))
    query = sql.select(*key_check.key_counts("k", bounds), source=source)
    missing, repeats = sql.fetch_one(connection, query)
    return (int(missing), int(repeats)), sql.render(query)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-50, 50),
                          st.sampled_from([-(1 << 63), (1 << 63) - 1, 10**12])), max_size=80))
def test_integer_keys_against_python(keys):
    found, text = checked(keys, pl.Int64)
    assert found == python_counts(keys)
    present = [k for k in keys if k is not None]
    narrow = bool(present) and max(present) - min(present) < key_check.MAX_BITS
    assert ("BITSTRING_AGG" in text.upper()) == narrow
    assert ("DISTINCT" in text.upper()) == (bool(present) and not narrow)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=60))
def test_text_keys_against_python(keys):
    found, text = checked(keys, pl.Utf8)
    assert found == python_counts(keys)
    assert "BITSTRING_AGG" not in text.upper()


@pytest.mark.parametrize("dtype", [pl.Int32, pl.UInt32, pl.Int16])
def test_every_integer_width_uses_the_bitmap(dtype):
    keys = [3, 1, 2, 3, 7, 7, 7, None]
    found, text = checked(keys, dtype)
    assert found == python_counts(keys) == (1, 3)
    assert "BITSTRING_AGG" in text.upper()


def test_no_rows_and_only_missing_keys():
    assert checked([], pl.Int64)[0] == (0, 0)
    assert checked([None, None], pl.Int64)[0] == (2, 0)
