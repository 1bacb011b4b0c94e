"""docs/diagnostics.md is generated from the declarations and must be current;
`segl check --explain CODE` prints one declaration."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from segl.compiler.codes import DECLARED, Code, explain
from segl.compiler.codes.markdown import markdown
from segl.runtime.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"


def test_docs_diagnostics_md_is_current():
    expected = markdown()
    if os.environ.get("SEGL_UPDATE_SNAPSHOTS"):
        DOC.write_text(expected, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/diagnostics.md is out of date: SEGL_UPDATE_SNAPSHOTS=1 pytest tests/diagnostics")


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_every_code_has_its_section(code):
    text = markdown()
    section = text.split(f"\n### {code}\n", 1)[1].split("\n### ", 1)[0]
    declared = DECLARED[code]
    assert f"**{declared.title}**" in section
    assert declared.mistake in section and declared.fix in section
    assert f"[{code}](#{code.lower()})" in text


def test_explain_prints_the_declaration():
    result = CliRunner().invoke(main, ["check", "--explain", "e108"])
    assert result.exit_code == 0, result.output
    assert result.output == explain(Code.E108)
    assert result.output.startswith("E108: aggregate misuse\n")
    assert "    segment big_spender = orders.amount > 100\n" in result.output


def test_explain_of_an_unknown_code_is_a_usage_error():
    result = CliRunner().invoke(main, ["check", "--explain", "E180"])
    assert result.exit_code == 2
    assert "unknown code `E180`" in result.output
    assert "did you mean" in result.output and "`E108`" in result.output


def test_sarif_points_a_compile_error_at_its_explanation(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent / "cases")
    result = CliRunner().invoke(main, ["lint", "E101.seg", "--format", "sarif"])
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    (rule,) = [r for r in rules if r["id"] == "E101"]
    assert rule["shortDescription"]["text"] == DECLARED["E101"].title
    assert "docs/diagnostics.md#e101" in rule["help"]["text"]
    assert "### E101" in DOC.read_text(encoding="utf-8")
