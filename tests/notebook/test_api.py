"""The notebook API (`import segl`, docs/python.md): segl.toml honoured as `segl run` honours
it, results as Polars DataFrames that equal what the commands print or write, escaped HTML,
and the privacy rules of the commands."""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
import sys
from datetime import date
from importlib.metadata import version

import polars as pl
import pytest
import segl
from segl.compiler.api import CompileError
from segl.runtime.errors import UsageError

from tests.conftest import ROOT

SHOP = ROOT / "examples" / "shop"

SEG = """entity customer from parquet "data/customers.parquet" key id {
  id int
  age int
  city text
  email text pii
}

param min_age = 18
segment adults "Adults <b>&" = age >= min_age
segment city_adults = age >= min_age and city = "Ams<script>"
segment mailable = email is present
kpi avg_age "Average <age>" = avg(age)
"""
CUSTOMERS = [{"id": 1, "age": 30, "city": "Ams<script>", "email": "a@x"},
             {"id": 2, "age": 12, "city": "Ams<script>", "email": None},
             {"id": 3, "age": 45, "city": "Utrecht", "email": "c@x"},
             {"id": 4, "age": 20, "city": "Ams<script>", "email": None}]


def test_version_and_stages_import_alongside() -> None:
    assert segl.__version__ == version("segl")
    for stage in ("segl.grammar", "segl.compiler.api", "segl.runtime.api"):
        assert importlib.import_module(stage).__name__ == stage  # still subpackages of segl
    assert callable(segl.load)
    assert segl.CompileError is CompileError and segl.UsageError is UsageError
    with pytest.raises(AttributeError):
        segl.nothing  # noqa: B018


def test_import_segl_imports_nothing_else() -> None:
    program = ("import sys, segl; print(sorted(m for m in sys.modules "
               "if m.startswith(('segl', 'duckdb', 'polars'))))")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['segl']"


def test_shop_members_equal_segl_run_in_its_folder() -> None:
    """segl.toml's as_of (2026-06-30), not today: the members `segl run` writes there."""
    project = segl.load(str(SHOP / "shop.seg"))
    assert project.as_of == "2026-06-30"
    result = project.run(segments=["loyal", "lapsed"])
    cli = subprocess.run([sys.executable, "-c", "from segl.runtime.cli import main; main()",
                          "run", "-s", "loyal", "-s", "lapsed", "--format", "csv"],
                         cwd=SHOP, capture_output=True, text=True, check=True)
    rows = list(csv.reader(io.StringIO(cli.stdout)))
    assert rows[0] == ["customer_id", "segment"]
    expected = [(int(key), name) for key, name in rows[1:]]
    assert list(result.members.iter_rows()) == expected
    sizes = dict(zip(result.sizes["name"], result.sizes["members"], strict=True))
    assert sizes == {name: sum(1 for _, n in expected if n == name)
                     for name in ("loyal", "lapsed")}
    assert str(result.as_of) == "2026-06-30"


def test_as_of_and_params_override_the_project_like_options(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    loaded = segl.load(path, params={"min_age": 21}, as_of=date(2026, 1, 1))
    assert loaded.params["min_age"] == "21" and loaded.as_of == "2026-01-01"
    result = loaded.run(segments=["adults"])
    assert sorted(result.members["id"]) == [1, 3]
    assert sorted(segl.load(path).run(segments="adults").members["id"]) == [1, 3, 4]
    again = loaded.run(segments=["adults"], as_of="2025-06-30")
    assert str(again.as_of) == "2025-06-30"
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        loaded.run(as_of="yesterday")


def test_wide_members_and_buckets(project) -> None:
    seg = SEG + "segmentation ages { young when age < 25\n else old }\n"
    path = str(project(seg, {"customers": CUSTOMERS}))
    result = segl.load(path, as_of="2026-06-30").run(segments=["adults", "ages"])
    assert result.wide.columns == ["id", "adults", "ages"]
    assert result.wide.rows() == [(1, True, "old"), (2, False, "young"), (3, True, "old"),
                                  (4, True, "young")]
    assert result.sizes.rows() == [("adults", "segment", "Adults <b>&", 3, 0.75),
                                   ("ages.young", "bucket", "", 2, 0.5),
                                   ("ages.old", "bucket", "", 2, 0.5)]


def test_members_of_personal_data_are_refused_sizes_are_not(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    result = segl.load(path, as_of="2026-06-30").run(segments=["mailable"])
    assert result.sizes["members"].to_list() == [2]  # a count needs no allow
    with pytest.raises(CompileError) as refused:
        result.members  # noqa: B018
    assert "E504" in str(refused.value) and "email" in str(refused.value)
    assert "a@x" not in result._repr_html_()


def test_html_is_escaped(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    loaded = segl.load(path, as_of="2026-06-30")
    page = loaded.run(segments=["adults"])._repr_html_()
    assert "Adults &lt;b&gt;&amp;" in page and "<b>" not in page
    funnel = loaded.explain("city_adults")._repr_html_()
    assert "Ams&lt;script&gt;" in funnel and "<script>" not in funnel
    kpis = loaded.kpis(segments=["adults"])._repr_html_()
    assert "Average &lt;age&gt;" in kpis and "<age>" not in kpis


def test_explain_funnel_ends_at_the_segment_size(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    loaded = segl.load(path, as_of="2026-06-30")
    funnel = loaded.explain("city_adults")
    assert funnel.frame.rows() == [
        (1, "age >= min_age", 3, 3, 0.75), (2, 'city = "Ams<script>"', 3, 2, 0.5)]
    size = loaded.run(segments=["city_adults"]).sizes["members"][0]
    assert funnel.frame["remaining"][-1] == size == 2


def test_kpis_frame(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    table = segl.load(path, as_of="2026-06-30").kpis(segments=["adults"])
    rows = {r["group"]: r for r in table.frame.iter_rows(named=True)}
    assert rows["all"]["avg_age"] == pytest.approx((30 + 12 + 45 + 20) / 4)
    assert rows["adults"]["avg_age"] == pytest.approx((30 + 45 + 20) / 3)
    assert rows["adults"]["avg_age_index"] == pytest.approx(
        rows["adults"]["avg_age"] / rows["all"]["avg_age"] * 100)
    assert rows["adults"]["members"] == 3 and rows["adults"]["share"] == 0.75
    with pytest.raises(UsageError, match="unknown KPI `avg_ag`"):
        segl.load(path).kpis(kpis=["avg_ag"])


def test_sql_equals_segl_compile() -> None:
    project = segl.load(str(SHOP / "shop.seg"))
    text = project.sql("snowflake", segments=["loyal"])
    cli = subprocess.run([sys.executable, "-c", "from segl.runtime.cli import main; main()",
                          "compile", "shop.seg", "-d", "snowflake", "-s", "loyal"],
                         cwd=SHOP, capture_output=True, text=True, check=True)
    assert text.replace(str(SHOP / "shop.seg"), "shop.seg") == cli.stdout
    assert "2026-06-30" in text


def test_persona_view() -> None:
    view = segl.load(str(SHOP / "shop.seg")).persona("lisa")
    assert view.satisfies is True
    assert view.profile["attribute"].to_list() == ["age", "city", "lifestyle", "interest"]
    assert "Lisa" in view._repr_html_()


def test_to_pandas(project) -> None:
    pytest.importorskip("pandas")
    path = str(project(SEG, {"customers": CUSTOMERS}))
    result = segl.load(path, as_of="2026-06-30").run(segments=["adults"])
    assert result.to_pandas()["members"].tolist() == [3]
    assert result.members.to_pandas()["id"].tolist() == [1, 3, 4]


def test_definition_errors_raise_with_the_rendered_diagnostic(project) -> None:
    path = str(project("entity customer from parquet \"data/customers.parquet\" key id {\n"
                       "  id int\n}\nsegment a = nope > 1\n", {"customers": CUSTOMERS}))
    with pytest.raises(CompileError, match=r"test.seg:4:\d+: error\[E\d+\]"):
        segl.load(path, as_of="2026-06-30").run()


def test_json_of_sizes_round_trips(project) -> None:
    path = str(project(SEG, {"customers": CUSTOMERS}))
    sizes = segl.load(path, as_of="2026-06-30").run(segments=["adults"]).sizes
    assert json.loads(sizes.write_json()) == [
        {"name": "adults", "kind": "segment", "label": "Adults <b>&", "members": 3,
         "share": 0.75}]
    assert isinstance(sizes, pl.DataFrame)
