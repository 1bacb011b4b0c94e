"""The example of every declaration (docs/diagnostics.md, `segl check --explain`) is true:
its mistake, after the prelude, raises the code and its fix does not (and compiles)."""

import re
from datetime import date
from pathlib import Path

import pytest
from segl.compiler.analysis.lint import RULES, apply_suppressions, lint_model
from segl.compiler.api import (
    AsOf,
    Compilation,
    compile_source,
    member_outputs,
    refused,
    to_sql,
)
from segl.compiler.codes import DECLARED, Code
from segl.compiler.codes.declared import PRELUDE
from segl.compiler.diagnostics import CompileError
from segl.compiler.model import ClusterFit
from segl.compiler.semantic.clusters import LockEntry, lock_path_for, lock_text
from segl.compiler.source import SourceFile

PARAM = re.compile(r"^# segl .* -p (\w+)=(\S+)$", re.MULTILINE)


# E301's example is compiled for BigQuery, which reads tables, not files.
IN_A_WAREHOUSE = re.sub(r'csv "(\w+)\.csv"', r'csv "\1.csv", table "shop.\1"', PRELUDE)


# E004's and E005's examples are about the file's bytes: `# saved as …` says how to encode it.
SAVED_AS = re.compile(r"^# saved as (\S+)$", re.MULTILINE)
ENCODINGS = {"Latin-1": "latin-1", "UTF-16": "utf-16-le", "UTF-8": "utf-8"}


def _compiled(text: str, prelude: str = PRELUDE) -> tuple[SourceFile, Compilation]:
    saved = SAVED_AS.search(text)
    data = (prelude + text + "\n").encode(ENCODINGS[saved.group(1)] if saved else "utf-8")
    try:
        source = SourceFile.from_bytes("example.seg", data)
    except CompileError as exc:  # E004, E005: refused as it is read
        return SourceFile("example.seg", ""), Compilation("example.seg", None,
                                                          list(exc.diagnostics))
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
    if code is Code.E302:  # raised compiling many dates
        try:
            to_sql(compilation, "duckdb", AsOf.many([date(2026, 1, 31), date(2026, 2, 28)]))
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


def write_lock_file(text: str) -> None:
    """E114's fix: the lock file `segl discover` writes, beside example.seg (in the current
    folder), for the clusters the text declares."""
    _, compilation = _compiled(text)
    entries = []
    for name, segmentation in compilation.model.segmentations.items():
        spec = segmentation.clusters
        if spec is not None:
            width = len(spec.features)
            fit = ClusterFit((0.0,) * width, (1.0,) * width, (0.0,) * width,
                             tuple((float(i),) * width for i in range(spec.k)))
            entries.append(LockEntry(name, spec, fit, "2026-06-30", spec.k, (1,) * spec.k))
    Path(lock_path_for("example.seg")).write_text(lock_text(entries, "example.seg"))


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_the_fix_does_not(code, tmp_path, monkeypatch):
    if code is Code.E114:
        monkeypatch.chdir(tmp_path)
        write_lock_file(DECLARED[code].fix)
    _, compilation = _compiled(DECLARED[code].fix)
    assert compilation.ok, [d.render() for d in compilation.errors]
    assert code not in codes_of(code, DECLARED[code].fix)
