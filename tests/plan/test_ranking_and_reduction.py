"""The plan decides how rankings run (filter, then window) and which lookups are joined
reduced to the rows meeting their conditions; the backends only translate it."""

from datetime import date

from segl.compiler.api import compile_source
from segl.compiler.backends.sql.generator import generate_sql
from segl.compiler.plan import AsOf, AsOfMode, physical_plan, plan_for
from segl.compiler.plan.ranking import RankFunc
from segl.compiler.source import SourceFile

from tests.conftest import ROOT

SOURCES = (ROOT / "tests/plan/features/sources.seg").read_text(encoding="utf-8")
AS_OF = AsOf(AsOfMode.DATE, date(2026, 6, 30))


def physical(text: str):
    plan = plan_for(compile_source(SourceFile("t.seg", SOURCES + text)).model)
    return physical_plan(plan, AS_OF)


def test_a_ranking_by_a_value_that_can_be_missing_ranks_only_entities_that_have_it():
    found = physical("""
feature last_order = max(orders.ordered_at)
segment recent = top 10 by last_order
""")
    (ranking,) = found.rankings
    assert ranking.func is RankFunc.ROW_NUMBER and not ranking.counted
    assert ranking.admits is not None  # last_order is present
    assert [key.descending for key in ranking.order] == [True, False]  # value, then key


def test_a_ranking_by_a_count_ranks_every_entity_and_among_filters():
    found = physical("""
segment busy = top 10% by count(orders)
segment busy_in_town = top 10% by count(orders) among city = "Utrecht"
""")
    every, among = found.rankings
    assert every.admits is None and every.counted
    assert among.admits is not None and among.counted


def test_scores_rank_worst_first_and_thresholds_need_no_ranking():
    found = physical("""
feature spend = sum(orders.amount)
feature last_order = max(orders.ordered_at)
segmentation s {
  score r by last_order higher is better into 5 ntile
  score f by spend higher is better into 4 quantile
  score m by spend higher is better into 3 thresholds (10, 100)
  top when r = 5
  else rest
}
""")
    assert [(r.func, r.counted) for r in found.rankings] == [
        (RankFunc.NTILE, False), (RankFunc.RANK, True)]
    ntile, quantile = found.rankings
    assert [key.descending for key in ntile.order] == [False, True]  # worst first; key desc
    assert ntile.admits is not None and quantile.admits is None


def test_the_sql_ranks_in_its_own_cte_without_a_null_flag_partition():
    source = SourceFile("t.seg", SOURCES + """
feature last_order = max(orders.ordered_at)
segment recent = top 10 by last_order
""")
    sql = generate_sql(plan_for(compile_source(source).model), as_of=AS_OF)
    assert "PARTITION BY" not in sql
    assert "ranked_rank_1 AS (" in sql and "LEFT JOIN ranked_rank_1" in sql


def reduced(text: str) -> tuple[str, ...]:
    return physical(text).pass_for("lines").reduced


def test_a_lookup_read_only_through_positive_conditions_is_reduced():
    assert reduced('segment g = count(lines where product.category = "garden") >= 2\n') == (
        "product",)
    assert reduced('segment g = count(lines where product.category = "garden" or '
                   'quantity > 3) >= 2\n') == ("product",)


def test_a_negated_or_valued_lookup_use_keeps_the_whole_join():
    # a condition on the lookup alone is hoisted whole, `not` included: still reduced
    assert reduced('segment g = count(lines where not (product.category = "garden")) '
                   '>= 2\n') == ("product",)
    # under a `not` of more than the lookup, a missing value would turn into a match
    assert reduced('segment g = count(lines where not (product.category = "garden" and '
                   'quantity > 3)) >= 2\n') == ()
    assert reduced('segment g = count(lines where (product.category = "garden") = '
                   '(quantity > 3)) >= 2\n') == ()
    # a lookup column read as a value, or beside a condition on it
    assert reduced('segment g = count(lines where product.category = "garden") >= 2\n'
                   'segment h = count(lines where product.label = product.category) > 0\n'
                   ) == ("product",)  # both hoisted conditions, both positive
    assert reduced('feature usual = most_frequent(lines.quantity where '
                   'product.category = "garden")\nsegment g = usual > 1\n') == ()
    assert reduced('segment g = sum(lines.quantity where product.category = "garden" and '
                   'quantity > product.product_id) > 1\n') == ()
