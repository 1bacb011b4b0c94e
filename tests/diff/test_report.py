"""Rendering of a `segl diff` report: names and labels that would break markdown tables,
code spans or rich markup come out intact."""

from __future__ import annotations

from rich.console import Console
from segl.compiler.analysis.semantic_diff import diff_models
from segl.runtime.diff import DiffReport, EntryDiff
from segl.runtime.diff_report import to_markdown, to_text

from tests.diff.test_semantic_diff import SOURCES, compiled


def report_for(before: str, after: str) -> DiffReport:
    a, b = compiled(before), compiled(after)
    entry = EntryDiff("test.seg", True, True, diff_models(a.model, b.model, a.files, b.files))
    return DiffReport("main", "working tree", "duckdb", "2026-06-30", False, None, [entry])


def test_labels_and_backquoted_names_survive_markdown_and_rich():
    before = SOURCES + 'segment `select` "[beta] a|b users" = vip\n'
    after = SOURCES + 'segment `select` "[beta] a|b users" = vip and age >= 18\n'
    report = report_for(before, after)
    markdown = to_markdown(report)
    assert "| segment `select` · [beta] a\\|b users | narrows |" in markdown
    assert "  - condition added: `age >= 18` (narrows)" in markdown
    console = Console(width=200, color_system=None)
    with console.capture() as captured:
        console.print(to_text(report), end="")
    assert "narrows  segment select · [beta] a|b users" in captured.get()


def test_no_change_says_so():
    report = report_for(SOURCES, SOURCES)
    assert not report.changed
    assert "**no semantic change**" in to_markdown(report)
    assert "no semantic change" in to_text(report)
