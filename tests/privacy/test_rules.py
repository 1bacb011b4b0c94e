"""The rules of docs/privacy.md in the compiler: which columns and values are personal, what
a purpose must say, what `allow` may name, and which outputs are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from segl.compiler.api import (
    all_outputs,
    compile_source,
    kpi_outputs,
    member_outputs,
    profile_outputs,
    refused,
)
from segl.compiler.source import SourceFile
from segl.compiler.syntax.format_expressions import string

SOURCES = """\
entity customer from csv "c.csv" key id {
  id int
  email text pii
  postcode text pii
  religion text sensitive
  city text
  score int
}
lookup area from csv "a.csv" key code for customer.postcode {
  code text
  region text
  income_band text sensitive
}
lookup province from csv "p.csv" key name for area.region {
  name text
  capital text
}
lookup shop from csv "s.csv" key city for customer.city {
  city text
  manager text pii
}
events orders from csv "o.csv" key id at at {
  at timestamp
  amount decimal
  card text pii
}
"""


def compiled(text: str):
    return compile_source(SourceFile("case.seg", SOURCES + text))


def model_of(text: str):
    compilation = compiled(text)
    assert compilation.ok, [d.render() for d in compilation.errors]
    return compilation.model


def refused_objects(text: str) -> dict[str, str]:
    """Object name -> the message of its refusal, over every output of every object."""
    model = model_of(text)
    return {d.message.split("`")[1]: d.message for d in refused(model, all_outputs(model))}


def block(name: str, where: str, purpose: str | None = None, allow: str | None = None) -> str:
    lines = [f"segment {name} {{"]
    if purpose is not None:
        lines.append(f"  purpose {string(purpose)}")
    if allow is not None:
        lines.append(f"  allow ({allow})")
    return "\n".join([*lines, f"  where {where}", "}", ""])


WHY = "Invite customers near a store to its opening"


# ---------------------------------------------------------------- which values are personal


@pytest.mark.parametrize(("where", "personal"), [
    ('email ends with ".nl"', "`email` (pii)"),
    ('religion = "x"', "`religion` (sensitive)"),
    ('area.region = "North"', "`area.region` (through `postcode`, pii)"),
    # a lookup of a lookup joined through a personal column
    ('province.capital = "Zwolle"', "`province.capital` (through `area.region`, through "
                                    "`postcode`, pii)"),
    # tagged itself and joined through a personal column: both reasons
    ('area.income_band = "high"', "`area.income_band` (sensitive; through `postcode`, pii)"),
    # a lookup joined through a column that is not personal is not personal, unless tagged
    ('shop.manager = "x"', "`shop.manager` (pii)"),
    ("sum(orders.amount where card is present) > 1", "`orders.card` (pii)"),
])
def test_personal_values_and_why(where, personal):
    message = refused_objects(block("s", where))["s"]
    assert message.endswith(f"that it does not allow: {personal} (segl refuses to output them)")


@pytest.mark.parametrize("where", ['city = "x"', "score > 1", 'shop.city = "x"',
                                   "sum(orders.amount) > 1", "count(orders) > 0"])
def test_values_that_are_not_personal_need_nothing(where):
    assert refused_objects(block("s", where)) == {}


def test_features_are_followed_and_named():
    message = refused_objects("feature mail = lower(email)\nfeature m2 = mail\n"
                              + block("s", 'm2 ends with ".nl"'))["s"]
    assert "`email` (pii) in feature `m2`" in message


def test_a_segment_reference_brings_what_that_segment_does_not_allow():
    base = block("near", 'area.region = "North"', WHY, "postcode")
    # `near` allows its postcode data: a segment built on it may output its members too
    assert refused_objects(base + "segment near_buyers = near and score > 1\n") == {}
    # not allowed there: the reference brings it, through any number of segments
    text = block("near", 'area.region = "North"', WHY) + "segment a = near\nsegment b = a\n"
    found = refused_objects(text)
    assert set(found) == {"near", "a", "b"}
    assert "`area.region` (through `postcode`, pii) in segment `a`" in found["b"]
    # ... unless the referring segment allows it itself
    text = block("near", 'area.region = "North"', WHY) + block("a", "near", WHY, "area.region")
    assert set(refused_objects(text)) == {"near"}


@pytest.mark.parametrize(("allow", "refused_too"), [
    ("area.region", False),  # the column itself
    ("postcode", False),  # the column it is joined through covers it
    ("area.income_band", True),  # another column of the lookup does not
    ("email", True),
])
def test_a_lookup_column_is_covered_by_itself_or_its_join_column(allow, refused_too):
    text = block("s", 'area.region = "North"', WHY, allow)
    assert ("s" in refused_objects(text)) is refused_too


def test_a_tagged_lookup_column_needs_its_own_allow():
    """`area.income_band` is sensitive itself: allowing the postcode does not cover that."""
    text = block("s", 'area.income_band = "high"', WHY, "postcode")
    assert "`area.income_band` (sensitive; through `postcode`, pii)" in refused_objects(text)["s"]
    assert refused_objects(block("s", 'area.income_band = "high"', WHY, "area.income_band")) == {}


def test_a_personal_key_is_in_every_member_output():
    text = SOURCES.replace("  id int\n", "  id text pii\n", 1) + block("s", "score > 1")
    compilation = compile_source(SourceFile("case.seg", text))
    (diagnostic,) = refused(compilation.model, member_outputs(compilation.model, ["s"]))
    assert "`id` (pii)" in diagnostic.message
    # a KPI over the group is not a member output: the key is not in it
    assert refused(compilation.model, kpi_outputs(compilation.model, [])) == []


def test_kpi_segmentation_and_persona_outputs():
    text = ('kpi faith = sum(case when religion = "x" then 1 else 0 end) / count(id)\n'
            "segmentation g {\n  score r by days_since(max(orders.at where card is present)) "
            "lower is better into 3 ntile\n  a when r = 3\n  else b\n}\n"
            + block("s", "score > 1")
            + 'persona p for s {\n  postcode "1011"\n  city "Utrecht"\n}\n')
    found = refused_objects(text)
    assert set(found) == {"faith", "g", "p"}
    assert "the values of KPI `faith`" in found["faith"] and "`religion`" in found["faith"]
    assert "the buckets and scores of segmentation `g`" in found["g"]
    assert "`orders.card` (pii)" in found["g"]
    assert "the profile values of persona `p`" in found["p"] and "`postcode`" in found["p"]
    assert "city" not in found["p"]
    allowed = text.replace("/ count(id)\n", f"/ count(id)\n  purpose {string(WHY)}\n"
                           "  allow (religion)\n").replace(
        "segmentation g {\n", f"segmentation g {{\n  purpose {string(WHY)}\n  allow (orders.card)\n"
    ).replace("persona p for s {\n", f"persona p for s {{\n  purpose {string(WHY)}\n"
              "  allow (postcode)\n")
    assert refused_objects(allowed) == {}


def test_a_purpose_alone_is_not_an_allow():
    model = model_of(block("s", 'email ends with ".nl"', WHY))
    (diagnostic,) = refused(model, member_outputs(model, ["s"], "segl run --out"))
    assert diagnostic.message == (
        "`segl run --out` would output the members of segment `s`, derived from personal "
        "data that it does not allow: `email` (pii)")
    assert diagnostic.hints == ("declare `allow (email)` in segment `s`",)
    assert diagnostic.span.text == "s"  # the caret is under the name that must declare it


def test_the_hint_says_exactly_what_to_declare():
    model = model_of('segment s = email ends with ".nl"\n'
                     + block("t", 'email ends with ".nl" and religion = "x"', WHY, "religion")
                     + 'persona p for s {\n  postcode "1"\n}\n')
    hints = {d.message.split("`")[3]: d.hints for d in refused(model, [
        *member_outputs(model, ["s", "t"], "segl test", "instead"),
        *profile_outputs(model, ["p"], "segl persona")])}
    assert hints["s"] == ("declare why and what in segment `s` (written as a block: `segment s "
                          "{ purpose … allow … where … }`): `purpose \"…\"` and `allow (email)`",
                          "instead")
    assert hints["t"] == ("add email to the `allow (…)` of segment `t`", "instead")
    assert hints["p"] == ('declare why and what in persona `p`: `purpose "…"` and '
                          "`allow (postcode)`",)


# ---------------------------------------------------------------- purposes and allows


@pytest.mark.parametrize("purpose", ["", "   ", "\\n", "\\t", "...", "-", "42", "TODO",
                                     "n/a", "N.A.", "tbd", "none", "???", "\u200b",
                                     "\u202eevil", "a\\nb", "Why?"])
def test_a_blank_or_placeholder_purpose_is_a_positioned_error(purpose):
    text = f'segment s {{\n  purpose "{purpose}"\n  allow (email)\n  where email is present\n}}\n'
    compilation = compiled(text)
    errors = [(d.code, d.span.line, d.span.column) for d in compilation.errors]
    line = SOURCES.count("\n") + 2
    assert errors == [("E501", line, 3)], [d.render() for d in compilation.errors]


@pytest.mark.parametrize("purpose", ["Marketing", "Keep minors out of marketing",
                                     "Zorg dat minderjarigen geen reclame krijgen", "p"])
def test_a_purpose_in_words_is_one(purpose):
    assert compiled(block("s", "email is present", purpose, "email")).ok


# No letter in it: blank, punctuation, digits, symbols, control and invisible characters.
NOT_WORDS = st.text(st.characters(categories=["Zs", "Zl", "Zp", "Cc", "Cf", "P", "S", "N"]),
                    max_size=12)


@settings(max_examples=150, deadline=None)
@given(NOT_WORDS, st.sampled_from(["segment", "kpi", "segmentation", "persona"]))
def test_text_without_words_never_satisfies_a_purpose(text, kind):
    purpose = f"purpose {string(text)}"
    declaration = {
        "segment": f"segment s {{\n  {purpose}\n  where city is present\n}}\n",
        "kpi": f"kpi k = count(id) {purpose}\n",
        "segmentation": f"segmentation g {{\n  {purpose}\n  a when score > 1\n  else b\n}}\n",
        "persona": f'segment s = score > 1\npersona p for s {{\n  {purpose}\n  city "x"\n}}\n',
    }[kind]
    compilation = compiled(declaration)
    assert [d.code for d in compilation.errors] == ["E501"], [d.render()
                                                             for d in compilation.errors]


WORDS = st.lists(st.from_regex(r"[A-Za-zÀ-ÿ]{3,10}", fullmatch=True), min_size=3, max_size=8)


@settings(max_examples=100, deadline=None)
@given(WORDS)
def test_words_are_a_purpose(words):
    assert compiled(block("s", "email is present", " ".join(words), "email")).ok


def test_allow_needs_a_purpose():
    text = "kpi k = count(email) allow (email)\n"
    (error,) = compiled(text).errors
    assert (error.code, error.span.text) == ("E502", "allow (email)")
    assert "needs a `purpose`" in error.message


@pytest.mark.parametrize(("allow", "code", "message", "at"), [
    ("city", "E503", "`city` is not personal data: there is nothing to allow", "city"),
    ("shop.city", "E503", "`shop.city` is not personal data", "shop.city"),
    ("emial", "E101", "table `customer` has no column `emial`", "emial"),
    ("nowhere.x", "E101", "unknown table `nowhere`", "nowhere"),
    ("area.nope", "E101", "table `area` has no column `nope`", "area.nope"),
])
def test_allow_names_personal_columns(allow, code, message, at):
    (error,) = compiled(block("s", "email is present", WHY, f"email, {allow}")).errors
    assert (error.code, error.span.text) == (code, at)
    assert message in error.message


def test_the_examples_lint_clean_under_the_same_rules():
    """examples/shop declares the allows its outputs need; nothing is refused."""
    from segl.compiler.api import compile_file

    from tests.conftest import EXAMPLE_ENTRIES
    for path in EXAMPLE_ENTRIES:
        model = compile_file(path).model
        assert refused(model, all_outputs(model)) == []


def test_a_persona_declares_purpose_and_allow_once():
    text = block("s", "score > 1") + ('persona p for s {\n  purpose "Know our members"\n'
                                      '  city "Utrecht"\n  description "after a text value"\n'
                                      '  allow (postcode)\n  allow (email)\n  postcode "1"\n}\n')
    (error,) = compiled(text).errors
    assert (error.code, error.message, error.span.text) == (
        "E102", "`allow` is given twice in persona `p`", "allow (email)")


@pytest.mark.parametrize("clauses", ['  purpose "Know our members"\n  allow (postcode)\n',
                                     '  allow (postcode)\n  purpose "Know our members"\n'])
def test_a_persona_field_may_follow_purpose_and_allow(clauses):
    """`description` is a keyword in a segment block; in a persona it is a field, after
    `purpose "…"` and `allow (…)` too (where `segl fmt` puts those first)."""
    text = block("s", "score > 1") + ("persona p for s {\n" + clauses
                                      + '  description "after the clauses"\n'
                                      '  postcode "1"\n}\n')
    compilation = compiled(text)
    assert compilation.ok, [d.render() for d in compilation.errors]
    persona = compilation.model.personas["p"]
    assert persona.text["description"] == "after the clauses"


def test_a_profile_feature_is_derived_from_what_the_feature_uses():
    text = (block("s", "score > 1") + "feature zone = postcode\n"
            + 'persona p for s {\n  zone "1011"\n}\n')
    found = refused_objects(text)
    assert set(found) == {"p"} and "`postcode`" in found["p"]
    assert refused_objects(text.replace("persona p for s {\n", f"persona p for s {{\n  purpose "
                                        f"{string(WHY)}\n  allow (postcode)\n")) == {}


def test_the_docs_example_compiles_and_is_allowed():
    """docs/privacy.md's declarations, over the shop's sources and features: they compile and
    every one of their outputs is allowed."""
    from tests.conftest import ROOT
    doc = (ROOT / "docs/privacy.md").read_text(encoding="utf-8")
    example = "segment minors {" + doc.split("```\nsegment minors {", 1)[1].split("```")[0]
    shop = ROOT / "examples/shop"
    text = ((shop / "sources.seg").read_text()
            + (shop / "features.seg").read_text().replace('import "sources.seg"', "")
            + 'segment young_urban = city = "Amsterdam"\n' + example)
    compilation = compile_source(SourceFile(str(shop / "doc.seg"), text))
    assert compilation.ok, [d.render() for d in compilation.errors]
    model = compilation.model
    assert {"minors", "age_bands", "income_tiers", "avg_age", "lisa"} <= {
        *model.segments, *model.segmentations, *model.kpis, *model.personas}
    assert refused(model, all_outputs(model)) == []
