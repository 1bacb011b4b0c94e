"""`test` blocks and `segl test`."""

from click.testing import CliRunner
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.cli import main

from tests.conftest import ROOT

HEAD = """entity customer from parquet "data/customers.parquet" key id {
  id int
  city text
}

events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount float
}

segment buyers = count(orders) > 0
segment few_orders = count(orders) <= 1
segment delft = city = "Delft"
segmentation kind {
  regular when count(orders) >= 2
  else occasional
}
"""
TEST = """
test {name} {
  as_of 2026-06-30
  rows customer (id, city) {
    (1, "Delft")
    (2, missing)
    (3, "Utrecht")
  }
  rows orders (customer_id, ordered_at, amount) {
    (1, 2026-06-30T23:59, 5.5)
    (1, 2026-07-01T00:00, -1)
    (3, 2026-01-01T00:00, 2)
    (3, 2026-02-01T00:00, 2)
  }
  expect buyers = (1, 3)
  expect few_orders = ({few})
  expect delft = (1)
  expect kind.regular = (3)
}
"""


def run(tmp_path, text):
    path = tmp_path / "t.seg"
    path.write_text(text)
    return path, CliRunner().invoke(main, ["test", str(path)])


def test_a_passing_test(tmp_path):
    # the order after as_of is invisible; customer 2 never ordered (count 0 is "at most 1");
    # a missing city does not make customer 2 a member of delft
    _, result = run(tmp_path, HEAD + TEST.replace("{name}", "semantics").replace("{few}", "1, 2"))
    assert result.exit_code == 0, result.stderr
    assert result.output.splitlines() == ["PASS semantics", "1 passed, 0 failed"]


def test_a_failing_test_shows_what_differs(tmp_path):
    path, result = run(tmp_path, HEAD + TEST.replace("{name}", "wrong").replace("{few}", "1"))
    assert result.exit_code == 1
    assert "FAIL wrong" in result.output and "0 passed, 1 failed" in result.output
    assert f"{path}:34:3: expect few_orders = (1): got (1, 2) (missing (), unexpected (2))" \
        in result.stderr


def test_test_blocks_are_checked_when_compiling():
    bad = HEAD + """
test broken {
  rows customers (id) { (1) }
  rows orders (customer_id, amount) { (1) }
  expect buyer = ()
  expect kind.rare = ()
}
"""
    messages = [d.message for d in compile_source(SourceFile("t.seg", bad)).errors]
    assert messages == ["unknown table `customers`", "a row of `orders` needs 2 values, got 1",
                        "unknown segment or bucket `buyer`",
                        "unknown segment or bucket `kind.rare`"]


def test_the_examples_tests_pass(monkeypatch):
    monkeypatch.chdir(ROOT / "examples/shop")
    result = CliRunner().invoke(main, ["test"])
    assert result.exit_code == 0, result.stderr
    assert "1 passed, 0 failed" in result.output
