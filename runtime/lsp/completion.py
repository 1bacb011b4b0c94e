"""Completion: what may be written at the cursor.

The declaration being typed rarely parses, so the context is read from the text before the
cursor (with the lexicon's scanner); the names come from the index of the last compilation:
- after `TABLE.`: the table's columns; after `SEGMENTATION.`: its buckets; after `std.`:
  the standard library;
- inside an aggregate over an events table (`count(orders where |`): that table's columns
  first;
- in a segmentation's block: its scores;
- at the start of a line: the declaration keywords first;
- elsewhere: names in scope (entity columns, features, segments, parameters, tables),
  functions and keywords.
"""

from __future__ import annotations

import re

from lsprotocol import types
from segl.compiler.api import (
    AGGREGATES,
    Space,
    Symbol,
    SymbolIndex,
    SymbolKey,
    SymbolKind,
    builtin_functions,
    lexicon,
    library_names,
)

KINDS = {
    SymbolKind.ENTITY: types.CompletionItemKind.Struct,
    SymbolKind.EVENTS: types.CompletionItemKind.Struct,
    SymbolKind.LOOKUP: types.CompletionItemKind.Struct,
    SymbolKind.PARAM: types.CompletionItemKind.Constant,
    SymbolKind.FEATURE: types.CompletionItemKind.Variable,
    SymbolKind.SEGMENT: types.CompletionItemKind.Class,
    SymbolKind.SEGMENTATION: types.CompletionItemKind.Enum,
    SymbolKind.KPI: types.CompletionItemKind.Value,
    SymbolKind.PERSONA: types.CompletionItemKind.Interface,
    SymbolKind.TEST: types.CompletionItemKind.Method,
    SymbolKind.COLUMN: types.CompletionItemKind.Field,
    SymbolKind.BUCKET: types.CompletionItemKind.EnumMember,
    SymbolKind.SCORE: types.CompletionItemKind.Variable,
    SymbolKind.EXPERIMENT: types.CompletionItemKind.Enum,
    SymbolKind.EXPORT: types.CompletionItemKind.Method,
}
# Kinds of declared names an expression can use (a KPI, persona or test name cannot).
_VALUE_KINDS = (SymbolKind.FEATURE, SymbolKind.SEGMENT, SymbolKind.PARAM, SymbolKind.EVENTS,
                SymbolKind.LOOKUP)
_NAME = r"(?:`[^`\n]+`|[A-Za-z_][A-Za-z0-9_]*)"
_DECLARATION_LINE = re.compile(r"^(?:" + "|".join(lexicon.DECLARATION_KEYWORDS) + r")\b",
                               re.MULTILINE)


def complete(text: str, offset: int, index: SymbolIndex | None) -> list[types.CompletionItem]:
    line_start = text.rfind("\n", 0, offset) + 1
    if _in_comment_or_string(text[line_start:offset]):
        return []
    typed = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", text[line_start:offset])
    word_start = offset - (len(typed.group()) if typed else 0)
    before = text[:word_start]
    qualified = re.search(r"(" + _NAME + r")\.$", before)
    if qualified:
        return _members(qualified.group(1).strip("`"), index)
    if word_start == line_start:  # a declaration starts at the beginning of a line
        return _keywords(first=lexicon.DECLARATION_KEYWORDS)
    starts = [m.start() for m in _DECLARATION_LINE.finditer(before)]
    head = before[starts[-1] if starts else 0:]
    items: list[types.CompletionItem] = []
    table = _aggregated_table(head, index)
    if table is not None and index is not None:
        items += [_item(s, "0") for s in index.columns(table)]
    segmentation = re.match(r"segmentation\s+(" + _NAME + r")", head)
    if segmentation and index is not None:
        key = SymbolKey(Space.GLOBAL, segmentation.group(1).strip("`"))
        items += [_item(s, "0") for s in index.members(key) if s.kind is SymbolKind.SCORE]
    if index is not None:
        if index.entity:
            items += [_item(s, "1") for s in index.columns(index.entity)]
        items += [_item(s, "2") for s in index.globals() if s.kind in _VALUE_KINDS]
    items += [types.CompletionItem(name, kind=types.CompletionItemKind.Function, detail=summary,
                                   sort_text=f"3{name}")
              for name, summary in builtin_functions().items()]
    return _unique(items + _keywords())


def _in_comment_or_string(line: str) -> bool:
    for lexeme in lexicon.scan(line):
        if lexeme.kind is lexicon.LexemeKind.COMMENT or lexeme.text in ('"', "`"):
            return True
    return False


def _members(qualifier: str, index: SymbolIndex | None) -> list[types.CompletionItem]:
    if qualifier == "std":
        return [types.CompletionItem(name.removeprefix("std."),
                                     kind=types.CompletionItemKind.Module,
                                     detail="segl's standard library")
                for name in library_names()]
    if index is None:
        return []
    return [_item(s, "0") for s in index.members(SymbolKey(Space.GLOBAL, qualifier))
            if s.kind in (SymbolKind.COLUMN, SymbolKind.BUCKET)]


def _aggregated_table(head: str, index: SymbolIndex | None) -> str | None:
    """The events table of the innermost open aggregate call before the cursor."""
    if index is None:
        return None
    lexemes = [lx for lx in lexicon.scan(head) if lx.kind is not lexicon.LexemeKind.COMMENT]
    open_calls: list[int] = []
    for i, lexeme in enumerate(lexemes):
        if lexeme.text == "(":
            open_calls.append(i)
        elif lexeme.text == ")" and open_calls:
            open_calls.pop()
    for opened in reversed(open_calls):
        if opened == 0 or lexemes[opened - 1].text not in AGGREGATES:
            continue
        for lexeme in lexemes[opened + 1:]:
            name = lexeme.text.strip("`")
            if name in index.events_tables:
                return name
        return None
    return None


def _item(symbol: Symbol, rank: str) -> types.CompletionItem:
    detail = symbol.kind.value
    if symbol.key.scope:
        detail += f" of {symbol.key.scope}"
    if symbol.type:
        detail += f" · {symbol.type}"
    spelled = lexicon.spell_name(symbol.name)
    return types.CompletionItem(
        symbol.name, kind=KINDS.get(symbol.kind), detail=detail,
        documentation=symbol.label, sort_text=f"{rank}{symbol.name}",
        insert_text=spelled if spelled != symbol.name else None)


def _keywords(first: tuple[str, ...] = ()) -> list[types.CompletionItem]:
    return [types.CompletionItem(word.text, kind=types.CompletionItemKind.Keyword,
                                 detail=word.summary,
                                 sort_text=("0" if word.text in first else "4") + word.text)
            for word in lexicon.WORDS]


def _unique(items: list[types.CompletionItem]) -> list[types.CompletionItem]:
    """Each name once per kind: `date` is both a type and a function, both offered."""
    seen: dict[tuple, types.CompletionItem] = {}
    for item in items:
        seen.setdefault((item.label, item.kind), item)
    return list(seen.values())
