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
