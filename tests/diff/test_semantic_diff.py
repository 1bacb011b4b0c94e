"""The semantic diff of two versions of a file, without git or data: which objects changed,
which conditions, and whether a change narrows, widens or cannot be told."""

from __future__ import annotations

import textwrap

import pytest
from segl.compiler.analysis.diff_results import ModelDiff
from segl.compiler.analysis.semantic_diff import diff_models
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile

SOURCES = """
entity customer from parquet "data/customers.parquet" key customer_id {
  customer_id int
  city text
  age int
  vip bool
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  ordered_at timestamp
  amount float
}
param min_orders = 4
feature orders_1y = count(orders) in last 365 days
feature spend = sum(orders.amount)
segment regulars = orders_1y >= 2
"""


def compiled(text: str):
    compilation = compile_source(SourceFile("/virtual/test.seg", textwrap.dedent(text)))
    assert compilation.ok, [d.render() for d in compilation.errors]
    return compilation


def diff(before: str, after: str) -> ModelDiff:
    a, b = compiled(before), compiled(after)
    return diff_models(a.model, b.model, a.files, b.files)


def with_target(condition: str, extra: str = "") -> str:
    return SOURCES + extra + f"segment target = {condition}\n"


@pytest.mark.parametrize(("before", "after", "direction"), [
    ("orders_1y >= 4", "orders_1y >= 5", "narrows"),
    ("orders_1y >= 4", "orders_1y >= 3", "widens"),
    ("orders_1y >= 4", "orders_1y <= 10", "unknown"),
    ("orders_1y >= 4", "age >= 30", "unknown"),
    ("orders_1y >= 4", 'orders_1y >= 4 and city = "Amsterdam"', "narrows"),
    ("orders_1y >= 4", 'orders_1y >= 4 or city = "Amsterdam"', "widens"),
    ("regulars and vip", "regulars", "widens"),
    ('city in ("A", "B")', 'city in ("A", "B", "C")', "widens"),
    ('city in ("A", "B")', 'city in ("A")', "narrows"),
    ('city = "A"', 'city in ("A", "B")', "widens"),
    ('city not in ("A")', 'city not in ("A", "B")', "narrows"),
    ("age between 20 and 40", "age between 25 and 35", "narrows"),
    ("age between 20 and 40", "age between 25 and 45", "unknown"),
    ("top 10 by spend", "top 20 by spend", "widens"),
    ("top 20% by spend", "top 10% by spend", "narrows"),
    ("top 10% by spend", "top 10 by spend", "unknown"),
    ("vip and orders_1y >= 4", "orders_1y >= 4 and vip", "same"),
])
def test_direction_of_a_changed_segment(before, after, direction):
    result = diff(with_target(before), with_target(after))
    target = result.get("segment", "target")
    assert target is not None and target.status == "changed"
    assert target.direction == direction


def test_a_changed_condition_is_named_in_seg_terms():
    result = diff(with_target('orders_1y >= 4 and city in ("A", "B")'),
                  with_target('orders_1y >= 3 and city in ("A", "B") and vip'))
    changes = {(c.what, c.before, c.after, c.direction)
               for c in result.get("segment", "target").changes}
    assert changes == {("condition", "orders_1y >= 4", "orders_1y >= 3", "widens"),
                       ("condition added", None, "vip", "narrows")}
    assert result.get("segment", "target").direction == "unknown"  # one wider, one narrower


def test_formatting_comments_and_order_are_no_semantic_change():
    before = with_target('orders_1y >= 4 and city in ("A", "B")')
    after = textwrap.dedent(before).replace(
        'segment target = orders_1y >= 4 and city in ("A", "B")',
        '# the targeted customers\nsegment target =   orders_1y>=4\n'
        '    and city in ( "A","B" )   # two cities')
    # declarations moved around do not count either
    after = after.replace("segment regulars = orders_1y >= 2\n", "") + \
        "segment regulars = (orders_1y >= 2)\n"
    assert after != before
    assert diff(before, after).objects == ()


def test_a_parameter_change_reaches_the_conditions_using_it():
    before = with_target("orders_1y >= min_orders")
    after = textwrap.dedent(before).replace("param min_orders = 4", "param min_orders = 6")
    result = diff(before, after)
    assert [c.before + " → " + c.after for c in result.get("param", "min_orders").changes] == \
        ["4 → 6"]
    target = result.get("segment", "target")
    assert target.direction == "narrows"
    (change,) = target.changes
    assert change.before == change.after == "orders_1y >= min_orders"
    assert change.note == "parameter `min_orders`: 4 → 6"


def test_a_changed_feature_marks_its_segments_changed_through_it():
    before = with_target("orders_1y <= 1", "segment small = spend <= 100\n")
    after = textwrap.dedent(before).replace("in last 365 days", "in last 180 days") \
        .replace("sum(orders.amount)", "sum(orders.amount) in last 180 days")
    result = diff(before, after)
    feature = result.get("feature", "orders_1y")
    assert feature.changes[0].before == "count(orders) in last 365 days"
    assert feature.changes[0].after == "count(orders) in last 180 days"
    # a count over a shorter window is never larger: `>=` narrows and `<=` widens
    expected = {"regulars": "narrows", "target": "widens", "small": "unknown"}
    for name, direction in expected.items():
        segment = result.get("segment", name)
        assert segment.through == (f"feature `{'spend' if name == 'small' else 'orders_1y'}`",)
        assert segment.direction == direction, name


@pytest.mark.parametrize(("before", "after", "direction"), [
    ("count(orders) in last 30 days >= 2", "count(orders) in last 8 weeks >= 2", "widens"),
    ("count(orders) >= 2", "count(orders where amount > 10) >= 2", "narrows"),
    ("count(orders where amount > 10) >= 2", "count(orders where amount > 5) >= 3", "unknown"),
    ("count(orders) since 2026-01-01 >= 1", "count(orders) from 2026-02-01 to 2026-03-01 >= 1",
     "narrows"),
    ("count(orders) in last 3 months >= 1", "count(orders) in last 90 days >= 1", "unknown"),
])
def test_counts_over_fewer_rows_are_never_larger(before, after, direction):
    assert diff(with_target(before), with_target(after)).get("segment", "target").direction \
        == direction


def test_a_segment_widening_narrows_the_segments_that_exclude_it():
    before = with_target("not regulars and vip")
    after = textwrap.dedent(before).replace("segment regulars = orders_1y >= 2",
                                            "segment regulars = orders_1y >= 1")
    result = diff(before, after)
    assert result.get("segment", "regulars").direction == "widens"
    target = result.get("segment", "target")
    assert target.through == ("segment `regulars`",)
    assert target.direction == "narrows"


def test_added_and_removed_objects():
    before = with_target("vip") + 'kpi revenue = sum(orders.amount)\n'
    after = textwrap.dedent(with_target("vip")).replace("feature spend = sum(orders.amount)\n",
                                                        "") + "segment adults = age >= 18\n"
    result = diff(before, after)
    statuses = {(o.kind, o.name, o.status) for o in result.objects}
    assert statuses == {("feature", "spend", "removed"), ("kpi", "revenue", "removed"),
                        ("segment", "adults", "added")}


def test_labels_and_owners_change_nothing_about_members():
    before = SOURCES + 'segment target "Old" {\n  owner "a"\n  where vip\n}\n'
    after = SOURCES + 'segment target "New" {\n  owner "b"\n  where vip\n  expect size >= 1\n}\n'
    target = diff(before, after).get("segment", "target")
    assert {c.what for c in target.changes} == {"label", "owner", "expect added"}
    assert target.direction is None and not target.members_may_change


SEGMENTATION = """
segmentation tiers {
  heavy when orders_1y >= 10
  medium when orders_1y >= 4
  else light
}
"""


@pytest.mark.parametrize(("edit", "expected"), [
    # raising the first bucket's bar: it narrows, the later ones can only gain
    (("orders_1y >= 10", "orders_1y >= 12"),
     {"tiers.heavy": "narrows", "tiers.medium": "widens"}),
    # lowering the second: it takes entities from the else bucket only
    (("orders_1y >= 4", "orders_1y >= 3"),
     {"tiers.medium": "widens", "tiers.light": "narrows"}),
])
def test_bucket_directions_follow_first_match_wins(edit, expected):
    before = SOURCES + SEGMENTATION
    after = SOURCES + SEGMENTATION.replace(*edit)
    result = diff(before, after)
    # in the first case `light` (else) is not listed: heavy and medium together still take
    # the same entities
    assert {o.name: o.direction for o in result.of_kind("bucket")} == expected
