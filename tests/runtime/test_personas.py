"""Personas: checked against their segment's conditions and against the data."""

from datetime import date

from click.testing import CliRunner
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.cli import main
from segl.runtime.personas import persona_report

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
  age int
}

events orders from parquet "data/orders.parquet" key customer_id {
  customer_id int
}

feature orders_total = count(orders)
segment buyers = orders_total > 0
segment young_delft {
  where age between 20 and 30
    and city = "Delft"
    and buyers
}

persona anna "Anna" for young_delft {
  quote "Close to campus."
  channels ("tiktok")
  age {age}
  city "Delft"
}
"""
CUSTOMERS = [{"id": 1, "city": "Delft", "age": 25}, {"id": 2, "city": "Delft", "age": 27},
             {"id": 3, "city": "Utrecht", "age": 25}, {"id": 4, "city": "Delft", "age": 60}]
ORDERS = [{"customer_id": 1}]


def report(project, age: int):
    path = project(SEG.replace("{age}", str(age)),
                   {"customers": CUSTOMERS, "orders": ORDERS})
    return path, persona_report(str(path), "anna", date(2026, 6, 30))


def test_a_persona_that_fails_its_segment_names_the_condition(project):
    _, result = report(project, 40)
    checks = {c.condition: (c.result, c.needs) for c in result.checks}
    assert checks["age between 20 and 30"] == (False, [])
    assert checks['city = "Delft"'] == (True, [])
    # `buyers` needs orders, which a persona's profile does not have
    assert checks["buyers"][0] is None and checks["buyers"][1] == ["count(orders)"]
    assert result.satisfies is False


def test_resembling_entities_are_counted_in_the_data(project):
    _, result = report(project, 25)
    assert result.satisfies is None  # the conditions it can check pass; `buyers` is unknown
    # age within 10% of 25 (22.5..27.5) and city Delft: customers 1 and 2; only 1 is a buyer
    assert (result.resembling, result.resembling_in_segment) == (2, 1)
    assert result.segment_size == 1
    assert result.profile_in_data["city"] == "Delft 100%"


def test_segl_persona_prints_the_factsheet(project):
    path, _ = report(project, 40)
    result = CliRunner().invoke(main, ["persona", "anna", str(path), "--as-of", "2026-06-30"])
    # a persona that fails its segment fails like a test, after printing its factsheet
    assert result.exit_code == 1, result.stderr
    assert "does NOT satisfy `young_delft`" in result.output
    assert "FAIL  age between 20 and 30" in result.output
    assert "quote: Close to campus." in result.output


def test_segl_persona_exits_0_unless_a_condition_fails(project):
    # age 25 passes; `buyers` cannot be told from a profile: not a failure
    path, _ = report(project, 25)
    result = CliRunner().invoke(main, ["persona", "anna", str(path), "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.stderr
    assert "cannot be checked fully against `young_delft`" in result.output


def test_persona_fields_are_checked():
    bad = SEG.replace("{age}", "30").replace('  city "Delft"\n}', '  citty "Delft"\n}')
    errors = [d.message for d in compile_source(SourceFile("t.seg", bad)).errors]
    assert errors == ["`citty` is neither a persona field nor a column, feature or "
                      "segmentation of `customer`"]


FEATURES = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
  birth_year int pii
}

events orders from parquet "data/orders.parquet" key customer_id {
  customer_id int
}

feature orders_total = count(orders)
feature local = city = "Delft"
feature born = birth_year
segment buyers = orders_total > 0

persona bob for buyers {
  orders_total 2
  local true
  {more}
}
"""
BUYERS = [{"id": 1, "city": "Delft", "birth_year": 1990},
          {"id": 2, "city": "Delft", "birth_year": 1980},
          {"id": 3, "city": "Utrecht", "birth_year": 1970},
          {"id": 4, "city": "Delft", "birth_year": 1960}]
# customer 1 orders once, 2 three times, 3 five times, 4 never: buyers are 1, 2 and 3
BUYER_ORDERS = [{"customer_id": c} for c, n in ((1, 1), (2, 3), (3, 5)) for _ in range(n)]


def test_a_profile_feature_shows_the_members_values(project):
    path = project(FEATURES.replace("{more}", ""),
                   {"customers": BUYERS, "orders": BUYER_ORDERS})
    result = persona_report(str(path), "bob", date(2026, 6, 30))
    assert result.segment_size == 3
    assert result.profile_in_data == {"orders_total": "median 3", "local": "true 67%, false 33%"}
    printed = CliRunner().invoke(main, ["persona", "bob", str(path), "--as-of", "2026-06-30"])
    assert printed.exit_code == 0, printed.stderr
    assert "median 3" in printed.output and "(a feature)" not in printed.output


def test_a_profile_feature_over_personal_data_needs_an_allow(project):
    tables = {"customers": BUYERS, "orders": BUYER_ORDERS}
    refused = project(FEATURES.replace("{more}", "born 1985"), tables)
    result = CliRunner().invoke(main, ["persona", "bob", str(refused), "--as-of", "2026-06-30"])
    assert result.exit_code == 2
    assert "E504" in result.stderr and "allow (birth_year)" in result.stderr
    assert "1980" not in result.output + result.stderr
    allowed = project(FEATURES.replace(
        "{more}", 'born 1985\n  purpose "Compare ages"\n  allow (birth_year)'), tables,
        name="a.seg")
    assert persona_report(str(allowed), "bob", date(2026, 6, 30)).profile_in_data["born"] \
        == "median 1980"
