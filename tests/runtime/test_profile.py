"""`segl profile [FILE] SOURCE[.COLUMN]` (issue 16 item 4): counts, missing share, ranges and
the commonest values against Polars over the same file; a personal column shows counts only,
in every format."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest
from click.testing import CliRunner
from segl.runtime.cli import main

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  email text pii
  age int
}
events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  status text
  amount float
}
segment adults = age >= 18
"""
CUSTOMERS = [{"id": i, "email": f"user{i}@example.org" if i % 4 else None,
              "age": None if i % 5 == 0 else 15 + i} for i in range(1, 21)]
STATUSES = ["paid", "paid", "paid", "returned", "paid", None, "cancelled", "paid"]
ORDERS = [{"customer_id": 1 + i % 20, "ordered_at": None, "status": STATUSES[i % 8],
           "amount": float(i % 7)} for i in range(40)]
SCHEMA = {"orders": {"customer_id": pl.Int64, "ordered_at": pl.Datetime, "status": pl.String,
                     "amount": pl.Float64}}


@pytest.fixture
def seg(project) -> str:
    return str(project(SEG, {"customers": CUSTOMERS, "orders": ORDERS}, SCHEMA))


def _profile(*args: str):
    return CliRunner().invoke(main, ["profile", *args])


def test_a_column_s_values_with_counts_equal_polars(seg) -> None:
    result = _profile(seg, "orders.status", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    counts = pl.DataFrame(ORDERS, schema=SCHEMA["orders"])["status"].drop_nulls().value_counts()
    expected = sorted(((s, n) for s, n in counts.iter_rows()), key=lambda r: (-r[1], r[0]))
    assert [(r["value"], int(r["rows"])) for r in rows] == expected
    assert float(rows[0]["share"]) == pytest.approx(expected[0][1] / len(ORDERS))


def test_a_column_s_summary_as_json(seg) -> None:
    data = json.loads(_profile(seg, "customer.age", "--format", "json", "--limit", "2").stdout)
    ages = [c["age"] for c in CUSTOMERS]
    present = [a for a in ages if a is not None]
    assert data["rows"] == 20 and data["missing"] == ages.count(None)
    assert data["missing_share"] == pytest.approx(ages.count(None) / 20)
    assert data["distinct"] == len(set(present))
    assert (data["min"], data["max"]) == (min(present), max(present))
    assert len(data["values"]) == 2


def test_a_source_overview(seg) -> None:
    result = _profile(seg, "orders", "--format", "json")
    assert result.exit_code == 0, result.output
    by_column = {row["column"]: row for row in json.loads(result.stdout)}
    assert list(by_column) == ["customer_id", "ordered_at", "status", "amount"]
    assert by_column["status"]["missing"] == sum(1 for o in ORDERS if o["status"] is None)
    assert by_column["status"]["values"][0] == {
        "value": "paid", "rows": sum(1 for o in ORDERS if o["status"] == "paid")}
    assert by_column["ordered_at"]["missing_share"] == 1.0
    assert by_column["amount"]["max"] == max(o["amount"] for o in ORDERS)
    table = _profile(seg, "orders").stdout
    assert "40 rows" in table and "paid (" in table


def test_a_personal_column_shows_counts_only(seg) -> None:
    emails = [c["email"] for c in CUSTOMERS if c["email"]]
    for args in (["customer.email"], ["customer"]):
        for fmt in ("table", "csv", "json", "markdown"):
            result = _profile(seg, *args, "--format", fmt)
            assert result.exit_code == 0, result.output
            assert not any(e in result.stdout for e in emails), (args, fmt)
            assert "user" not in result.stdout
    data = json.loads(_profile(seg, "customer.email", "--format", "json").stdout)
    assert data["personal"] == "pii" and data["values"] == []
    assert data["distinct"] == len(emails) and data["missing"] == 20 - len(emails)
    assert "counts only" in _profile(seg, "customer.email").stdout


def test_unknown_names_and_unreadable_data(seg, tmp_path) -> None:
    result = _profile(seg, "order.status")
    assert result.exit_code == 2 and "did you mean `orders`?" in result.output
    result = _profile(seg, "orders.stats")
    assert result.exit_code == 2 and "did you mean `status`?" in result.output
    (tmp_path / "data" / "orders.parquet").unlink()
    result = _profile(seg, "orders.status")
    assert result.exit_code == 2 and "data error:" in result.output


def test_the_file_comes_from_segl_toml(seg, tmp_path, monkeypatch) -> None:
    (tmp_path / "segl.toml").write_text('[segl]\nentry = ["test.seg"]\n')
    monkeypatch.chdir(tmp_path)
    result = _profile("orders.status", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("value,rows,share\npaid,")
