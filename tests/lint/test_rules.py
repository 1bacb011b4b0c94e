"""Each lint rule fires on a minimal bad case and stays silent on the corrected one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from segl.compiler.analysis.lint import CHECKS, COMMENT_RULES, COMPILER_WARNINGS, RULES, lint_model
from segl.compiler.api import compile_source
from segl.compiler.diagnostics import CODES
from segl.compiler.source import SourceFile
from segl.runtime.lint import lint_paths
from segl.runtime.lint_config import LintConfig

from tests.format.test_formatter import EXPRESSIONS

BASE = """\
entity customer from csv "c.csv" key id {
  id int
  email text pii
  birth_date date pii
  religion text sensitive
  city text
  plan text
  score int
  app_user bool
  consent_marketing bool consent
}
events orders from csv "o.csv" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount decimal
  status text
}
"""


def seg(condition: str, name: str = "s") -> str:
    """A documented segment, so that only the rule under test has something to say."""
    return f'segment {name} {{\n  description "d"\n  owner "o"\n  where {condition}\n}}\n'


def permitted(condition: str, allow: str, name: str = "s") -> str:
    """A documented segment that may output the personal data it reads (docs/privacy.md)."""
    return (f'segment {name} {{\n  description "d"\n  owner "o"\n  purpose "Age-appropriate '
            f'offers"\n  allow ({allow})\n  where {condition}\n}}\n')


# A lookup joined through a `pii` column: all its columns are personal through it.
DOMAINS = ('lookup domains from csv "d.csv" key address for customer.email {\n'
           "  address text\n  kind text\n}\n")


def buckets(count: int) -> str:
    lines = "".join(f"  b{i} when score = {i}\n" for i in range(count))
    return f"segmentation g {{\n{lines}  else rest\n}}\n"


# (rule, bad, good): `bad` must give a finding of `rule`, `good` none.
CASES = [
    ("L001", 'segment s {\n  description "d"\n  where city = "x"\n}\n',
     'segment s {\n  description "d"\n  owner "o"\n  where city = "x"\n}\n'),
    ("L001", 'segment s = city = "x"\n', seg('city = "x"')),
    ("L002", 'segment s {\n  owner "o"\n  where city = "x"\n}\n', seg('city = "x"')),
    # personal data: a purpose, or a consent condition, for segments, segmentations, KPIs
    ("L101", seg("birth_date < 2000-01-01"),
     'segment s {\n  description "d"\n  owner "o"\n  purpose "age checks"\n'
     "  where birth_date < 2000-01-01\n}\n"),
    ("L101", seg("birth_date < 2000-01-01"),
     seg("birth_date < 2000-01-01 and consent_marketing")),
    ("L101", "feature age = years_between(birth_date, as_of)\n" + seg("age > 30"),
     "feature age = years_between(birth_date, as_of)\n"
     + seg("age > 30 and consent_marketing = true")),
    ("L101", seg('religion = "x"', "r") + seg("r and score > 1"),
     seg('religion = "x" and consent_marketing', "r") + seg("r and score > 1")),
    ("L101", seg("consent_marketing", "ok") + seg("email ends with \".nl\""),
     seg("consent_marketing", "ok") + seg("email ends with \".nl\" and ok")),
    ("L101", "kpi k = count(email)\n", 'kpi k = count(email)\n  purpose "reachability"\n'),
    ("L101", 'segmentation g {\n  a when religion = "x"\n  else b\n}\n',
     'segmentation g {\n  purpose "p"\n  a when religion = "x"\n  else b\n}\n'),
    ("L101", DOMAINS + seg('domains.kind = "free"'),
     DOMAINS + seg('domains.kind = "free" and consent_marketing')),
    # personal data in an output without an allow (what the commands refuse, E504)
    ("L102", seg("score > 1") + 'persona p for s {\n  email "a@example.com"\n}\n',
     seg("score > 1") + 'persona p for s {\n  city "Utrecht"\n}\n'),
    ("L102", seg("score > 1") + 'persona p for s {\n  email "a@example.com"\n}\n',
     seg("score > 1") + 'persona p for s {\n  purpose "Which mail providers our members '
     'use"\n  allow (email)\n  email "a@example.com"\n}\n'),
    ("L102", 'segmentation g {\n  purpose "p"\n  score r by days_since(birth_date) higher is '
     "better into 3 ntile\n  a when r = 3\n  else b\n}\n",
     "segmentation g {\n  score r by count(orders) higher is better into 3 ntile\n"
     "  a when r = 3\n  else b\n}\n"),
    ("L102", 'segmentation g {\n  purpose "p"\n  score r by days_since(birth_date) higher is '
     "better into 3 ntile\n  a when r = 3\n  else b\n}\n",
     'segmentation g {\n  purpose "p"\n  allow (birth_date)\n  score r by '
     "days_since(birth_date) higher is better into 3 ntile\n  a when r = 3\n  else b\n}\n"),
    ("L102", seg("birth_date < 2000-01-01 and consent_marketing"),
     permitted("birth_date < 2000-01-01", "birth_date")),
    ("L102", 'kpi k = count(email)\n  purpose "reachability"\n',
     'kpi k = count(email)\n  purpose "reachability"\n  allow (email)\n'),
    ("L102", DOMAINS + permitted('domains.kind = "free"', "birth_date"),
     DOMAINS + permitted('domains.kind = "free"', "domains.kind")),
    ("L102", DOMAINS + seg('domains.kind = "free" and consent_marketing'),
     DOMAINS + permitted('domains.kind = "free"', "email")),
    # a segment reference brings what the referenced segment does not allow itself
    ("L102", seg("birth_date < 2000-01-01 and consent_marketing", "r") + seg("r"),
     permitted("birth_date < 2000-01-01", "birth_date", "r") + seg("r")),
    # missing values left out by a negation
    ("L201", seg('city != "x"'), seg('city is missing or city != "x"')),
    ("L201", seg("not (score > 5)"), seg("score is present and not (score > 5)")),
    ("L201", seg('city not in ("a", "b")'), seg('city in ("a", "b")')),
    ("L201", seg("not app_user"), seg("app_user = false")),
    ("L201", seg('count(orders where status != "paid") > 1'),
     seg('count(orders where status is missing or status != "paid") > 1')),
    ("L201", 'feature c = lower(city)\n' + seg('c != "x"'),
     'feature c = lower(city)\n' + seg('city is missing or c != "x"')),
    # entities without events left out by a bound on min/max
    ("L202", seg("max(orders.amount) <= 100"),
     seg("count(orders) = 0 or max(orders.amount) <= 100")),
    ("L202", seg("max(orders.amount) <= 100"), seg("max(orders.amount) >= 100")),
    ("L202", seg("min(orders.amount) > 5"), seg("min(orders.amount) is present and "
                                                "min(orders.amount) > 5")),
    ("L202", "feature last = max(orders.ordered_at)\n" + seg("days_since(last) > 30"),
     "feature last = max(orders.ordered_at)\n" + seg("count(orders) > 0 and "
                                                     "days_since(last) > 30")),
    ("L202", seg("max(orders.ordered_at) < as_of - 30 days"),
     seg("max(orders.ordered_at) >= as_of - 30 days")),
    # an earlier bucket already took the entities with no events (first match wins)
    ("L202", "segmentation g {\n  big when count(orders) > 5\n"
             "  lapsed when max(orders.ordered_at) < as_of - 1 year\n  else other\n}\n",
     "segmentation g {\n  never when count(orders) = 0\n"
     "  lapsed when max(orders.ordered_at) < as_of - 1 year\n  else other\n}\n"),
    ("L202", "segmentation g {\n  a when max(orders.amount) is present\n"
             "  b when max(orders.amount) < 10\n  else c\n}\n",
     "segmentation g {\n  a when max(orders.amount) is missing or score > 3\n"
     "  b when max(orders.amount) < 10\n  else c\n}\n"),
    ("L202", "feature n = count(orders)\nsegmentation g {\n  a when n >= 1 and score > 2\n"
             "  b when min(orders.amount) > 5\n  else c\n}\n",
     "feature n = count(orders)\nsegmentation g {\n  a when n < 1\n"
     "  b when min(orders.amount) > 5\n  else c\n}\n"),
    # empty, or everyone, by construction
    ("L301", seg("score > 5 and score < 3"), seg("score > 3 and score < 5")),
    ("L301", seg('city = "a" and city = "b"'), seg('city = "a" or city = "b"')),
    ("L301", seg("count(orders) < 0"), seg("count(orders) < 1")),
    ("L301", seg("app_user and not app_user"), seg("app_user and not consent_marketing")),
    ("L301", seg("score between 10 and 5"), seg("score between 5 and 10")),
    ("L301", seg('city in ("a", "b") and city not in ("a", "b")'),
     seg('city in ("a", "b") and city not in ("a")')),
    ("L302", seg("count(orders) >= 0"), seg("count(orders) >= 1")),
    ("L302", seg("count(orders) > 2 or count(orders) <= 2"),
     seg("score > 2 or score <= 2")),  # a missing score is neither: not everyone
    ("L302", seg("score > 1", "t") + seg("t or not t"), seg("score > 1", "t") + seg("t")),
    ("L302", seg("city is missing or city is present"), seg("city is missing")),
    ("L303", "segmentation g {\n  a when score > 5\n  b when score > 10\n  else c\n}\n",
     "segmentation g {\n  b when score > 10\n  a when score > 5\n  else c\n}\n"),
    # unused definitions
    ("L401", "feature f = score + 1\n" + seg("score > 1"),
     "feature f = score + 1\n" + seg("f > 1")),
    ("L401", "feature f = score + 1\n" + seg("score > 1"),
     "feature f = score + 1\n" + seg("score > 1") + 'persona p for s {\n  f 2\n}\n'),
    ("L402", "param n = 3\n" + seg("score > 1"), "param n = 3\n" + seg("score > n")),
    ("L402", "param n = 3\n" + seg("score > 1"),
     "param n = 3\n" + seg("count(orders) in last n days > 1")),
    ("L501", buckets(7), buckets(6)),  # the `else` bucket counts too
    # the comments that silence findings
    ("L901", seg('city = "x"') + "# segl: ignore[L201]\nparam n = 1\nfeature f = n\n"
     + seg("f > 1", "t"),
     seg('city != "x"  # segl: ignore[L201] missing cities are not in the campaign')),
    ("L902", seg('city != "x"  # segl: ignore[L2O1]'), seg('city != "x"  # segl: ignore[L201]')),
    ("L902", seg('city != "x"  # segl: ignore'), seg('city != "x"  # segl: ignore[L201]')),
]


def findings(tmp_path: Path, text: str, config: LintConfig | None = None):
    path = tmp_path / "case.seg"
    path.write_text(BASE + text, encoding="utf-8")
    return lint_paths((str(path),), config or LintConfig()).findings


@pytest.mark.parametrize(("code", "bad", "good"), CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_rule_fires_on_the_bad_case_only(tmp_path, code, bad, good):
    found = findings(tmp_path, bad)
    assert not [f for f in found if f.code.startswith("E")], [f.render() for f in found]
    assert code in {f.code for f in found}, [f.render() for f in found]
    found = findings(tmp_path, good)
    assert not [f for f in found if f.code.startswith("E")], [f.render() for f in found]
    assert code not in {f.code for f in found}, [f.render() for f in found if f.code == code]


def test_every_rule_has_a_case_and_a_check():
    assert {code for code, _, _ in CASES} == set(RULES)
    assert set(CHECKS) | COMMENT_RULES == set(RULES)


def test_every_compiler_warning_is_a_lint_rule():
    assert {c for c in CODES if c.startswith("W")} == set(COMPILER_WARNINGS)
    assert set(COMPILER_WARNINGS.values()) <= set(RULES)


def test_findings_point_at_what_they_are_about(tmp_path):
    found = findings(tmp_path, seg('city != "x"'))
    (finding,) = [f for f in found if f.code == "L201"]
    line = (BASE + seg('city != "x"')).splitlines().index('  where city != "x"') + 1
    assert (finding.span.line, finding.span.column) == (line, 9)
    assert finding.span.text == 'city != "x"'
    assert "`city is missing or …`" in finding.hints[0]


def test_a_rule_that_is_not_selected_does_not_run(tmp_path):
    config = LintConfig(enabled=frozenset({"L001"}))
    found = findings(tmp_path, 'segment s = city != "x"\n', config)
    assert {f.code for f in found} == {"L001"}


def test_a_consent_column_is_bool(tmp_path):
    path = tmp_path / "consent.seg"
    path.write_text('entity c from csv "c.csv" key id {\n  id int\n  ok text consent\n}\n')
    found = lint_paths((str(path),), LintConfig()).findings
    assert [(f.code, f.message) for f in found] == [
        ("E201", "consent column `ok` is text; a consent column must be bool")]


def test_compile_errors_are_reported_as_such(tmp_path):
    found = findings(tmp_path, seg("scor > 1"))
    assert [f.code for f in found] == ["E101"]
    assert found[0].is_error


# ---------------------------------------------------------------- never crashes

GENERATED = """\
entity c from csv "c.csv" key id
events orders from csv "o.csv" key id at t
param p = 3
feature spend = sum(orders.amount)
"""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, EXPRESSIONS)
def test_the_linter_never_crashes_on_generated_conditions(condition, value):
    source = GENERATED + f"feature f = {value}\n" + f"segment s {{\n  where {condition}\n}}\n" \
        + f"segmentation g {{\n  a when {condition}\n  else b\n}}\n"
    compilation = compile_source(SourceFile("<gen>", source))
    # a file with errors still has a model (without the broken definitions): lint it too
    assume(compilation.model is not None)
    for finding in lint_model(compilation.model, compilation.files):
        assert finding.code in RULES
        assert finding.render()


TYPED_ATOMS = st.one_of(
    st.tuples(st.sampled_from(["score", "count(orders)", "max(orders.amount)",
                               "days_since(max(orders.ordered_at))", "-score", "score * 2"]),
              st.sampled_from(["<", "<=", ">", ">=", "=", "!="]),
              st.integers(-3, 3)).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.sampled_from(['city = "a"', 'city != "b"', 'city in ("a", "b")', 'city not in ("a")',
                     "app_user", "consent_marketing", "city is missing", "score is present",
                     "score between 1 and 2", "score between 2 and 1", "true", "false"]),
)
TYPED_CONDITIONS = st.recursive(TYPED_ATOMS, lambda c: st.one_of(
    st.tuples(c, st.sampled_from(["and", "or"]), c).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    c.map(lambda x: f"not ({x})")), max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TYPED_CONDITIONS)
def test_the_linter_never_crashes_on_generated_typed_conditions(condition):
    source = BASE + seg(condition) + f"segmentation g {{\n  a when {condition}\n  else b\n}}\n"
    compilation = compile_source(SourceFile("<gen>", source))
    assert compilation.ok, [d.render() for d in compilation.errors]
    codes = {f.code for f in lint_model(compilation.model, compilation.files)}
    assert not {"L301", "L302"} <= codes  # never both empty and everyone
