"""`kpis (…)` in an experiment (docs/experiments.md): what `segl experiment NAME` reads out
without `--kpi`, and `segl report` for every experiment; checked at compile time."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from segl.compiler.api import SourceFile, compile_source
from segl.runtime.cli import main
from segl.runtime.experiments import readout

from .test_readout import SEG, _rows

DECLARED = SEG.replace("variant_b 40% }", "variant_b 40% kpis (spend_value, big) }")


@pytest.fixture
def shop(project):
    return project(DECLARED, {"customers": _rows(range(1, 3_001))})


def test_declared_kpis_are_read_out_as_if_given(shop):
    declared = readout(str(shop), "mail", [], "2026-06-30")
    given = readout(str(shop), "mail", ["spend_value", "big"], "2026-06-30")
    assert declared.rows == given.rows and [r.kpi for r in declared.rows[::3]] == \
        ["spend_value", "big"]
    result = CliRunner().invoke(main, ["experiment", "mail", str(shop), "--as-of",
                                       "2026-06-30", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "spend_value,mean,control" in result.output and "big,rate,variant_b" in result.output


def test_the_report_reads_out_the_declared_kpis(shop):
    out = shop.parent / "report.html"
    result = CliRunner().invoke(main, ["report", str(shop), "--as-of", "2026-06-30", "--out",
                                       str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<code>spend_value</code> (mean)" in page and "<code>big</code> (rate)" in page


def test_without_kpis_the_command_asks_for_one(project):
    path = project(SEG, {"customers": _rows(range(1, 50))})
    result = CliRunner().invoke(main, ["experiment", "mail", str(path), "--as-of",
                                       "2026-06-30"])
    assert result.exit_code == 2 and "name at least one KPI" in result.output


@pytest.mark.parametrize(("kpis", "code", "message"), [
    ("nothing", "E101", "`nothing` is neither a feature nor a segment"),
    ("label", "E201", "feature `label` is a text: a readout KPI is a number"),
])
def test_a_declared_kpi_is_checked_at_its_position(kpis, code, message):
    text = SEG.replace("variant_b 40% }", f"variant_b 40% kpis ({kpis}) }}")
    compilation = compile_source(SourceFile("/tmp/x/x.seg", text))
    assert [d.code for d in compilation.errors] == [code]
    diagnostic = compilation.errors[0]
    assert message in diagnostic.message
    line = text.splitlines()[diagnostic.span.line - 1]
    assert line[diagnostic.span.column - 1:].startswith(kpis)
