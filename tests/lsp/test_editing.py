"""Completion, rename, formatting and semantic tokens through a real client, including names
in backquotes with characters outside the BMP (two UTF-16 units each)."""

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import close_document, open_document, position_of, replace_text

pytestmark = pytest.mark.asyncio(loop_scope="module")


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


async def completions(client, uri: str, text: str, needle: str, delta: int = 0) -> list:
    result = await client.text_document_completion_async(types.CompletionParams(
        doc(uri), position_of(text, needle, delta=delta)))
    items = result.items if isinstance(result, types.CompletionList) else result
    return sorted(items, key=lambda i: i.sort_text or i.label)


async def test_completion_offers_what_fits_where_the_cursor_is(client, shop):
    main = shop / "main.seg"
    text = (main.read_text() + "segment typing = count(orders where st) > 1 and orders.\n"
            "test t {\n  expect life.\n}\nse")
    uri = open_document(client, main, text)

    # after `orders.`: the columns of orders, declared or read from the data
    after_dot = [i.label for i in await completions(client, uri, text, "orders.\n", delta=7)]
    assert set(after_dot) == {"customer_id", "ordered_at", "amount", "status"}
    # inside an aggregate over orders: orders' columns first
    inside = await completions(client, uri, text, "where st)", delta=8)
    labels = [i.label for i in inside]
    assert labels.index("status") < labels.index("city")
    assert {"loyal", "orders_1y", "min_orders", "city", "count", "between"} <= set(labels)
    status = next(i for i in inside if i.label == "status")
    assert status.kind == types.CompletionItemKind.Field and "text" in status.detail
    # after a segmentation's name: its buckets
    buckets = [i.label for i in await completions(client, uri, text, "life.\n", delta=5)]
    assert buckets == ["big", "others"]
    # at the start of a line: declarations first
    first = await completions(client, uri, text, "\nse", delta=3)
    assert first[0].kind == types.CompletionItemKind.Keyword
    assert {i.label for i in first[:15]} == {"import", "param", "entity", "events", "lookup",
                                             "feature", "segment", "segmentation", "kpi",
                                             "persona", "test", "experiment", "holdout",
                                             "export", "suppression"}
    # nothing inside a comment
    assert await completions(client, uri, text, "project's", delta=3) == []
    close_document(client, uri)


async def test_keywords_completed_are_the_lexicons(client, shop):
    from segl.compiler.syntax.lexicon import KEYWORDS

    main = shop / "main.seg"
    uri = open_document(client, main)
    items = await completions(client, uri, main.read_text(), "orders_1y>=", delta=3)
    keywords = {i.label for i in items if i.kind == types.CompletionItemKind.Keyword}
    assert keywords == set(KEYWORDS)
    close_document(client, uri)


async def test_rename_edits_every_file_and_refuses_collisions(client, shop):
    features = shop / "features.seg"
    uri = open_document(client, features)
    where = position_of(features.read_text(), "orders_1y")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(doc(uri), where))
    assert prepared.placeholder == "orders_1y"

    edit = await client.text_document_rename_async(types.RenameParams(doc(uri), where,
                                                                      "paid_orders"))
    changed = {Path(u).name: [e.new_text for e in edits] for u, edit_list in
               [(u, e) for u, e in edit.changes.items()] for edits in [edit_list]}
    assert changed == {"features.seg": ["paid_orders"], "main.seg": ["paid_orders"]}
    main_edit = edit.changes[(shop / "main.seg").as_uri()][0]
    assert main_edit.range.start == position_of((shop / "main.seg").read_text(), "orders_1y")

    with pytest.raises(JsonRpcException, match="already the name of a segment"):
        await client.text_document_rename_async(types.RenameParams(doc(uri), where, "loyal"))
    with pytest.raises(JsonRpcException, match="not a valid name"):
        await client.text_document_rename_async(types.RenameParams(doc(uri), where, "a`b"))
    # a keyword is a valid name: it is written in backquotes
    edit = await client.text_document_rename_async(types.RenameParams(doc(uri), where, "top"))
    assert {e.new_text for edits in edit.changes.values() for e in edits} == {"`top`"}
    # a column's name is the data's
    with pytest.raises(JsonRpcException, match="its name is the data's"):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(
            doc(uri), position_of(features.read_text(), "status")))
    close_document(client, uri)


HOSTILE = """entity customer from parquet "data/customers.parquet" key customer_id
feature `🎯 goal` "Spend; DROP TABLE customer" = 1
segment `weird 🎯` = `🎯 goal` > 0 and city = "🎯"
"""


async def test_names_with_emoji_have_utf16_positions_and_rename_in_backquotes(client, shop):
    path = shop / "hostile.seg"
    path.write_text(HOSTILE, encoding="utf-8")
    uri = open_document(client, path)
    use = position_of(HOSTILE, "`🎯 goal` >")
    (location,) = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), types.Position(use.line, use.character + 3)))
    definition = position_of(HOSTILE, "`🎯 goal`")
    assert location.range.start == definition
    # `🎯 goal` is 8 code points and 9 UTF-16 units: 🎯 is a surrogate pair
    assert location.range.end.character - definition.character == 9

    edit = await client.text_document_rename_async(types.RenameParams(
        doc(uri), use, "goal 🎯🎯"))
    edits = edit.changes[uri]
    assert [e.new_text for e in edits] == ["`goal 🎯🎯`", "`goal 🎯🎯`"]
    assert edits[1].range.start == use and edits[1].range.end.character == use.character + 9
    close_document(client, uri)
    path.unlink()


async def test_formatting_returns_the_canonical_text(client, shop):
    main = shop / "main.seg"
    text = main.read_text()
    uri = open_document(client, main)
    (edit,) = await client.text_document_formatting_async(types.DocumentFormattingParams(
        doc(uri), types.FormattingOptions(2, True)))
    assert edit.range.start == types.Position(0, 0)
    assert edit.range.end == types.Position(text.count("\n"), len(text) - text.rfind("\n") - 1)
    assert 'segment loyal "Loyal customers" {' in edit.new_text
    assert "where orders_1y >= min_orders" in edit.new_text
    assert "# The project's segments." in edit.new_text  # comments kept

    replace_text(client, uri, edit.new_text, 2)
    unchanged = await client.text_document_formatting_async(types.DocumentFormattingParams(
        doc(uri), types.FormattingOptions(2, True)))
    assert unchanged is not None and len(unchanged) == 0
    replace_text(client, uri, "segment broken = (", 3)
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        doc(uri), types.FormattingOptions(2, True))) is None
    close_document(client, uri)


def decode(data: list[int], text: str, legend: list[str]) -> list[tuple[str, str, int]]:
    """(text, token type, modifiers) of each token, positions undone (ASCII text)."""
    lines = text.split("\n")
    out, line, start = [], 0, 0
    for i in range(0, len(data), 5):
        delta_line, delta_start, length, kind, modifiers = data[i:i + 5]
        line += delta_line
        start = start + delta_start if delta_line == 0 else delta_start
        out.append((lines[line][start:start + length], legend[kind], modifiers))
    return out


async def test_semantic_tokens_classify_names_by_what_they_are(client, shop):
    features = shop / "features.seg"
    text = features.read_text()
    uri = open_document(client, features)
    tokens = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(doc(uri)))
    legend = client.initialize_result.capabilities.semantic_tokens_provider.legend
    decoded = decode(tokens.data, text, legend.token_types)
    declaration = 1 << legend.token_modifiers.index("declaration")
    kinds = {(t, kind) for t, kind, _ in decoded}
    assert {("import", "keyword"), ("feature", "keyword"), ('"sources.seg"', "string"),
            ("orders_1y", "variable"), ("min_orders", "parameter"), ("count", "function"),
            ("orders", "struct"), ("status", "property"), ("365", "number"),
            ("days", "keyword"), ("=", "operator")} <= kinds
    assert ("orders_1y", "variable", declaration) in decoded
    words = [t for t, _, _ in decoded]
    assert words.count("orders") == 2  # count(orders …), sum(orders.amount …)
    close_document(client, uri)


async def test_a_file_of_two_entries_renames_where_the_name_is_defined(client, shop):
    # a.seg and b.seg both import shared.seg; only a.seg loads the definition of `n`
    project = shop / "two"
    project.mkdir()
    files = {
        "segl.toml": '[segl]\nentry = ["a.seg", "b.seg"]\n',
        "a.seg": 'import "defs.seg"\nimport "shared.seg"\n',
        "b.seg": 'import "shared.seg"\nentity c from parquet "c.parquet" key id\n',
        "defs.seg": 'entity c from parquet "c.parquet" key id\nfeature n = 1\n',
        "shared.seg": "segment s = n > 0\n",
    }
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    uri = open_document(client, project / "shared.seg")
    edit = await client.text_document_rename_async(types.RenameParams(
        doc(uri), position_of(files["shared.seg"], "n >"), "size_n"))
    assert sorted(Path(u).name for u in edit.changes) == ["defs.seg", "shared.seg"]
    close_document(client, uri)
