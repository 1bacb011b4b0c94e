"""`segl diff --data` counts members in one grouped pass (issue 15 item 6): seven aggregates
grouped by group over the long form, however many segments and buckets, where it used to
write seven filtered aggregates per group (378 for the example shop). The counts and the
examples are those of counting each group on its own."""

from __future__ import annotations

import duckdb
import pytest
from segl.runtime import diff_members, sql
from sqlglot import exp


def _groups(n: int):
    return [("segment", f"s{i}", exp.true(), exp.true()) for i in range(n)]


@pytest.fixture
def connection():
    connection = duckdb.connect()
    # 200 entities, 3 groups: b_i / h_i from the key's bits
    columns = ", ".join(f"(k >> {2 * i}) & 1 = 1 AS b{i}, (k >> {2 * i + 1}) & 1 = 1 AS h{i}"
                        for i in range(3))
    connection.sql("SELECT k AS segl_key, " + columns + " FROM range(200) AS t(k)").create(
        diff_members.ROWS)
    yield connection
    connection.close()


def test_counts_and_examples_match_counting_each_group_alone(connection):
    deltas = diff_members._member_counts(connection, _groups(3), examples=4)
    keys = [row[0] for row in connection.execute(
        "SELECT segl_key FROM segl_diff_rows ORDER BY 1").fetchall()]
    for i, delta in enumerate(deltas):
        before = {k for k in keys if (k >> 2 * i) & 1}
        after = {k for k in keys if (k >> 2 * i + 1) & 1}
        assert (delta.before, delta.after) == (len(before), len(after))
        assert (delta.joined, delta.left, delta.stayed) == (
            len(after - before), len(before - after), len(before & after))
        assert delta.joined_examples == sorted(after - before)[:4]
        assert delta.left_examples == sorted(before - after)[:4]


def test_one_grouped_query_whatever_the_number_of_groups(connection, monkeypatch):
    seen = []
    real = sql.fetch_all

    def recording(conn, statement, *args, **kwargs):
        seen.append(statement)
        return real(conn, statement, *args, **kwargs)

    monkeypatch.setattr(diff_members.sql, "fetch_all", recording)
    diff_members._member_counts(connection, _groups(3), examples=2)
    assert len(seen) == 1
    aggregates = [node for node in seen[0].find_all(exp.AggFunc)
                  if not isinstance(node.parent, exp.AggFunc)]
    assert len(aggregates) == 7 and seen[0].args.get("group")
