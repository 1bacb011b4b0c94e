"""Scores (RFM): each binning method in each direction, checked against a plain Python
computation on the example shop's data, ties included."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from segl.runtime.api import evaluate

from tests.conftest import ROOT

AS_OF = date(2026, 6, 30)
SHOP = ROOT / "examples/shop"


def shop_values() -> dict[str, dict[int, object]]:
    """days_since_last_order, orders_total and spend_total of every customer, computed here."""
    customers = pl.read_parquet(SHOP / "data/customers.parquet")["customer_id"].to_list()
    orders = pl.read_parquet(SHOP / "data/orders.parquet").to_dicts()
    last, count, spend = {}, defaultdict(int), defaultdict(Decimal)
    for order in orders:
        if order["status"] != "paid" or order["ordered_at"].date() > AS_OF:
            continue
        key = order["customer_id"]
        count[key] += 1
        spend[key] += Decimal(repr(order["amount"]))
        last[key] = max(last.get(key, order["ordered_at"]), order["ordered_at"])
    return {
        "days_since_last_order": {k: (AS_OF - last[k].date()).days if k in last else None
                                  for k in customers},
        "orders_total": {k: count[k] for k in customers},
        "spend_total": {k: spend[k] for k in customers},
    }


def expected_scores(values: dict[int, object], higher_is_better: bool, bins: int,
                    method: str, thresholds: list) -> dict[int, int | None]:
    present = [k for k, v in values.items() if v is not None]
    scores: dict[int, int | None] = {k: None for k in values}
    if method == "thresholds":
        for k in present:
            reached = [t for t in thresholds
                       if (values[k] >= t if higher_is_better else values[k] <= t)]
            scores[k] = 1 + len(reached)
        return scores
    # worst first; among equal values the larger key first (the smaller key scores better)
    sign = 1 if higher_is_better else -1
    worst_first = sorted(present, key=lambda k: (sign * values[k], -k))
    n = len(worst_first)
    if method == "ntile":
        size, larger = divmod(n, bins)  # the first `larger` bins hold one row more
        row = 0
        for bin_number in range(1, bins + 1):
            for _ in range(size + (1 if bin_number <= larger else 0)):
                scores[worst_first[row]] = bin_number
                row += 1
        return scores
    # quantile: bins by rank; equal values share a rank, hence a bin
    rank = 0
    for position, k in enumerate(worst_first):
        if position == 0 or values[k] != values[worst_first[position - 1]]:
            rank = position + 1
        scores[k] = 1 + (bins * (rank - 1)) // n
    return scores


CASES = [
    ("days_since_last_order", False, 5, "ntile", []),
    ("days_since_last_order", True, 4, "quantile", []),
    ("orders_total", True, 5, "quantile", []),
    ("orders_total", False, 3, "ntile", []),
    ("spend_total", True, 5, "thresholds", [50, 200, 500, 1500]),
    ("days_since_last_order", False, 4, "thresholds", [30, 90, 365]),
]


@pytest.fixture(scope="module")
def values():
    return shop_values()


@pytest.mark.parametrize("by,higher,bins,method,thresholds", CASES,
                         ids=[f"{c[0]}-{'higher' if c[1] else 'lower'}-{c[3]}" for c in CASES])
def test_scores_equal_an_independent_computation(tmp_path, values, by, higher, bins, method,
                                                 thresholds):
    binning = method if method != "thresholds" else \
        f"thresholds ({', '.join(str(t) for t in thresholds)})"
    seg = tmp_path / "scores.seg"
    seg.write_text(f'import "{SHOP / "shop.seg"}"\n'
                   f"segmentation scored {{\n"
                   f"  score s by {by} {'higher' if higher else 'lower'} is better "
                   f"into {bins} {binning}\n"
                   f"  best when s = {bins}\n"
                   f"  else rest\n}}\n")
    evaluation = evaluate(seg, as_of=AS_OF, segments=["scored"])
    got = dict(evaluation.connection.execute(
        f"SELECT customer_id, scored__s FROM {evaluation.table}").fetchall())
    want = expected_scores(values[by], higher, bins, method, thresholds)
    differ = [k for k in want if got[k] != want[k]]
    assert not differ, [(k, values[by][k], got[k], want[k]) for k in differ[:5]]
    seen = {v for v in got.values() if v is not None}
    if method == "quantile":  # equal values share a bin, so a bin can stay empty
        assert max(seen) == bins and len(seen) >= 3
    else:
        assert seen == set(range(1, bins + 1))


def test_the_code_of_all_scores_and_missing_values(tmp_path):
    seg = tmp_path / "rfm.seg"
    seg.write_text(f'import "{SHOP / "shop.seg"}"\n' + """
segmentation coded {
  score r by days_since_last_order lower is better into 5 ntile
  score f by orders_total higher is better into 5 quantile
  score m by spend_total higher is better into 5 thresholds (50, 200, 500, 1500)
  champions when scores = "555"
  unscored when r is missing
  else others
}
""")
    evaluation = evaluate(seg, as_of=AS_OF, segments=["coded"])
    rows = evaluation.connection.execute(
        f"SELECT coded, coded__r, coded__f, coded__m FROM {evaluation.table}").fetchall()
    for bucket, r, f, m in rows:
        if r is None:  # never ordered: no recency, so no code and no champion
            assert bucket == "unscored"
        elif (r, f, m) == (5, 5, 5):
            assert bucket == "champions"
        else:
            assert bucket == "others"
    assert {row[0] for row in rows} == {"champions", "unscored", "others"}


TIER_CASES = [
    ("spend_total", True, 10, "ntile", [], "Top 10%"),
    ("days_since_last_order", False, 4, "quantile", [], "Top 25%"),
    ("spend_total", True, 5, "thresholds", [50, 200, 500, 1500], ">= 1500"),
    ("days_since_last_order", False, 3, "thresholds", [30, 90], "<= 30"),
]


@pytest.mark.parametrize("by,higher,bins,method,thresholds,first_label", TIER_CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in TIER_CASES])
def test_tiers_in_one_line(tmp_path, values, by, higher, bins, method, thresholds,
                           first_label):
    """`tiers` puts an entity scored s into tier_(N + 1 - s): tier_1 is the best bin;
    a missing value lands in no_value."""
    binning = method if method != "thresholds" else \
        f"thresholds ({', '.join(str(t) for t in thresholds)})"
    seg = tmp_path / "tiers.seg"
    seg.write_text(f'import "{SHOP / "shop.seg"}"\n'
                   f"segmentation tiered = tiers by {by} "
                   f"{'higher' if higher else 'lower'} is better into {bins} {binning}\n")
    evaluation = evaluate(seg, as_of=AS_OF, segments=["tiered"])
    got = dict(evaluation.connection.execute(
        f"SELECT customer_id, tiered FROM {evaluation.table}").fetchall())
    scores = expected_scores(values[by], higher, bins, method, thresholds)
    want = {k: "no_value" if s is None else f"tier_{bins + 1 - s}" for k, s in scores.items()}
    differ = [k for k in want if got[k] != want[k]]
    assert not differ, [(k, values[by][k], got[k], want[k]) for k in differ[:5]]
    buckets = evaluation.compilation.model.segmentations["tiered"].buckets
    assert [b.name for b in buckets] == [*(f"tier_{i}" for i in range(1, bins + 1)),
                                         "no_value"]
    assert buckets[0].label == first_label
    if method == "ntile":  # equal sizes, the best tier holds the largest values
        sizes = evaluation.buckets["tiered"]
        assert sizes["tier_1"] == sizes["tier_2"] == 3000
        top = [k for k, b in got.items() if b == "tier_1"]
        rest = [k for k, b in got.items() if b == "tier_2"]
        assert min(values[by][k] for k in top) >= max(values[by][k] for k in rest)


def test_tier_labels_spell_each_range():
    from segl.compiler import ir
    from segl.compiler.semantic.resolve_segmentations import tier_labels

    def score(higher, bins, method, cuts=()):
        return ir.Score("s", "tier", ir.Literal(1), higher, bins, method,
                        tuple(ir.Literal(c) for c in cuts))

    assert tier_labels(score(True, 3, "ntile")) == ["Top 33.3%", "33.3-66.7%", "66.7-100%"]
    assert tier_labels(score(True, 4, "thresholds", (10, 20, 30))) == \
        [">= 30", "20 to < 30", "10 to < 20", "< 10"]
    assert tier_labels(score(False, 3, "thresholds", (7, 30))) == \
        ["<= 7", "> 7 to <= 30", "> 30"]


def test_tiers_need_two_to_a_hundred_bins(tmp_path):
    from segl.compiler.api import compile_source
    from segl.compiler.source import SourceFile
    compilation = compile_source(SourceFile(
        "t.seg", 'entity c from parquet "c.parquet" key id {\n  id int\n  x int\n}\n'
        "segmentation t = tiers by x higher is better into 1 ntile\n"))
    assert [d.code for d in compilation.errors] == ["E002"]
    assert compilation.errors[0].span.line == 5


def test_the_share_a_ranked_group_holds(tmp_path, values):
    """The 80/20 line: a segment that is `top 20% by e` and each tier of `tiers by e` report
    the share of everyone's total of e that they hold (`segl kpis`), computed here too."""
    from segl.runtime.kpis import kpi_table

    seg = tmp_path / "pareto.seg"
    seg.write_text(f'import "{SHOP / "features.seg"}"\n'
                   "segment top_20pct = top 20% by spend_total\n"
                   "segmentation deciles = tiers by spend_total higher is better into 10 ntile\n")
    evaluation = evaluate(seg, as_of=AS_OF, kpis=True)
    assert evaluation.plan.shares == ("share of spend_total",)
    groups = {g.name: g for g in kpi_table(evaluation)}
    spend = values["spend_total"]
    total = sum(spend.values())
    best_first = sorted(spend, key=lambda k: (-spend[k], k))  # ties: the smaller key first
    top = best_first[: len(best_first) * 20 // 100]
    share = groups["top_20pct"].index["share of spend_total"]
    assert share == pytest.approx(float(sum(spend[k] for k in top) / total * 100), abs=1e-9)
    assert 70 < share < 80  # the shop's data is made to follow the 80/20 rule roughly
    tenth = len(best_first) // 10
    for i in range(10):
        held = sum(spend[k] for k in best_first[i * tenth:(i + 1) * tenth])
        assert groups[f"deciles.tier_{i + 1}"].index["share of spend_total"] == \
            pytest.approx(float(held / total * 100), abs=1e-9)
    assert groups["all"].index["share of spend_total"] == pytest.approx(100)
