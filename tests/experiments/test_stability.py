"""Experiments are stable (docs/experiments.md): adding members never moves anyone, and
changing one arm's share moves only the members between its old and new boundary. Checked
against an independent computation of the published slot; misdeclared experiments (E112)."""

from __future__ import annotations

import hashlib

import pytest
from segl.compiler.api import SourceFile, compile_source, to_sql
from segl.runtime.api import evaluate


def slot(salt: str, key: object) -> int:
    return int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % 10_000


def _arms(project, keys: range, arms: str, tag: str) -> dict[int, str]:
    path = project(f"""
        entity customer from parquet "data/customers.parquet" key customer_id {{
          customer_id int
        }}
        segment everyone = true
        experiment mail on everyone salt "mail-1" {{ {arms} }}
        """, {"customers": [{"customer_id": k} for k in keys]}, name=f"{tag}.seg")
    evaluation = evaluate(path, as_of="2026-06-30")
    rows = evaluation.connection.execute(
        f"SELECT customer_id, mail FROM {evaluation.table}").fetchall()
    return dict(rows)


def test_new_members_never_move_existing_ones(project):
    before = _arms(project, range(1, 5_001), "control 10% variant_a 45% variant_b 45%", "a")
    after = _arms(project, range(1, 20_001), "control 10% variant_a 45% variant_b 45%", "b")
    assert all(after[key] == arm for key, arm in before.items())


def test_changing_one_share_moves_only_the_slots_between_the_boundaries(project):
    keys = range(1, 20_001)
    before = _arms(project, keys, "control 10% variant_a 45% variant_b 45%", "a")
    after = _arms(project, keys, "control 20% variant_a 35% variant_b 45%", "b")
    moved = {key for key in keys if before[key] != after[key]}
    assert moved == {key for key in keys if 1_000 <= slot("mail-1", key) < 2_000}
    assert all(before[key] == "variant_a" and after[key] == "control" for key in moved)


def test_growing_the_last_arm_into_free_slots_moves_no_one_else(project):
    keys = range(1, 20_001)
    before = _arms(project, keys, "control 10% variant 40%", "a")
    after = _arms(project, keys, "control 10% variant 50%", "b")
    moved = {key for key in keys if before[key] != after[key]}
    assert moved == {key for key in keys if 5_000 <= slot("mail-1", key) < 6_000}
    assert {before[key] for key in moved} == {"outside"}


HEAD = """entity customer from csv "c.csv" key customer_id {
  customer_id int
}
segment everyone = true
"""


@pytest.mark.parametrize(("text", "message"), [
    ('experiment m on everyone salt "s" { a 50% b 60% }', "add up to 110%, more than 100%"),
    ('experiment m on everyone salt "s" { a 50% a 50% }', "arm `a` appears twice"),
    ('experiment m on everyone salt "s" { a 0% b 50% }', "positive share"),
    ('experiment m on everyone salt "s" { a 0.001% }', "hundredths of a percent"),
    ('experiment m on everyone salt "s" { outside 10% }', "`outside` names the members"),
    ('experiment m on everyone salt " " { a 10% }', "salt must not be empty"),
    ('experiment m on nobody salt "s" { a 10% }', "unknown segment `nobody`"),
    ('holdout 5% salt "a"\nholdout 5% salt "b"', "one holdout"),
    ('holdout 100% salt "a"', "no one to contact"),
])
def test_misdeclared_experiments_are_errors(text, message):
    compilation = compile_source(SourceFile("x.seg", HEAD + text))
    assert [d.code for d in compilation.errors] in (["E112"], ["E101"])
    assert message in compilation.errors[0].message
    assert compilation.errors[0].span.line == HEAD.count("\n") + 1 + text.count("\n")


def test_experiment_sql_holds_the_published_hash():
    head = HEAD.replace('from csv "c.csv"', 'from table "crm.customers"')
    compilation = compile_source(SourceFile("x.seg", head + 'experiment m on everyone '
                                            'salt "s-1" { a 10% }'))
    for dialect in ("duckdb", "postgres", "spark", "snowflake", "bigquery", "clickhouse"):
        text = to_sql(compilation, dialect=dialect)
        assert "'s-1:'" in text and "0123456789abcdef" in text, dialect
