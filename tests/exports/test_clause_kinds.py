"""An export block's clauses carry their kind as an enum (`ClauseKind`), like every other
kind of the AST: the parser sets one per clause, the formatter writes the clause back from it
(a round trip), and the resolver names a repeated clause by the word the user wrote."""

from __future__ import annotations

import pytest
from segl.compiler.api import SourceFile, compile_source
from segl.compiler.syntax import nodes as n
from segl.compiler.syntax.formatter import format_source
from segl.compiler.syntax.parser import parse_source

from .test_exports import HEAD

EXPORT = """export newsletter from amsterdam {
  traits (email, first_name, spend_total)
  require consent opt_in
  purpose "Monthly newsletter"
  via "email"
  mode changes
  to csv "out/newsletter.csv"
}
"""


def _export(text: str, head: str = HEAD) -> n.Export:
    parsed = parse_source(SourceFile("/tmp/x/x.seg", head + text))
    assert not parsed.diagnostics
    (export,) = [d for d in parsed.module.declarations if isinstance(d, n.Export)]
    return export


def test_every_clause_has_its_enum_kind():
    export = _export(EXPORT)
    kinds = [clause.kind for clause in export.clauses]
    assert kinds == [n.ClauseKind.TRAITS, n.ClauseKind.CONSENT, n.ClauseKind.PURPOSE,
                     n.ClauseKind.CHANNEL, n.ClauseKind.MODE, n.ClauseKind.TARGET]
    assert all(type(kind) is n.ClauseKind for kind in kinds)
    target = export.clauses[-1]
    assert (target.format, target.text) == ("csv", "out/newsletter.csv")
    assert [i.text for i in export.clauses[0].names] == ["email", "first_name", "spend_total"]


def test_the_formatter_writes_each_clause_back():
    source = HEAD + EXPORT
    formatted = format_source(source, "/tmp/x/x.seg")
    assert EXPORT.strip() in formatted
    assert format_source(formatted, "/tmp/x/x.seg") == formatted


@pytest.mark.parametrize(("clause", "word"), [
    ('  via "sms"\n', "via"),
    ("  require consent opt_in\n", "require consent"),
    ('  to csv "other.csv"\n', "to"),
    ("  mode full\n", "mode"),
    ('  purpose "Again"\n', "purpose"),
])
def test_a_repeated_clause_is_named_as_written(clause, word):
    text = EXPORT.replace("}\n", clause + "}\n")
    compilation = compile_source(SourceFile("/tmp/x/x.seg", HEAD + text))
    messages = [d.message for d in compilation.errors if d.code == "E113"]
    assert messages == [f"`{word}` is given twice in export `newsletter`"]
