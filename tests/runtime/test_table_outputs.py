"""Outputs that pipe (issue 16 item 4): `segl kpis|overlap|explain|persona --format
table|csv|json|markdown --out PATH|-`; raw numbers in CSV and JSON equal the runtime's own
values; a table wider than the terminal folds into parts instead of cutting values."""

from __future__ import annotations

import csv
import io
import json

import pytest
import segl
from click.testing import CliRunner
from rich.console import Console
from segl.runtime.api import evaluate
from segl.runtime.cli import main
from segl.runtime.cli.tables import Column, Grid, Output, _markdown, fold
from segl.runtime.explain import explain
from segl.runtime.kpis import kpi_table

from tests.conftest import ROOT

SHOP = str(ROOT / "examples" / "shop" / "shop.seg")
AS_OF = ["--as-of", "2026-06-30"]


def _segl(*args: str, width: int = 200):
    return CliRunner().invoke(main, list(args), terminal_width=width)


def test_kpis_csv_holds_raw_values_and_indexes() -> None:
    result = _segl("kpis", SHOP, *AS_OF, "-s", "loyal", "-k", "revenue", "-k", "churn",
                   "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["group", "kind", "label", "members", "share", "revenue",
                             "revenue_index", "churn", "churn_index"]
    evaluation = evaluate(SHOP, "2026-06-30", ["loyal"], kpis=True)
    groups = {g.name: g for g in kpi_table(evaluation, ["revenue", "churn"])}
    for row in rows:
        group = groups[row["group"]]
        assert int(row["members"]) == group.size
        assert float(row["revenue"]) == pytest.approx(float(group.values["revenue"]))
        assert float(row["churn_index"]) == pytest.approx(group.index["churn"])
    assert "," not in rows[0]["revenue"] and "(" not in rows[1]["revenue"]


def test_kpis_csv_equals_the_notebook_frame() -> None:
    printed = _segl("kpis", SHOP, *AS_OF, "-s", "lapsed", "--format", "json")
    frame = segl.load(SHOP).kpis(segments=["lapsed"]).frame
    assert json.loads(printed.stdout) == frame.to_dicts()


def test_out_writes_the_format_of_its_extension(tmp_path) -> None:
    target = tmp_path / "funnel.json"
    result = _segl("explain", "lapsed", SHOP, *AS_OF, "--out", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"wrote {target}" in result.stderr
    funnel = explain(SHOP, "lapsed", "2026-06-30")
    assert json.loads(target.read_text()) == [
        {"step": i, "condition": s.condition, "passing": s.passing, "remaining": s.remaining,
         "share": s.remaining / funnel.entities} for i, s in enumerate(funnel.steps, 1)]
    markdown = tmp_path / "funnel.md"
    assert _segl("explain", "lapsed", SHOP, *AS_OF, "--out", str(markdown)).exit_code == 0
    lines = markdown.read_text().splitlines()
    assert "| # | condition | pass alone | remaining | share |" in lines
    assert "|---:|---|---:|---:|---:|" in lines
    dash = _segl("explain", "lapsed", SHOP, *AS_OF, "--out", "-", "--format", "csv")
    assert dash.stdout.splitlines()[0] == "step,condition,passing,remaining,share"


def test_overlap_csv_keeps_every_pair_and_its_columns(tmp_path) -> None:
    target = tmp_path / "pairs.csv"
    args = ["overlap", SHOP, *AS_OF, "-s", "loyal", "-s", "lapsed", "-s", "big_cities"]
    assert _segl(*args, "--limit", "1", "--out", str(target)).exit_code == 0
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == ["first", "second", "both", "either", "jaccard"]
    assert len(rows) == 1 + 3  # every pair, whatever --limit shows
    table = _segl(*args, "--limit", "1")
    assert sum(1 for line in table.stdout.splitlines() if line.startswith("│")) == 1
    assert "2 more rows" in table.stdout


def test_persona_json_and_csv() -> None:
    result = _segl("persona", "lisa", SHOP, *AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["satisfies"] is True and data["segment"] == "young_urban"
    assert data["channels"] == ["instagram", "email"]
    assert [c["result"] for c in data["checks"]] == [True, True, True]
    assert {"attribute": "age", "persona": 30, "segment_members": "median 30"} in \
        data["profile"]
    table = _segl("persona", "lisa", SHOP, *AS_OF, "--format", "csv")
    assert table.stdout.splitlines()[0] == "attribute,persona,segment_members"


def test_markdown_escapes_pipes_and_newlines() -> None:
    grid = Grid("g", [Column("name"), Column("n", numeric=True)], title="a | b")
    grid.add("x | y\nz", (1, "1"))
    text = _markdown(Output([grid]))
    assert "**a \\| b**" in text and "| x \\| y z | 1 |" in text


def test_a_wide_table_folds_instead_of_cutting_values() -> None:
    grid = Grid("g", [Column("group")] + [Column(f"kpi_{i}", numeric=True)
                                          for i in range(12)], title="wide", keep=1)
    for name in ("all", "lifecycle.prospect"):
        grid.add(name, *((7948733.36 * i, f"{7948733.36 * i:,.2f} ({i})") for i in range(12)))
    console = Console(file=io.StringIO(), width=60, color_system=None)
    parts = fold(grid, 60)
    assert len(parts) > 1
    for part in parts:
        console.print(part)
    text = console.file.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    for i in range(12):
        assert f"{7948733.36 * i:,.2f} ({i})" in text  # each value whole, on one line
    assert text.count("lifecycle.prospect") == len(parts)  # the group column repeats


def test_piped_kpis_of_the_shop_are_never_cut() -> None:
    result = _segl("kpis", SHOP, *AS_OF, "-s", "loyal", "-s", "lifecycle", width=80)
    assert result.exit_code == 0
    assert "…" not in result.stdout and "7,948,733.36" in result.stdout


def test_every_table_command_documents_format_and_out() -> None:
    for command in ("kpis", "overlap", "explain", "persona"):
        text = _segl(command, "--help").stdout
        assert "--format [table|csv|json|markdown]" in text, command
        assert "--out PATH" in text, command


def test_ls_as_json_lists_every_object() -> None:
    from segl.compiler.api import compile_file

    model = compile_file(SHOP).model
    rows = json.loads(_segl("ls", SHOP, "--format", "json").stdout)
    kinds = {row["name"]: row["kind"] for row in rows}
    assert {n for n, k in kinds.items() if k == "segment"} == set(model.segments)
    assert {n for n, k in kinds.items() if k == "kpi"} == set(model.kpis)
    assert list(rows[0]) == ["name", "kind", "label", "depends_on"]


def test_text_columns_wrap_before_a_table_folds() -> None:
    grid = Grid("g", [Column("name"), Column("depends_on")])
    grid.add("a", "x, " * 40)
    assert len(fold(grid, 60)) == 1


KPI_SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  age int
  `number` int
}
kpi adult_rate "Adults" = sum(case when age >= 18 then 1 else 0 end) / count(id) format percent
kpi spend = sum(`number`) format currency
kpi avg_age = avg(age)
segment adults = age >= 18
"""


def test_kpi_format_percent_is_shown_as_a_percentage_and_written_raw(project) -> None:
    path = str(project(KPI_SEG, {"customers": [{"id": 1, "age": 30, "number": 1500},
                                               {"id": 2, "age": 12, "number": 2},
                                               {"id": 3, "age": 45, "number": 3},
                                               {"id": 4, "age": 20, "number": 4}]}))
    table = _segl("kpis", path, *AS_OF)
    assert table.exit_code == 0, table.output
    assert "75.0%" in table.stdout and "100.0% (133)" in table.stdout
    assert "1,509.00" in table.stdout and "0.75" not in table.stdout
    data = {r["group"]: r for r in json.loads(_segl("kpis", path, *AS_OF, "--format",
                                                    "json").stdout)}
    assert data["all"]["adult_rate"] == 0.75 and data["adults"]["adult_rate"] == 1.0
    frame = segl.load(path, as_of="2026-06-30").kpis()
    assert "75.0%" in frame._repr_html_()


def test_kpi_format_round_trips_through_fmt() -> None:
    from segl.compiler.api import compile_source, format_source
    from segl.compiler.source import SourceFile

    text = ('entity c from parquet "c.parquet" key id {\n  id int\n  age int\n}\n\n'
            "kpi a = avg(age) format percent\nkpi b = avg(age) format number\n"
            "kpi d = avg(age)\n")
    assert format_source(text) == text
    model = compile_source(SourceFile("k.seg", text)).model
    assert [k.format for k in model.kpis.values()] == ["percent", "number", None]
