"""Correlated aggregates (`plan/correlation.py`): a table gets a second pass only when one
of its measures reads another measure of the same table; the plan and `--show plan` say
which pass runs when and what it reads; cycles are positioned errors."""

from segl.compiler.api import compile_source, describe_plan
from segl.compiler.plan import plan_for
from segl.compiler.source import SourceFile

HEAD = """
entity c from table "c" key id { id int  joined date }
events o from table "o" key cid at t { t timestamp  amount float  kind text }
events v from table "v" key cid at t { t timestamp }
"""


def _plan(text: str):
    compilation = compile_source(SourceFile("t.seg", HEAD + text))
    assert compilation.ok, [d.message for d in compilation.errors]
    return plan_for(compilation.model)


def _passes(plan) -> dict[str, int]:
    counts: dict[str, int] = {}
    for aggregation in plan.aggregations:
        counts[aggregation.table] = counts.get(aggregation.table, 0) + 1
    return counts


def test_a_measure_reading_its_own_table_needs_a_second_pass():
    plan = _plan("feature first = min(o.t)\n"
                 "feature after = count(o where t > first)\n"
                 "segment s = after > 0\n")
    assert _passes(plan) == {"o": 2}
    plain, correlated = plan.aggregations
    assert (plain.stage, correlated.stage) == (None, 1)
    assert correlated.context == ("first",)
    text = describe_plan(plan, "2026-06-30")
    assert "aggregate o (pass 2 of 2, correlated: after step 1, reading first per entity" in text


def test_a_measure_reading_another_table_joins_the_plain_measures_in_one_pass():
    plan = _plan("feature last_view = max(v.t)\n"
                 "feature after_view = count(o where t > last_view)\n"
                 "feature spend = sum(o.amount)\n"
                 "segment s = after_view > 0 and spend > 10\n")
    assert _passes(plan) == {"o": 1, "v": 1}
    (orders,) = [a for a in plan.aggregations if a.table == "o"]
    assert orders.stage == 1 and len(orders.measures) == 2  # the plain sum joined it


def test_a_window_since_an_entity_column_reads_it_after_base():
    plan = _plan("feature since_joining = sum(o.amount) since joined\n"
                 "feature kinds = count(distinct o.kind)\n"
                 "segment s = since_joining > 0 and kinds > 1\n")
    assert _passes(plan) == {"o": 1}
    (orders,) = plan.aggregations
    assert (orders.stage, orders.context) == (0, ("joined",))


def test_chained_correlations_pass_once_per_link():
    plan = _plan("feature first = min(o.t)\n"
                 "feature second = min(o.t where t > first)\n"
                 "feature third = min(o.t where t > second)\n"
                 "segment s = third is present\n")
    assert _passes(plan) == {"o": 3}
    assert [a.stage for a in plan.aggregations] == [None, 1, 2]


def test_plain_aggregates_keep_one_pass_per_table():
    plan = _plan("feature spend = sum(o.amount)\nsegment s = spend > 1 and count(v) > 2\n")
    assert _passes(plan) == {"o": 1, "v": 1}
    assert all(a.stage is None for a in plan.aggregations)


def test_a_cycle_through_a_correlated_condition_is_a_positioned_error():
    source = SourceFile("t.seg", HEAD + "feature loop = count(o where t > loop)\n"
                                        "segment s = loop > 0\n")
    compilation = compile_source(source)
    (problem,) = [d for d in compilation.errors if d.code.name == "E103"]
    assert "loop -> loop" in problem.message
    assert problem.span.line == HEAD.count("\n") + 1


def test_a_table_column_wins_over_an_entity_value_of_the_same_name():
    plan = _plan("feature kind = \"x\"\nfeature same = count(o where kind = \"a\")\n"
                 "segment s = same > 0 and kind = \"x\"\n")
    assert all(a.stage is None for a in plan.aggregations)  # `kind` is o.kind inside


def test_a_window_keeps_the_aggregates_parameter():
    # (a windowed percentile was computed as the median before)
    plan = _plan("feature p = percentile(o.amount, 0.9) in last 30 days\nsegment s = p > 1\n")
    (measure,) = plan.aggregations[0].measures
    assert [float(p.value) for p in measure.aggregate.params] == [0.9]


def test_a_condition_on_the_table_reached_through_chooses_that_table():
    source = SourceFile("t.seg", """
entity c from table "c" key id { id int }
events o from table "o" key cid at t { id int  t date }
events l from table "l" through o on oid = id at s { oid int  s date  pid int }
lookup p from table "p" key pid for l.pid { pid int  brand text }
feature first_brand = min(o.t where p.brand = "B")
feature after = count(o where t > first_brand)
segment s = after > 0
""")
    compilation = compile_source(source)
    assert compilation.ok, [d.message for d in compilation.errors]
    assert compilation.model.features["first_brand"].expr.table == "l"  # over l's rows
    assert _passes(plan_for(compilation.model)) == {"l": 1, "o": 1}
