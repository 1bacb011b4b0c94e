"""`segl run` writes members to stdout with `--format csv|json|parquet` and no `--out`, or with
`--out -`: the members alone (byte for byte what the file would hold), the sizes on stderr."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
from click.testing import CliRunner
from segl.runtime.cli import main

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  age int
  email text pii
}

segment adults "Adults" = age >= 18
segment mailable = email is present
"""
CUSTOMERS = [{"id": 1, "age": 30, "email": "a@x"}, {"id": 2, "age": 12, "email": None},
             {"id": 3, "age": 45, "email": "c@x"}]
AS_OF = ["--as-of", "2026-06-30"]


def _run(*args: str):
    return CliRunner().invoke(main, ["run", *args, *AS_OF])


def test_format_csv_without_out_writes_the_members_to_stdout(project, tmp_path) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    result = _run(path, "-s", "adults", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["id", "segment"], ["1", "adults"], ["3", "adults"]]
    # the sizes go to stderr, so stdout pipes into another program as it is
    assert "Adults" in result.stderr and "Adults" not in result.stdout
    file = tmp_path / "members.csv"
    assert _run(path, "-s", "adults", "--out", str(file)).exit_code == 0
    assert result.stdout_bytes == file.read_bytes()


def test_out_dash_is_stdout(project, tmp_path) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    as_csv = _run(path, "-s", "adults", "--out", "-", "--shape", "wide")
    assert as_csv.exit_code == 0, as_csv.stderr
    assert as_csv.stdout.splitlines() == ["id,adults", "1,true", "2,false", "3,true"]
    as_json = _run(path, "-s", "adults", "--out", "-", "--format", "json")
    assert json.loads(as_json.stdout) == [{"id": 1, "segment": "adults"},
                                          {"id": 3, "segment": "adults"}]
    as_parquet = _run(path, "-s", "adults", "--out", "-", "--format", "parquet")
    assert pl.read_parquet(io.BytesIO(as_parquet.stdout_bytes))["id"].to_list() == [1, 3]
    assert not (tmp_path / "-").exists()


def test_members_on_stdout_are_refused_like_a_file(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    result = _run(path, "-s", "mailable", "--format", "csv")
    assert result.exit_code == 2
    assert "`segl run --format csv` would output" in result.stderr
    assert result.stdout == ""
