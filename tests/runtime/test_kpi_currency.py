"""`format currency` with a symbol (issue 16): segl.toml's `currency = "€"` (or a code,
`"EUR"`) prefixes every `format currency` KPI value in `segl kpis`, `persona`, `report` and
the notebook; CSV and JSON keep the raw number; a bad symbol is a usage error."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
import segl
from click.testing import CliRunner
from segl.runtime.cli import main
from segl.runtime.errors import UsageError
from segl.runtime.kpi_formats import Display, parse_currency, shown
from segl.runtime.project import load_project

from tests.conftest import ROOT

SHOP = ROOT / "examples" / "shop" / "shop.seg"


@pytest.mark.parametrize(("value", "display", "text"), [
    (Decimal("7948.125"), Display("currency", "€"), "€7,948.12"),
    (7948.5, Display("currency", "EUR"), "EUR 7,948.50"),
    (-12.5, Display("currency", "$"), "-$12.50"),
    (-0.001, Display("currency", "€"), "€0.00"),
    (1234.5, Display("currency", "R$"), "R$1,234.50"),
    (1234.5, Display("currency", "kr"), "kr 1,234.50"),
    (1234.5, Display("currency"), "1,234.50"),  # no symbol: as before
    (0.156, Display("percent", "€"), "15.6%"),  # a symbol only for currency
    (None, Display("currency", "€"), "–"),
])
def test_shown(value, display, text) -> None:
    assert shown(value, display) == text


@pytest.mark.parametrize("value", ["", "EURO12", "12", "€ ", "<b>", "E-U", 5, True,
                                   "EUROS", "€€€€€€"])
def test_bad_symbols_are_usage_errors(value) -> None:
    if isinstance(value, str) and 1 <= len(value) <= 5 and value.isalpha():
        assert parse_currency(value, "x") == value  # (`EUROS`: five letters is allowed)
        return
    with pytest.raises(UsageError, match="not a currency symbol or code"):
        parse_currency(value, "x")


def test_a_bad_symbol_in_segl_toml_names_the_file(tmp_path) -> None:
    path = tmp_path / "segl.toml"
    path.write_text('[segl]\ncurrency = "12 EUR"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"segl.toml: `currency`: `12 EUR` is not a currency"):
        load_project(path)


@pytest.fixture
def euro_project(tmp_path, monkeypatch):
    """The shop, from a folder whose segl.toml says `currency = "€"`."""
    (tmp_path / "segl.toml").write_text(
        f'[segl]\nentry = ["{SHOP.as_posix()}"]\nas_of = "2026-06-30"\ncurrency = "€"\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _segl(*args: str):
    return CliRunner().invoke(main, list(args), terminal_width=250)


def test_kpis_show_the_symbol_and_keep_raw_numbers(euro_project) -> None:
    args = ("kpis", "-s", "loyal", "-k", "revenue", "-k", "aov", "-k", "churn")
    rows = json.loads(_segl(*args, "--format", "json").stdout)
    markdown = _segl(*args, "--format", "markdown").stdout
    loyal = next(r for r in rows if r["group"] == "loyal")
    assert isinstance(loyal["revenue"], float)  # raw, no symbol
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
             for line in markdown.splitlines() if line.startswith("| loyal")}
    revenue, aov, churn = cells["loyal"][3:6]
    assert revenue.startswith(f"€{loyal['revenue']:,.2f}")
    assert aov.startswith(f"€{loyal['aov']:,.2f}")
    assert churn.startswith(f"{loyal['churn']:.1%}") and "€" not in churn
    plain = CliRunner().invoke(main, ["kpis", str(SHOP), "-s", "loyal", "-k", "revenue",
                                      "--format", "markdown"]).stdout  # the shop's own toml
    assert "€" not in plain and f"{loyal['revenue']:,.2f}" in plain


def test_persona_report_and_notebook_show_it_too(euro_project) -> None:
    persona = _segl("persona", "lisa", "--format", "markdown").stdout
    assert re.search(r"\| Revenue \| €[\d,]+\.\d\d \|", persona), persona
    report = euro_project / "report.html"
    assert _segl("report", "--out", str(report)).exit_code == 0
    assert re.search(r">€[\d,]+\.\d\d", report.read_text(encoding="utf-8"))
    project = segl.load()
    html = project.kpis(segments=["loyal"], kpis=["revenue"])._repr_html_()
    assert re.search(r"€[\d,]+\.\d\d", html)
    assert re.search(r"€[\d,]+\.\d\d", project.persona("lisa")._repr_html_())


OWN = """entity customer from parquet "data/customers.parquet" key id {
  id int
  spend decimal
}

segment big = spend > 50

kpi spend_total "Spend" = sum(spend) format currency "EUR"
kpi spend_avg = avg(spend) format currency
"""


def test_a_kpi_names_its_own_currency(project, tmp_path, monkeypatch) -> None:
    from segl.compiler.api import compile_file, format_source

    path = project(OWN, {"customers": [{"id": i, "spend": 10 * i} for i in range(1, 11)]})
    model = compile_file(str(path)).model
    assert (model.kpis["spend_total"].format, model.kpis["spend_total"].currency) == \
        ("currency", "EUR")
    assert model.kpis["spend_avg"].currency is None
    assert format_source(OWN) == OWN  # canonical, and kept by `segl fmt`
    messy = OWN.replace('format currency "EUR"', 'format   currency\n  "EUR"')
    assert format_source(messy) == OWN
    (tmp_path / "segl.toml").write_text(
        f'[segl]\nentry = ["{path.name}"]\nas_of = "2026-06-30"\ncurrency = "$"\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    rows = _markdown_cells(_segl("kpis", "--format", "markdown").stdout)
    assert rows["all"]["spend_total"] == "EUR 550.00"  # its own symbol wins
    assert rows["all"]["spend_avg"] == "$55.00"  # the project's for the others
    assert json.loads(_segl("kpis", "--format", "json").stdout)[0]["spend_total"] == 550


def _markdown_cells(text: str) -> dict[str, dict[str, str]]:
    lines = [[c.strip() for c in line.strip("|").split("|")]
             for line in text.splitlines() if line.startswith("| ")]
    head, *rows = lines
    return {row[0]: dict(zip(head, row, strict=True)) for row in rows}


@pytest.mark.parametrize("symbol", ["12", "E U R", "<b>", "EUROPE", ""])
def test_a_bad_symbol_in_a_file_is_e002_at_the_string(project, symbol) -> None:
    text = OWN.replace('"EUR"', f'"{symbol}"')
    path = project(text)
    result = _segl("check", str(path), "--no-data")
    assert result.exit_code == 1
    column = text.splitlines()[7].index(f'"{symbol}"') + 1
    assert f"{path}:8:{column}: error[E002]: `{symbol}` is not a currency symbol or code" \
        in result.stderr
    assert "hint: write a symbol" in result.stderr
