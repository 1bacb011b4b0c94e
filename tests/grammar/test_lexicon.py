"""The lexicon (compiler/syntax/lexicon.py) holds exactly the grammar's words and symbols.

The grammar's vocabulary is read from Lark itself: the terminals it builds from
grammar/seg.lark, each terminal's pattern expanded into the strings it matches. A keyword
added to the grammar without the lexicon (or left in the lexicon after leaving the grammar)
fails here.
"""

import re
import string
from re import _constants as sre_constants
from re import _parser as sre_parse

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark import Lark
from segl.compiler.syntax import lexicon
from segl.compiler.syntax.lexicon import LexemeKind
from segl.compiler.syntax.parser import TOP_LEVEL
from segl.grammar import grammar_text

# Terminals that are not vocabulary: names, literals, layout. A new terminal must be put here
# or be covered by the lexicon.
NOT_VOCABULARY = {"WS", "NAME", "QUOTED_NAME", "STRING", "TIMESTAMP", "DATE", "NUMBER", "INT",
                  "COMMENT"}


def expansions(pattern) -> set[str]:
    """Every string a finite regular expression matches (a class of blanks counts as one
    space: `in[ \\t]+last` gives "in last")."""

    def walk(items) -> set[str]:
        results = {""}
        for op, arg in items:
            if op is sre_constants.LITERAL:
                options = {chr(arg)}
            elif op is sre_constants.SUBPATTERN:
                options = walk(arg[-1])
            elif op is sre_constants.BRANCH:
                options = set().union(*(walk(branch) for branch in arg[1]))
            elif op is sre_constants.IN and all(o is sre_constants.LITERAL for o, _ in arg):
                options = {chr(value) for _, value in arg}  # `(\+|-)` becomes a class
            elif op is sre_constants.IN:
                options = {" "}
            elif op is sre_constants.MAX_REPEAT:
                low, high, body = arg
                inner = walk(body)
                options = ({""} if low == 0 else set()) | inner
                assert high in (1, sre_constants.MAXREPEAT)
            elif op is sre_constants.AT:
                options = {""}
            else:
                raise AssertionError(f"cannot expand {op} in {pattern}")
            results = {r + o for r in results for o in options}
        return results

    return walk(sre_parse.parse(pattern))


def grammar_vocabulary(grammar: str | None = None) -> tuple[set[str], set[str]]:
    words, symbols = set(), set()
    for terminal in Lark(grammar or grammar_text(), parser="lalr").terminals:
        if terminal.name in NOT_VOCABULARY:
            continue
        matched = ({terminal.pattern.value} if terminal.pattern.type == "str"
                   else expansions(terminal.pattern.value))
        for text in matched:
            for part in text.split():
                (words if re.fullmatch(r"[a-z_]+", part) else symbols).add(part)
    return words, symbols


def test_every_word_of_the_grammar_is_in_the_lexicon_and_no_other():
    words, _ = grammar_vocabulary()
    assert words, "no words read from the grammar"
    assert set(lexicon.KEYWORDS) == words


def test_every_symbol_of_the_grammar_is_in_the_lexicon_and_no_other():
    _, symbols = grammar_vocabulary()
    assert {s.text for s in lexicon.SYMBOLS} == symbols


def test_declaration_keywords_are_the_parsers_top_level_words():
    assert set(lexicon.DECLARATION_KEYWORDS) == set(TOP_LEVEL)


def test_each_word_is_listed_once_with_a_summary():
    texts = [w.text for w in lexicon.WORDS]
    assert len(texts) == len(set(texts))
    assert all(w.summary for w in lexicon.WORDS)
    assert lexicon.word("segment").kind is lexicon.WordKind.DECLARATION
    assert lexicon.word("timestamp").kind is lexicon.WordKind.TYPE
    assert lexicon.word("loyal") is None


def test_a_grammar_with_a_new_keyword_is_caught():
    # the check above must be able to fail: a grammar with one more keyword reads differently
    extended = grammar_text().replace('"persona" name', '"persona" name ["archetype"]')
    words, _ = grammar_vocabulary(extended)
    assert words - lexicon.KEYWORDS == {"archetype"}


@pytest.mark.parametrize(("name", "spelled"), [
    ("loyal", "loyal"), ("top_spenders", "top_spenders"), ("top", "`top`"),
    ("order date", "`order date`"), ("days", "`days`"), ("2fast", "`2fast`"),
])
def test_names_are_spelled_with_backquotes_only_when_needed(name, spelled):
    assert lexicon.spell_name(name) == spelled


@pytest.mark.parametrize("name", ["", " x", "x ", "a`b", "a\nb", "a\rb"])
def test_names_the_language_cannot_spell_are_invalid(name):
    assert not lexicon.is_valid_name(name)


def test_scan_classifies_each_lexeme():
    text = ('segment `top` "Top" = x >= 2.5 and d < 2026-06-30 # done\n'
            "  t = 2026-06-30T10:00 & 'q'")
    kinds = [(lx.kind, lx.text) for lx in lexicon.scan(text)]
    assert kinds[:6] == [(LexemeKind.WORD, "segment"), (LexemeKind.QUOTED_NAME, "`top`"),
                         (LexemeKind.STRING, '"Top"'), (LexemeKind.SYMBOL, "="),
                         (LexemeKind.WORD, "x"), (LexemeKind.SYMBOL, ">=")]
    assert (LexemeKind.NUMBER, "2.5") in kinds
    assert (LexemeKind.DATE, "2026-06-30") in kinds
    assert (LexemeKind.COMMENT, "# done") in kinds
    assert (LexemeKind.TIMESTAMP, "2026-06-30T10:00") in kinds
    assert (LexemeKind.OTHER, "&") in kinds and (LexemeKind.OTHER, "'") in kinds


@given(st.text(alphabet=string.printable + "éü🎯`\"#", max_size=200))
def test_scan_covers_every_non_blank_character_in_order(text):
    covered = []
    position = 0
    for lexeme in lexicon.scan(text):
        assert lexeme.start >= position and lexeme.end > lexeme.start
        assert text[position:lexeme.start].strip() == ""
        assert text[lexeme.start:lexeme.end] == lexeme.text
        covered.append(lexeme.text)
        position = lexeme.end
    assert text[position:].strip() == ""
