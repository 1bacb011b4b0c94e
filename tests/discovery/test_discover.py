"""`segl discover`: fits on the engine's features, writes the lock file atomically and
byte-identically on a re-run; `run` then assigns as the fit did."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_file
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.discover import discover

from .helpers import AS_OF, CUSTOMER_SCHEMA, HEAD, ORDER_SCHEMA, shop

STYLES = "segmentation styles = clusters 3 on (income, n_orders, spend) scaled zscore seed 42\n"


def with_data(project, text: str):
    customers, orders = shop(400, seed=9)
    return project(text, {"customers": customers, "orders": orders},
                   {"customers": CUSTOMER_SCHEMA, "orders": ORDER_SCHEMA})


@pytest.fixture
def shop_seg(project):
    return with_data(project, HEAD + STYLES)


def run_cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def test_discover_writes_a_lock_file_that_makes_the_file_compile(shop_seg):
    assert compile_file(shop_seg).errors[0].code == "E114"
    result = run_cli("discover", shop_seg, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    lock = shop_seg.with_name("test.clusters.toml")
    assert "wrote test.clusters.toml" in result.stderr
    assert compile_file(shop_seg).ok
    text = lock.read_text()
    assert re.search(r"^cluster_3 = \[.*\]  # \d+ entities$", text, re.MULTILINE)
    assert 'as_of = "2026-06-30"' in text and "seed = 42" in text


def test_a_rerun_gives_the_same_bytes(shop_seg):
    assert run_cli("discover", shop_seg, "--as-of", AS_OF).exit_code == 0
    lock = shop_seg.with_name("test.clusters.toml")
    first = lock.read_bytes()
    result = run_cli("discover", shop_seg, "--as-of", AS_OF)
    assert "unchanged: test.clusters.toml" in result.stderr
    lock.unlink()
    assert run_cli("discover", shop_seg, "--as-of", AS_OF).exit_code == 0
    assert lock.read_bytes() == first


def test_a_changed_seed_is_stale_until_discover_runs_again(shop_seg):
    run_cli("discover", shop_seg, "--as-of", AS_OF)
    shop_seg.write_text(shop_seg.read_text().replace("seed 42", "seed 7"))
    result = run_cli("check", "--no-data", shop_seg)
    assert result.exit_code == 1 and "error[E114]" in result.stderr and "stale" in result.stderr
    assert run_cli("discover", shop_seg, "--as-of", AS_OF).exit_code == 0
    assert run_cli("check", "--no-data", shop_seg).exit_code == 0


def test_run_assigns_every_fitted_entity_to_its_fitted_cluster(shop_seg):
    discovery = discover(str(shop_seg), AS_OF)
    (result,) = discovery.results
    shop_seg.with_name("test.clusters.toml").write_text(
        discovery.lock_files[str(shop_seg.with_name("test.clusters.toml"))])
    evaluation = evaluate(shop_seg, as_of=AS_OF)
    sizes = evaluation.buckets["styles"]
    assert [sizes[f"cluster_{i}"] for i in (1, 2, 3)] == [p.size for p in result.profiles]
    assert sizes["no_value"] == result.left_out > 0  # customers without an income
    assert sum(p.size for p in result.profiles) == result.entities


def test_the_profile_is_the_mean_of_each_feature_per_cluster(shop_seg):
    (result,) = discover(str(shop_seg), AS_OF).results
    sizes = np.array([p.size for p in result.profiles])
    means = np.array([p.means for p in result.profiles])
    overall = (means * sizes[:, None]).sum(axis=0) / sizes.sum()
    assert np.allclose(overall, result.overall)
    for profile in result.profiles:
        pairs = zip(profile.means, result.overall, strict=True)
        assert profile.index == pytest.approx(tuple(100 * m / o for m, o in pairs))
    assert list(sizes) == sorted(sizes, reverse=True)


def test_k_range_prints_inertia_and_silhouette_per_k(shop_seg):
    result = run_cli("discover", shop_seg, "--as-of", AS_OF, "--k", "2..5")
    assert result.exit_code == 0, result.output
    rows = re.findall(r"│\s+(\d)( \(declared\))?\s+│\s+([\d,.]+)\s+│\s+(-?[\d.]+)\s+│",
                      result.stdout)
    assert [r[0] for r in rows] == ["2", "3", "4", "5"] and rows[1][1] == " (declared)"
    inertias = [float(r[2].replace(",", "")) for r in rows]
    assert inertias == sorted(inertias, reverse=True)
    assert "cluster_3" in result.stdout and "everyone" in result.stdout


@pytest.mark.parametrize("bad", ["1..4", "5..3", "x", "2..99"])
def test_a_bad_k_range_is_a_usage_error(shop_seg, bad):
    result = run_cli("discover", shop_seg, "--k", bad)
    assert result.exit_code == 2 and "--k expects" in result.stderr


def test_missing_mean_imputes_and_fits_everyone(shop_seg):
    shop_seg.write_text(shop_seg.read_text().replace("seed 42", "seed 42 missing mean"))
    (result,) = discover(str(shop_seg), AS_OF).results
    assert result.left_out == 0 and result.entities == 400
    assert run_cli("discover", shop_seg, "--as-of", AS_OF).exit_code == 0
    assert "no_value" not in [b.name for b in
                              compile_file(shop_seg).model.segmentations["styles"].buckets]


def test_other_errors_stop_discover(shop_seg):
    shop_seg.write_text(shop_seg.read_text() + "segment broken = nothing > 1\n")
    result = run_cli("discover", shop_seg, "--as-of", AS_OF)
    assert result.exit_code == 1 and "error[E101]" in result.stderr
    assert not shop_seg.with_name("test.clusters.toml").exists()


def test_a_file_without_clusters_is_a_usage_error(project):
    path = with_data(project, HEAD + "segment big = spend > 100\n")
    result = run_cli("discover", path)
    assert result.exit_code == 2 and "declares no clusters segmentation" in result.stderr


def test_personal_features_need_an_allow(project):
    path = with_data(project, HEAD.replace("income float", "income float pii") + STYLES)
    result = run_cli("discover", path, "--as-of", AS_OF)
    assert result.exit_code == 2 and "E504" in result.stderr
    assert not path.with_name("test.clusters.toml").exists()
    allowed = STYLES.rstrip() + ' purpose "Shopping styles" allow (income)\n'
    path.write_text(HEAD.replace("income float", "income float pii") + allowed)
    assert run_cli("discover", path, "--as-of", AS_OF).exit_code == 0


@pytest.mark.parametrize("engine", ["polars", "sqlite"])
def test_the_engine_computing_the_features_does_not_change_the_lock_file(shop_seg, engine):
    reference = discover(str(shop_seg), AS_OF).lock_files
    other = discover(str(shop_seg), AS_OF, engine=engine).lock_files
    assert other == reference


def test_discover_shows_every_kpi_per_cluster_with_its_index(project):
    path = with_data(project, HEAD + STYLES + "kpi spend_per_order = sum(spend) / sum(n_orders)\n")
    result = run_cli("discover", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "styles · KPIs per cluster" in result.output
    evaluation = evaluate(path, as_of=AS_OF, kpis=True)
    from segl.runtime.kpis import kpi_table

    groups = {g.name: g for g in kpi_table(evaluation)}
    kpi_part = result.output[result.output.index("KPIs per cluster"):]
    for bucket in ("cluster_1", "cluster_2", "cluster_3"):
        group = groups[f"styles.{bucket}"]
        line = next(row for row in kpi_part.splitlines() if f" {bucket} " in row)
        assert f"{group.size:,}" in line
        assert f"({group.index['spend_per_order']:.0f})" in line


def test_discover_without_kpis_shows_no_kpi_table(shop_seg):
    result = run_cli("discover", shop_seg, "--as-of", AS_OF)
    assert result.exit_code == 0 and "KPIs per cluster" not in result.output
