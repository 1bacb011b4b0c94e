"""`segl check` shows every definition error even when a source cannot be read, then the data
error (issue 16 item 4); errors an unread source may explain (its columns) are left out."""

from __future__ import annotations

from click.testing import CliRunner
from segl.runtime.cli import main

SEG = """entity customer from parquet "data/CUSTOMERS.parquet" key id {
  id int
  age int
}
events orders from parquet "data/ORDERS.parquet" key customer_id at ordered_at {
  customer_id int
  ordered_at timestamp
  amount float
}
segment a = agee > 1
segment b = sum(orders.discount) > 1
segment c = age > "ten"
"""
CUSTOMERS = {"customers": [{"id": 1, "age": 30}]}


def _check(*args: str):
    return CliRunner().invoke(main, ["check", *args])


def test_an_unknown_name_is_not_hidden_by_a_missing_events_file(project) -> None:
    path = str(project(SEG.replace("CUSTOMERS", "customers").replace("ORDERS", "gone"),
                       CUSTOMERS))
    result = _check(path)
    assert result.exit_code == 2
    errors = result.stderr
    assert "error[E101]: unknown name `agee`" in errors
    assert "did you mean `age`?" in errors
    assert "`discount`" not in errors  # the unread file may hold it
    assert "test.seg:12:13: error[E201]" in errors  # the type error of segment c
    assert errors.index("unknown name `agee`") < errors.index("data error:")
    assert "data error: " in errors and "gone.parquet" in errors


def test_a_missing_entity_file_leaves_out_unknown_names_only(project) -> None:
    path = str(project(SEG.replace("CUSTOMERS", "gone").replace("ORDERS", "gone"),
                       CUSTOMERS))
    result = _check(path)
    assert result.exit_code == 2
    assert "agee" not in result.stderr  # a bare name may be a column of the unread entity
    assert "test.seg:12:13: error[E201]" in result.stderr
    assert result.stderr.count("data error:") == 2


def test_every_file_is_checked(project, tmp_path) -> None:
    broken = str(project(SEG.replace("CUSTOMERS", "customers").replace("ORDERS", "gone"),
                         CUSTOMERS))
    other = tmp_path / "other.seg"
    other.write_text(SEG.replace("CUSTOMERS", "customers").replace("ORDERS", "gone")
                     .replace("agee", "aage"))
    result = _check(broken, str(other))
    assert "`agee`" in result.stderr and "`aage`" in result.stderr
    assert result.exit_code == 2


def test_no_data_error_without_one(project) -> None:
    seg = SEG.replace("CUSTOMERS", "customers").replace("ORDERS", "customers")
    result = _check(str(project(seg.split("segment a")[0] + "segment ok = age > 1\n",
                                {"customers": [{"id": 1, "age": 30, "customer_id": 1,
                                                "ordered_at": None, "amount": 1.0}]})))
    assert "data error" not in result.stderr
