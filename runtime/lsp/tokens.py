"""Semantic tokens: every lexeme of a file, classified. A name is classified by what it is
bound to in the index (so a column called `date` is a column, not a type); any other word
by the lexicon."""

from __future__ import annotations

from lsprotocol import types
from segl.compiler.api import (
    Occurrence,
    Space,
    SymbolIndex,
    SymbolKind,
    is_library_file,
    lexicon,
)

from .positions import Positions

TOKEN_TYPES = ["keyword", "type", "modifier", "string", "number", "comment", "operator",
               "function", "variable", "property", "parameter", "class", "enum", "enumMember",
               "struct", "interface", "method"]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary", "readonly"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)

SYMBOL_TYPES = {
    SymbolKind.ENTITY: "struct", SymbolKind.EVENTS: "struct", SymbolKind.LOOKUP: "struct",
    SymbolKind.PARAM: "parameter", SymbolKind.FEATURE: "variable", SymbolKind.SEGMENT: "class",
    SymbolKind.SEGMENTATION: "enum", SymbolKind.BUCKET: "enumMember",
    SymbolKind.SCORE: "variable", SymbolKind.KPI: "variable", SymbolKind.PERSONA: "interface",
    SymbolKind.TEST: "method", SymbolKind.COLUMN: "property", SymbolKind.FUNCTION: "function",
    SymbolKind.EXPERIMENT: "enum", SymbolKind.EXPORT: "method",
}
WORD_TYPES = {lexicon.WordKind.TYPE: "type", lexicon.WordKind.TAG: "modifier"}
LEXEME_TYPES = {
    lexicon.LexemeKind.STRING: "string", lexicon.LexemeKind.COMMENT: "comment",
    lexicon.LexemeKind.NUMBER: "number", lexicon.LexemeKind.DATE: "number",
    lexicon.LexemeKind.TIMESTAMP: "number",
}
OPERATORS = frozenset(("=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"))


def semantic_tokens(text: str, occurrences: list[Occurrence], index: SymbolIndex | None,
                    encoding: str) -> list[int]:
    """The LSP's relative encoding: five integers per token."""
    bound = {o.span.start: o for o in occurrences}
    positions = Positions(text, encoding)
    data: list[int] = []
    previous_line = previous_start = 0
    for lexeme in lexicon.scan(text):
        classified = _classify(lexeme, bound, index)
        if classified is None:
            continue
        token_type, modifiers = classified
        start = positions.position(lexeme.start)
        length = positions.position(lexeme.end).character - start.character
        delta_line = start.line - previous_line
        delta_start = start.character - (previous_start if delta_line == 0 else 0)
        data += [delta_line, delta_start, length, TOKEN_TYPES.index(token_type), modifiers]
        previous_line, previous_start = start.line, start.character
    return data


def _classify(lexeme: lexicon.Lexeme, bound: dict[int, Occurrence],
              index: SymbolIndex | None) -> tuple[str, int] | None:
    occurrence = bound.get(lexeme.start)
    if occurrence is not None:
        symbol = index.symbol(occurrence.key) if index else None
        kind = symbol.kind if symbol else (
            SymbolKind.FUNCTION if occurrence.key.space is Space.FUNCTION else None)
        if kind is None:
            return None
        modifiers = 0
        if occurrence.is_definition:
            modifiers |= 1 << TOKEN_MODIFIERS.index("declaration")
        if kind is SymbolKind.FUNCTION or (symbol and symbol.name_span is not None
                                           and is_library_file(symbol.name_span.path)):
            modifiers |= 1 << TOKEN_MODIFIERS.index("defaultLibrary")
        if kind is SymbolKind.PARAM:
            modifiers |= 1 << TOKEN_MODIFIERS.index("readonly")
        return SYMBOL_TYPES[kind], modifiers
    if lexeme.kind is lexicon.LexemeKind.WORD:
        word = lexicon.word(lexeme.text)
        return (WORD_TYPES.get(word.kind, "keyword"), 0) if word else None
    if lexeme.kind is lexicon.LexemeKind.SYMBOL:
        return ("operator", 0) if lexeme.text in OPERATORS else None
    token_type = LEXEME_TYPES.get(lexeme.kind)
    return (token_type, 0) if token_type else None
