"""The example of every declaration (docs/diagnostics.md, `segl check --explain`) is true:
its mistake, after the prelude, raises the code and its fix does not (and compiles)."""

import re
from datetime import date

import pytest
from segl.compiler.api import (
    Compilation,
    compile_source,
    member_outputs,
    refused,
    to_sql,
)
from segl.compiler.codes import DECLARED, Code
from segl.compiler.codes.declared import PRELUDE
from segl.compiler.diagnostics import CompileError
from segl.compiler.lint import RULES, apply_suppressions, lint_model
from segl.compiler.source import SourceFile

PARAM = re.compile(r"^# segl .* -p (\w+)=(\S+)$", re.MULTILINE)


# E301's example is compiled for BigQuery, which reads tables, not files.
IN_A_WAREHOUSE = re.sub(r'csv "(\w+)\.csv"', r'csv "\1.csv", table "shop.\1"', PRELUDE)


def _compiled(text: str, prelude: str = PRELUDE) -> tuple[SourceFile, Compilation]:
    source = SourceFile("example.seg", prelude + text + "\n")
    return source, compile_source(source, dict(PARAM.findall(text)))


def codes_of(code: Code, text: str) -> set[str]:
    """Every code compiling `text` (and, for the codes raised later, compiling it for
    BigQuery, outputting its members, linting it) reports."""
    source, compilation = _compiled(text, IN_A_WAREHOUSE if code is Code.E301 else PRELUDE)
    found = {d.code for d in compilation.diagnostics}
    if not compilation.ok:
        return found
    model = compilation.model
    if code is Code.E301:
        try:
            to_sql(compilation, "bigquery", date(2026, 6, 30))
        except CompileError as exc:
            found |= {d.code for d in exc.diagnostics}
    if code is Code.E504:
        found |= {d.code for d in refused(model, member_outputs(model, model.segments))}
    if code.startswith("L"):
        findings = lint_model(model, compilation.files)
        found |= {d.code for d in apply_suppressions(findings, [source], set(RULES))}
    return found


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_the_mistake_raises_the_code(code):
    assert code in codes_of(code, DECLARED[code].mistake)


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_the_fix_does_not(code):
    _, compilation = _compiled(DECLARED[code].fix)
    assert compilation.ok, [d.render() for d in compilation.errors]
    assert code not in codes_of(code, DECLARED[code].fix)
