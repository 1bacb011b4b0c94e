"""The grammar is LALR(1) without conflicts, and every example parses."""

import logging

import pytest
from lark import Lark, logger
from segl.compiler.source import SourceFile
from segl.compiler.syntax.parser import parse_source
from segl.grammar import grammar_text

from tests.conftest import EXAMPLES


def test_grammar_has_no_lalr_conflicts(caplog):
    # Lark resolves shift/reduce conflicts silently (as shift) and logs them in debug mode.
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(grammar_text(), parser="lalr", debug=True)
    finally:
        logger.setLevel(logging.WARNING)
    conflicts = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage().lower()]
    assert conflicts == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_parses(path):
    result = parse_source(SourceFile.read(path))
    assert result.diagnostics == []
    assert result.module.declarations


def test_in_last_is_one_token_so_in_lists_still_work():
    source = SourceFile("t.seg", 'segment a = count(o) in last 3 days > 1 and c in ("x", "y")')
    result = parse_source(source)
    assert result.diagnostics == []


@pytest.mark.parametrize("name", ["top_spenders", "bottom_line", "distinct_items", "date_of_birth",
                                  "int_rate", "pii_flag", "sensitive_topic", "tables", "csv_rows",
                                  "days_active", "textual"])
def test_names_may_start_with_a_keyword(name):
    source = SourceFile("t.seg", f"""
entity c from parquet "c.parquet" key id {{
  {name} int
  {name}2 int pii
}}
feature f_{name} = {name} + 1
segment {name} = {name}2 > 1 and top 10 by {name}2
segment s_{name} = f_{name} > 1
""")
    result = parse_source(source)
    assert result.diagnostics == []
