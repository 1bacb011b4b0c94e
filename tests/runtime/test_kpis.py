"""KPIs: each against a plain Python computation, the ratio-of-sums rule, and the index."""

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from click.testing import CliRunner
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.kpis import kpi_table

from tests.conftest import ROOT

AS_OF = date(2026, 6, 30)
DATA = ROOT / "examples/shop/data"


def visible(rows, column):
    return [r for r in rows if r[column].date() <= AS_OF]


@pytest.fixture(scope="module")
def shop():
    evaluation = evaluate(ROOT / "examples/shop/shop.seg", as_of=AS_OF,
                          segments=["loyal", "lapsed"], kpis=True)
    groups = {g.name: g for g in kpi_table(evaluation)}
    members = {name: {k for (k,) in evaluation.connection.execute(
        f"SELECT customer_id FROM {evaluation.table} WHERE {name}").fetchall()}
        for name in ("loyal", "lapsed")}
    members["all"] = set(pl.read_parquet(DATA / "customers.parquet")["customer_id"])
    return groups, members


def expected(members: set) -> dict[str, object]:
    orders = visible(pl.read_parquet(DATA / "orders.parquet").to_dicts(), "ordered_at")
    paid = [o for o in orders if o["status"] == "paid" and o["customer_id"] in members]
    emails = [e for e in visible(pl.read_parquet(DATA / "email_events.parquet").to_dicts(),
                                 "occurred_at") if e["customer_id"] in members]
    answers = [a for a in visible(pl.read_parquet(DATA / "survey_answers.parquet").to_dicts(),
                                  "answered_at")
               if a["customer_id"] in members and a["nps"] is not None]
    customers = pl.read_parquet(DATA / "customers.parquet").to_dicts()
    ages = []
    for c in customers:
        if c["customer_id"] in members and c["birth_date"] is not None:
            b = c["birth_date"]
            ages.append(AS_OF.year - b.year - ((AS_OF.month, AS_OF.day) < (b.month, b.day)))
    revenue = sum((Decimal(repr(o["amount"])) for o in paid), Decimal(0))
    clicks = sum(1 for e in emails if e["event_type"] == "click")
    opens = sum(1 for e in emails if e["event_type"] == "open")
    sent = [e for e in emails if e["event_type"] == "sent"]
    # windows by calendar date: the last 365 days are as_of - 364 .. as_of
    last_year = AS_OF - timedelta(days=364)
    year_before = AS_OF - timedelta(days=729)
    orders_1y, orders_prev, spend_1y = defaultdict(int), defaultdict(int), Decimal(0)
    for o in paid:
        day = o["ordered_at"].date()
        if day >= last_year:
            orders_1y[o["customer_id"]] += 1
            spend_1y += Decimal(repr(o["amount"]))
        elif day >= year_before:
            orders_prev[o["customer_id"]] += 1
    had = [k for k in members if orders_prev[k] > 0]
    cost = {c["campaign"]: Decimal(repr(c["cost_per_send"]))
            for c in pl.read_parquet(DATA / "campaigns.parquet").to_dicts()}
    email_cost = sum((cost[e["campaign"]] for e in sent), Decimal(0))
    coded = sum((Decimal(repr(o["amount"])) for o in paid if o["discount_code"] is not None),
                Decimal(0))
    csat = [a["csat"] for a in visible(pl.read_parquet(DATA / "survey_answers.parquet")
                                       .to_dicts(), "answered_at")
            if a["customer_id"] in members and a["csat"] is not None]
    return {
        "conversion": Decimal(sum(1 for k in members if orders_1y[k] > 0)) / len(members),
        "retention": Decimal(sum(1 for k in had if orders_1y[k] > 0)) / len(had),
        "churn": Decimal(sum(1 for k in had if orders_1y[k] == 0)) / len(had),
        "email_open_rate": Decimal(opens) / len(sent),
        "csat": Decimal(sum(csat)) / len(csat),
        "clv_proxy": spend_1y * 3 / len(members),
        "email_roi": (coded - email_cost) / email_cost,
        "revenue": revenue,
        "orders_per_customer": Decimal(len(paid)) / len(members),
        "aov": revenue / len(paid),  # the ratio of the sums, not an average of averages
        "email_ctr": Decimal(clicks) / opens,
        "nps": Decimal(sum(a["nps"] for a in answers)) / len(answers),
        "avg_age": Decimal(sum(ages)) / len(ages),
    }


@pytest.mark.parametrize("group", ["all", "loyal", "lapsed"])
def test_kpis_equal_a_direct_computation(shop, group):
    groups, members = shop
    want = expected(members[group])
    got = groups[group].values
    assert groups[group].size == len(members[group])
    assert set(want) == set(got), "every KPI of the example is checked here"
    for name, value in want.items():
        assert float(got[name]) == pytest.approx(float(value), rel=1e-9), name


def test_the_index_is_against_all_entities(shop):
    groups, _ = shop
    for name, value in groups["loyal"].values.items():
        assert groups["loyal"].index[name] == pytest.approx(
            float(value) / float(groups["all"].values[name]) * 100)
    assert all(index == pytest.approx(100) for index in groups["all"].index.values())


def test_avg_over_a_related_table_is_a_ratio_of_sums(project):
    # customer 1: one order of 100; customer 2: three orders of 10. The average of the
    # customers' averages would be 55; the group's average order is 130 / 4 = 32.5.
    path = project("""
entity customer from parquet "data/customers.parquet" key id
events orders from parquet "data/orders.parquet" key customer_id
segment everyone = id > 0
kpi avg_order = avg(orders.amount)
""", {"customers": [{"id": 1}, {"id": 2}],
      "orders": [{"customer_id": 1, "amount": 100.0}] +
                [{"customer_id": 2, "amount": 10.0}] * 3})
    groups = {g.name: g for g in kpi_table(evaluate(path, as_of=AS_OF, kpis=True))}
    assert float(groups["everyone"].values["avg_order"]) == 32.5


def test_kpi_misuse_is_reported():
    messages = [d.message for d in compile_source(SourceFile("t.seg", """
entity customer from parquet "c.parquet" key id { id int  age int }
events orders from parquet "o.parquet" key customer_id at t { t timestamp  sku text }
kpi a = age
kpi b = count(distinct orders.sku)
kpi c = first(orders.sku)
kpi d = sum(age where age > 1)
""")).errors]
    assert messages == [
        "a KPI measures a group of entities, so every value in it must be aggregated",
        "`count(distinct …)` does not add up over a group of entities",
        "`first` does not add up over a group of entities",
        "`sum` over the entities of a group takes one value per entity, without `where` or "
        "`distinct`",
    ]


def test_segl_kpis_prints_groups_and_indexes(monkeypatch):
    monkeypatch.chdir(ROOT / "examples/shop")
    result = CliRunner().invoke(main, ["kpis", "-s", "loyal", "-s", "lifecycle"],
                                terminal_width=250)
    assert result.exit_code == 0, result.stderr
    assert "aov: Average order value" in result.output
    assert "lifecycle.prospect" in result.output
    result = CliRunner().invoke(main, ["kpis", "-s", "loyal", "-k", "aov", "-k", "churn"])
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.output.splitlines() if "group" in line)
    assert "aov" in header and "churn" in header and "revenue" not in header
    result = CliRunner().invoke(main, ["kpis", "-k", "churm"])
    assert result.exit_code == 2 and "did you mean `churn`?" in result.output


def test_segl_kpis_shows_the_share_a_top_segment_holds(tmp_path):
    """No `kpi` declared: a `top P% by e` segment alone is enough for the 80/20 view."""
    seg = tmp_path / "pareto.seg"
    seg.write_text(f'import "{ROOT / "examples/shop/features.seg"}"\n'
                   "segment top_20pct = top 20% by spend_total\n"
                   "segment bottom_half = bottom 50% by orders_total\n")
    result = CliRunner().invoke(main, ["kpis", str(seg), "--as-of", "2026-06-30"],
                                terminal_width=200)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "top_20pct" in line)
    assert "share of spend_total" in result.output and "share of orders_total" in result.output
    assert re.search(r"7\d\.\d%", row), row
    plain = tmp_path / "plain.seg"
    plain.write_text(f'import "{ROOT / "examples/shop/features.seg"}"\n'
                     "segment big = spend_total > 1000\n")
    result = CliRunner().invoke(main, ["kpis", str(plain), "--as-of", "2026-06-30"])
    assert result.exit_code == 2 and "declares no `kpi`" in result.output
