"""`segl report`'s Clusters section (runtime/cluster_profiles.py, report_clusters.py): each
cluster's size, feature means and KPI values with their index, as assigned on the report's
date, computed here again from the raw rows; escaped; personal features need an allow."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from segl.compiler.api import CompileError
from segl.runtime.report import build_report, render_report

from .helpers import AS_OF, expected, fitted_shop

KPI = "kpi spend_per_order = sum(spend) / sum(n_orders)\n"


@pytest.fixture
def shop_report(project):
    path, customers, orders = fitted_shop(project)
    path.write_text(path.read_text() + KPI)
    return path, customers, orders, build_report(str(path), AS_OF)


def test_each_clusters_profile_is_the_mean_of_its_members_features(shop_report):
    _, customers, orders, data = shop_report
    raw = expected(customers, orders)
    members = data.evaluation.members()
    by_key = dict(zip(members.get_column("customer_id"), members.get_column("styles"),
                      strict=True))
    (styles,) = [p for p in data.clusters if p.name == "styles"]
    assert {p.name for p in data.clusters} == {"imputed", "styles", "ties"}
    inside = {k: b for k, b in by_key.items() if b != "no_value"}
    assert styles.entities == len(inside)
    everyone = [sum(float(raw[k]["styles"][f]) for k in inside) / len(inside) for f in range(4)]
    assert styles.overall == pytest.approx(everyone, rel=1e-12)
    for cluster in styles.profiles:
        keys = [k for k, b in inside.items() if b == cluster.name]
        assert cluster.size == len(keys) == data.evaluation.buckets["styles"][cluster.name]
        for f in range(4):
            mean = sum(float(raw[k]["styles"][f]) for k in keys) / len(keys)
            assert cluster.means[f] == pytest.approx(mean, rel=1e-12)
            assert cluster.index[f] == pytest.approx(100 * mean / everyone[f], rel=1e-12)


def test_missing_mean_profiles_the_imputed_value_assignment_uses(shop_report):
    _, customers, orders, data = shop_report
    raw = expected(customers, orders)
    (imputed,) = [p for p in data.clusters if p.name == "imputed"]
    fit = imputed.clusters.fit
    assert imputed.entities == len(customers), "missing mean: everyone is in a cluster"
    values = [float(fit.mean[0]) if raw[c["customer_id"]]["imputed"][0] is None
              else float(raw[c["customer_id"]]["imputed"][0]) for c in customers]
    assert imputed.overall[0] == pytest.approx(sum(values) / len(values), rel=1e-12)


def test_the_page_shows_each_cluster_with_features_and_kpis(shop_report):
    _, _, _, data = shop_report
    html = render_report(data)
    section = html[html.index('<section id="clusters">'):]
    section = section[:section.index("</section>")]
    (styles,) = [p for p in data.clusters if p.name == "styles"]
    for cluster in styles.profiles:
        row = re.search(rf'<tr data-bucket="styles\.{cluster.name}">(.*?)</tr>', section).group(1)
        assert f'data-size="{cluster.size}"' in row
        assert f"{cluster.means[3]:,.2f}" in row, "the spend mean"
        group = next(g for g in data.kpis if g.name == f"styles.{cluster.name}")
        index = group.index["spend_per_order"]
        assert (f'data-index="{index:.6f}"' if index is not None else 'data-index=""') in row
    assert "income" in section and "age / 10" in section
    assert '<a href="#clusters">' in html


def test_names_from_the_definitions_are_escaped(project):
    path, _, _ = fitted_shop(project)
    text = path.read_text().replace("segmentation ties =", 'segmentation ties "<b>Ties</b>" =')
    path.write_text(text)
    html = render_report(build_report(str(path), AS_OF))
    section = html[html.index('<section id="clusters">'):]
    section = section[:section.index("</section>")]
    assert "<b>Ties</b>" not in html and "&lt;b&gt;Ties&lt;/b&gt;" in section


def test_a_file_without_fitted_clusters_has_no_section(project):
    path, _, _ = fitted_shop(project)
    text = path.read_text()
    path.write_text(text[:text.index("segmentation styles")] + "segment big = spend > 1500\n")
    data = build_report(str(path), AS_OF)
    assert data.clusters == [] and '<section id="clusters">' not in render_report(data)


def test_personal_features_need_an_allow_to_be_profiled(project):
    path, _, _ = fitted_shop(project)
    text = path.read_text().replace("income float", "income float pii")
    path.write_text(text[:text.index("segment big_spenders")])  # only the clusters
    with pytest.raises(CompileError, match="E504") as refused:
        build_report(str(path), AS_OF)
    assert "cluster profiles" in str(refused.value)
    allowed = path.read_text().replace(
        "seed 42", 'seed 42 purpose "Shopping styles" allow (income)').replace(
        "missing mean", 'missing mean purpose "Planning" allow (income)')
    path.write_text(allowed)
    assert {p.name for p in build_report(str(path), AS_OF).clusters} >= {"styles"}


def test_decimal_features_are_profiled_as_numbers(shop_report):
    _, customers, orders, data = shop_report
    (styles,) = [p for p in data.clusters if p.name == "styles"]
    assert all(isinstance(m, float) for c in styles.profiles for m in c.means)
    assert isinstance(expected(customers, orders)[1]["styles"][3], Decimal)
