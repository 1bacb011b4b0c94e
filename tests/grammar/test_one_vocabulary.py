"""The lexicon (compiler/syntax/lexicon.py) is the only copy of the language's words: no other
module of `compiler/`, `runtime/` or `grammar/` spells a list of them (an AST scan), and the parser,
formatter, report highlighter and silencing comments read the lexicon's scanner and names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from segl.compiler.analysis.lint.suppressions import directives
from segl.compiler.source import SourceFile
from segl.compiler.syntax import lexicon, parser
from segl.compiler.syntax.format_expressions import name
from segl.compiler.syntax.formatter import comments, format_source
from segl.runtime.report_html import KEYWORDS as REPORT_KEYWORDS
from segl.runtime.report_html import highlight

ROOT = Path(__file__).resolve().parents[2]
LEXICON = ROOT / "compiler" / "syntax" / "lexicon.py"
MIN_WORDS = 5  # a collection of this many keywords, and only keywords, is a copy of the lexicon
# Lists that are not the vocabulary though every item is spelt like a keyword, and why.
NOT_VOCABULARY = {
    # the kinds of declaration whose names prefix columns segl names itself: the resolver's
    # kinds of name are strings that read like their declarations' keywords (an enum of
    # declaration kinds would end this)
    ("compiler/semantic/resolve.py", ("entity", "events", "lookup", "segmentation", "kpi")),
}


ALTERNATIVES = re.compile(r"[A-Za-z_]+(?:\|[A-Za-z_]+){" + str(MIN_WORDS - 1) + ",}")


def keyword_lists(tree: ast.AST) -> list[tuple[int, list[str]]]:
    """Line and words of every tuple, list or set literal (or dict's keys) of MIN_WORDS or
    more strings that are all words of the language."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        words = [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
        if len(words) == len(items) >= MIN_WORDS and all(w in lexicon.KEYWORDS for w in words):
            found.append((node.lineno, words))
    for node in ast.walk(tree):  # a pattern's alternatives: `r"(?:param|entity|events|…)"`
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for group in ALTERNATIVES.findall(node.value):
                parts = group.split("|")
                if all(p in lexicon.KEYWORDS for p in parts):
                    found.append((node.lineno, parts))
    return found


def modules() -> list[Path]:
    return sorted(p for folder in ("compiler", "runtime", "grammar")
                  for p in (ROOT / folder).rglob("*.py") if p != LEXICON)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_the_lexicon_lists_keywords(path):
    tree = ast.parse(path.read_text("utf-8"), str(path))
    where = str(path.relative_to(ROOT))
    found = [(line, words) for line, words in keyword_lists(tree)
             if (where, tuple(words)) not in NOT_VOCABULARY]
    assert found == [], f"{path}: use segl.compiler.syntax.lexicon instead"


def test_every_exception_is_still_there():
    for where, words in NOT_VOCABULARY:
        tree = ast.parse((ROOT / where).read_text("utf-8"))
        assert (where, words) in {(where, tuple(w)) for _, w in keyword_lists(tree)}


def test_the_scan_finds_a_copy():
    """The scan itself can fail: each shape of copy this project had is caught."""
    for text in ('TOP = ("import", "param", "entity", "events", "lookup")',
                 'KEYWORDS = frozenset({"and", "or", "not", "in", "like", "top"})',
                 'PATTERN = r"^(?:param|entity|events|lookup|feature)\\s"',
                 'LEVEL = {"and": 1, "or": 2, "not": 3, "in": 4, "like": 5}'):
        assert keyword_lists(ast.parse(text)), text
    for text in ('KINDS = ("source", "param", "feature", "segment", "segmentation")',
                 'FEW = ("and", "or", "not", "in")'):
        assert not keyword_lists(ast.parse(text)), text


# ---------------------------------------------------------------- the users read the lexicon


def test_the_parser_cuts_at_the_lexicons_declarations():
    assert parser.TOP_LEVEL == lexicon.DECLARATION_KEYWORDS
    assert set(lexicon.NAMED_DECLARATION_KEYWORDS) < set(lexicon.DECLARATION_KEYWORDS)
    assert {"import", "test"}.isdisjoint(lexicon.NAMED_DECLARATION_KEYWORDS)


@pytest.mark.parametrize("word", sorted(lexicon.KEYWORDS))
def test_fmt_backquotes_every_keyword_used_as_a_name(word):
    assert name(word) == lexicon.spell_name(word) == f"`{word}`"
    source = f'entity c from parquet "c.parquet" key id {{\n  id int\n}}\n\nfeature `{word}` = 1\n'
    assert format_source(source) == source


def test_fmt_keeps_a_name_called_distinct_apart_from_the_keyword():
    """`max(distinct)` would read `distinct` as the keyword: the lexicon backquotes it (the
    formatter's own list of words missed `distinct` and `last`, and stopped on this file)."""
    source = ('entity c from parquet "c.parquet" key id {\n  id int\n  `distinct` int\n}\n\n'
              "feature d = max(c.`distinct`)\nfeature `distinct` = 1\n"
              "feature e = max(`distinct`)\n")
    assert format_source(source) == source


@pytest.mark.parametrize("text", ['segment a = x = "# not a comment" # one',
                                  "segment a = `#b` # one", "segment a = x # one"])
def test_a_hash_in_a_string_or_name_is_no_comment(text):
    assert comments(text) == [(text.index("# one"), "# one")]
    assert '<span class="c"># one</span>' in highlight(text)
    assert highlight(text).count('class="c"') == 1


def test_a_silencing_comment_inside_a_string_silences_nothing():
    text = ('segment a = x = "# segl: ignore[L302]"\n'
            "segment b = y  # segl: ignore[L201]\n")
    found = directives(SourceFile("t.seg", text))
    assert [(d.target_line, d.codes) for d in found] == [(2, ("L201",))]


def test_the_report_highlights_the_lexicons_words():
    assert REPORT_KEYWORDS <= lexicon.KEYWORDS
    assert {"tiers", "distinct", "segment", "days"} <= REPORT_KEYWORDS
    marked = highlight("feature f = count(distinct o.sku) + `segment` + 30%")
    assert '<span class="k">distinct</span>' in marked
    assert '<span class="n">30%</span>' in marked
    assert '<span class="k">segment</span>' not in marked  # a backquoted name
