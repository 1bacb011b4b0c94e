"""Namespaces (issue 13 item 4): a KPI may share a name with a table, feature or segment
(`compiler/semantic/namespaces.py`); other kinds may not, and E102 says why and offers a
free name."""

from click.testing import CliRunner
from segl.compiler.api import compile_source
from segl.compiler.source import SourceFile
from segl.runtime.cli import main

from tests.conftest import ROOT

HEAD = """
entity customer from table "c" key id { id int  city text }
events orders from table "o" key id at t { t timestamp  amount float }
"""


def _errors(text: str):
    compilation = compile_source(SourceFile("t.seg", HEAD + text))
    return [(d.code.name, d.span.line, d.message, d.hints) for d in compilation.errors]


def test_a_kpi_may_share_a_name_with_a_table_and_a_feature():
    assert _errors("kpi orders = sum(count(orders))\n"
                   "feature spend = sum(orders.amount)\n"
                   "kpi spend = sum(spend)\n"
                   "segment big = spend > 10\n") == []


def test_a_kpi_declared_before_the_table_of_its_name_is_kept_apart():
    source = SourceFile("t.seg", "kpi orders = sum(count(orders))\n" + HEAD
                        + "segment s = count(orders) > 1\n")
    compilation = compile_source(source)
    assert compilation.ok, [d.message for d in compilation.errors]
    assert set(compilation.model.kpis) == {"orders"}
    assert "orders" in compilation.model.events


def test_two_kpis_still_need_two_names():
    (error,) = _errors("kpi n = sum(count(orders))\nkpi n = avg(count(orders))\n")
    assert error[:3] == ("E102", 5, "`n` is already defined (as a kpi)")
    assert error[3] == ("two kpis cannot share a name; rename this kpi, e.g. `n_kpi`",)


def test_a_segment_named_like_a_feature_says_why_and_how_to_rename():
    (error,) = _errors("feature spend = sum(orders.amount)\nsegment spend = spend > 10\n")
    code, line, message, (hint,) = error
    assert (code, line, message) == ("E102", 5, "`spend` is already defined (as a feature)")
    assert "both written as a bare name in conditions" in hint
    assert hint.endswith("rename this segment, e.g. `spend_segment`")


def test_a_feature_named_like_a_table_offers_a_free_name():
    (error,) = _errors("feature orders_segment = 1\nfeature orders = 2\n")
    hint = error[3][0]
    assert "a table is named bare in aggregates" in hint
    assert hint.endswith("e.g. `orders_feature`")


def test_the_kpi_query_reads_a_kpi_named_like_its_table(tmp_path):
    path = tmp_path / "k.seg"
    path.write_text(f'import "{ROOT / "examples/shop/sources.seg"}"\n'
                    'kpi orders "Orders" = sum(count(orders))\n'
                    'segment nl "NL" {\n  description "x"\n  owner "y"\n  where country = "NL"\n'
                    '}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["kpis", str(path), "--as-of", "2026-06-30",
                                       "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "orders" in result.output.splitlines()[0]
