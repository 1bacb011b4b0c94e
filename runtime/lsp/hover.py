"""Hover text: what a name is (kind, type, label, description), its definition in the
canonical format, and, for a segment or bucket of a project with data, its size."""

from __future__ import annotations

from segl.compiler.api import (
    CompileError,
    Space,
    Symbol,
    SymbolKind,
    builtin_functions,
    format_source,
    lexicon,
)

from .sizes import Sizes


def describe(symbol: Symbol, sizes: Sizes | None, sizes_pending: bool = False,
             parent: Symbol | None = None) -> str:
    """Markdown for a symbol; a bucket or score is shown with its segmentation (`parent`),
    where the order of the buckets decides who lands in which."""
    key = symbol.key
    head = f"**{symbol.kind.value}** `{key.qualified}`"
    if symbol.type:
        head += f" · {symbol.type}"
    parts = [head]
    if symbol.label:
        parts.append(f"“{symbol.label}”")
    if symbol.description:
        parts.append(symbol.description)
    definition = definition_text(parent if parent is not None else symbol)
    if definition:
        parts.append(f"```segl\n{definition}\n```")
    size = size_line(symbol, sizes, sizes_pending)
    if size:
        parts.append(size)
    return "\n\n".join(parts)


def describe_function(name: str) -> str:
    summary = builtin_functions().get(name, "")
    return f"**function** `{name}`\n\n{summary}"


def describe_word(text: str) -> str | None:
    word = lexicon.word(text)
    if word is None:
        return None
    return f"**{word.kind.value}** `{word.text}`\n\n{word.summary}"


def definition_text(symbol: Symbol) -> str | None:
    """The declaration as `segl fmt` prints it; a column as its line of the column block."""
    node = symbol.node
    if symbol.kind is SymbolKind.COLUMN:
        if node is None or not hasattr(node, "type_name"):
            return None
        return " ".join([lexicon.spell_name(symbol.name), node.type_name, *node.tags])
    if node is None or symbol.kind in (SymbolKind.BUCKET, SymbolKind.SCORE):
        return None
    text = node.span.text
    try:
        return format_source(text, node.span.path).rstrip("\n")
    except (CompileError, AssertionError):
        return text


def size_line(symbol: Symbol, sizes: Sizes | None, pending: bool) -> str | None:
    if symbol.kind not in (SymbolKind.SEGMENT, SymbolKind.BUCKET):
        return None
    if pending:
        return "_size: computing… (hover again)_"
    if sizes is None:
        return None
    if sizes.problem:
        return f"_size unknown: {sizes.problem}_"
    if symbol.key.space is Space.BUCKET:
        members = sizes.buckets.get(symbol.key.scope or "", {}).get(symbol.name)
    else:
        members = sizes.segments.get(symbol.name)
    if members is None:
        return None
    share = f" ({members / sizes.entities:.1%} of {sizes.entities:,} {sizes.entity} entities)" \
        if sizes.entities else ""
    return f"**{members:,}** members{share} at as_of {sizes.as_of.isoformat()}"
