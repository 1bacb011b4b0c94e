"""A segmentation's bucket where a segment was expected: `persona … for styles is cluster_2`
gives a cluster a face, `similarity to styles is cluster_2 on (…)` seeds a lookalike with a
cluster's members (docs/discovery.md)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_file, format_source, to_sql
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.discover import discover, write_lock_files
from segl.runtime.personas import persona_report

from .helpers import AS_OF, CUSTOMER_SCHEMA, HEAD, ORDER_SCHEMA, expected, shop

STYLES = "segmentation styles = clusters 3 on (income, n_orders, spend) scaled zscore seed 42\n"
PERSONA = """persona carla "Carla, the regular" for styles is cluster_2 {
  description "Orders now and then"
  styles "cluster_2"
  n_orders 2
}
"""
LOOK = ("segment like_two = top 10% by similarity to styles is cluster_2 on (income, n_orders) "
        "among not styles is cluster_2\n")
KEY = "similarity to styles is cluster_2 on (income, n_orders)"


@pytest.fixture
def shop_data(project):
    customers, orders = shop(400, seed=9)

    def write(text: str):
        return project(HEAD + STYLES + text, {"customers": customers, "orders": orders},
                       {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})
    return write, customers, orders


def fitted(path):
    write_lock_files(discover(str(path), AS_OF))
    compilation = compile_file(path)
    assert compilation.ok, [d.render() for d in compilation.diagnostics]
    return compilation


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_persona_and_seed_of_a_bucket_format_as_written(shop_data):
    formatted = format_source(HEAD + STYLES + PERSONA + LOOK)
    assert 'persona carla "Carla, the regular" for styles is cluster_2 {' in formatted
    assert "by similarity to styles is cluster_2 on (income, n_orders)" in formatted
    assert format_source(formatted) == formatted


@pytest.mark.parametrize("wrong, message, hint", [
    ("for styles is cluster_7", "segmentation `styles` has no bucket `cluster_7`", "cluster_"),
    ("for stiles is cluster_2", "unknown segmentation `stiles`", "styles"),
])
def test_an_unknown_bucket_or_segmentation_is_a_positioned_e101(shop_data, wrong, message,
                                                                hint):
    path = shop_data[0](PERSONA)
    fitted(path)
    path.write_text(path.read_text().replace("for styles is cluster_2", wrong))
    (problem,) = compile_file(path).errors
    assert problem.code == "E101" and problem.message == message
    assert problem.span.text == wrong.split()[-1 if "cluster_7" in wrong else 1]
    assert any(hint in h for h in problem.hints)


def test_the_persona_of_a_cluster_is_checked_against_its_members(shop_data):
    path = shop_data[0](PERSONA)
    fitted(path)
    report = persona_report(str(path), "carla", AS_OF)
    members = evaluate(path, as_of=AS_OF).buckets["styles"]["cluster_2"]
    assert report.segment_size == members > 0
    (check,) = report.checks
    assert check.condition == "styles is cluster_2" and check.result is True
    assert report.persona.target == "styles is cluster_2"
    result = run_cli("persona", "carla", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "persona of styles is cluster_2" in result.output
    assert f"{members:,} members" in result.output


def test_a_persona_of_another_bucket_does_not_satisfy_it(shop_data):
    path = shop_data[0](PERSONA.replace('styles "cluster_2"', 'styles "cluster_1"'))
    fitted(path)
    (check,) = persona_report(str(path), "carla", AS_OF).checks
    assert check.result is False


def test_a_lookalike_seeded_by_a_cluster_uses_its_members_centroid(shop_data):
    write, customers, orders = shop_data
    path = write(LOOK)
    discovery = discover(str(path), AS_OF)
    write_lock_files(discovery)
    (lookalike,) = discovery.lookalikes
    assert lookalike.similarity.key == KEY
    buckets = dict(zip(*(evaluate(path, as_of=AS_OF).members().get_column(c)
                         for c in ("customer_id", "styles")), strict=True))
    values = expected(customers, orders)
    complete = {k: v["styles"] for k, v in values.items() if v["styles"][0] is not None}
    x = np.array([[float(v[0]), float(v[2])] for v in complete.values()])
    seed = np.array([buckets[k] == "cluster_2" for k in complete])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    assert lookalike.members == int(seed.sum()) > 0
    assert lookalike.fit.centroid == pytest.approx(tuple(z[seed].mean(axis=0)), abs=1e-9)
    lock = path.with_name("test.clusters.toml").read_text()
    assert f'["{KEY}"]' in lock
    sql = to_sql(compile_file(path), "duckdb", AS_OF)
    assert "like_two" in sql
    members = evaluate(path, as_of=AS_OF).members()
    chosen = members.filter(members.get_column("like_two"))
    assert chosen.height > 0
    assert set(chosen.get_column("styles")) <= {"cluster_1", "cluster_3", "no_value"}


def test_another_bucket_makes_the_lookalike_stale(shop_data):
    path = shop_data[0](LOOK)
    fitted(path)
    path.write_text(path.read_text().replace("to styles is cluster_2", "to styles is cluster_3"))
    (problem,) = compile_file(path).errors
    assert problem.code == "E114" and "styles is cluster_3" in problem.message


def test_a_personal_feature_needs_the_segmentations_allow(shop_data):
    write = shop_data[0]
    path = write(LOOK)
    path.write_text(path.read_text().replace("income float", "income float pii"))
    result = run_cli("discover", path, "--as-of", AS_OF)
    assert result.exit_code == 2 and "E504" in result.stderr


def test_a_lookalike_seeded_by_a_rule_bucket_takes_its_members_from_the_engine(shop_data):
    write, customers, orders = shop_data
    path = write("segmentation value { high when spend > 1500  else low }\n"
                 "segment like_high = top 5% by similarity to value is high on (income, n_orders)"
                 " among value is low\n")
    (lookalike,) = discover(str(path), AS_OF).lookalikes
    values = expected(customers, orders)
    complete = {k: v["styles"] for k, v in values.items() if v["styles"][0] is not None}
    x = np.array([[float(v[0]), float(v[2])] for v in complete.values()])
    seed = np.array([float(v[3]) > 1500 for v in complete.values()])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    assert lookalike.members == int(seed.sum()) > 0
    assert lookalike.fit.centroid == pytest.approx(tuple(z[seed].mean(axis=0)), abs=1e-9)
