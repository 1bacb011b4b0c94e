"""Lint knows exports and the holdout: a feature only an export writes is used (no L401),
the holdout segment segl makes is not asked for an owner (no L001), and a feature nothing
uses still is."""

from __future__ import annotations

from click.testing import CliRunner
from segl.runtime.cli import main

TEXT = """entity customer from csv "customers.csv" key customer_id {
  customer_id int
  spend float
}
feature spend_total = spend
feature forgotten = spend * 2
segment everyone {
  owner "crm"
  description "everyone"
  where spend is present
}
holdout 5% salt "h"
export spenders from everyone {
  traits (spend_total)
  to csv "out/spenders.csv"
}
"""


def test_exports_use_features_and_the_holdout_needs_no_owner(tmp_path):
    (tmp_path / "customers.csv").write_text("customer_id,spend\n1,2.5\n")
    path = tmp_path / "x.seg"
    path.write_text(TEXT)
    result = CliRunner().invoke(main, ["lint", str(path), "--select", "L001,L401"])
    assert "feature `forgotten` is not used" in result.output
    assert "spend_total" not in result.output
    assert "holdout" not in result.output
