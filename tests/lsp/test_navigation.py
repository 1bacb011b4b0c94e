"""Go to definition, find references, hover (with sizes from the data) and the outline,
across the files of a project, through a real client."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import (
    AS_OF,
    CUSTOMERS,
    ORDERS,
    close_document,
    open_document,
    position_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[:text.index(needle)].count("\n")


async def test_definition_of_a_feature_is_in_the_imported_file(client, shop):
    main = shop / "main.seg"
    uri = open_document(client, main)
    (location,) = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(main.read_text(), "orders_1y", delta=3)))
    assert location.uri == (shop / "features.seg").as_uri()
    start = location.range.start
    assert start.line == line_of(shop / "features.seg", "orders_1y")
    assert (location.range.end.character - start.character) == len("orders_1y")

    # a column declared in sources.seg, used in features.seg
    features = shop / "features.seg"
    (location,) = await client.text_document_definition_async(types.DefinitionParams(
        doc(features.as_uri()), position_of(features.read_text(), "status")))
    assert location.uri == (shop / "sources.seg").as_uri()
    assert location.range.start.line == line_of(shop / "sources.seg", "status text")
    close_document(client, uri)


async def test_a_column_known_only_from_the_data_leads_to_its_table(client, shop):
    main = shop / "main.seg"
    uri = open_document(client, main)
    (location,) = await client.text_document_definition_async(types.DefinitionParams(
        doc(uri), position_of(main.read_text(), "city")))
    assert location.uri == (shop / "sources.seg").as_uri()
    assert location.range.start == position_of((shop / "sources.seg").read_text(), "customer")
    close_document(client, uri)


async def test_references_are_found_in_every_file(client, shop):
    features = shop / "features.seg"
    uri = open_document(client, features)
    found = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=True), text_document=doc(uri),
        position=position_of(features.read_text(), "min_orders")))
    places = sorted((Path(loc.uri).name, loc.range.start.line) for loc in found)
    assert places == [("features.seg", line_of(features, "min_orders")),
                      ("main.seg", line_of(shop / "main.seg", "orders_1y>=min_orders"))]
    without = await client.text_document_references_async(types.ReferenceParams(
        context=types.ReferenceContext(include_declaration=False), text_document=doc(uri),
        position=position_of(features.read_text(), "min_orders")))
    assert len(without) == 1
    close_document(client, uri)


def loyal_members() -> int:
    """Customers with at least 2 paid orders in (as_of - 365 days, as_of], in plain Python."""
    as_of = date.fromisoformat(AS_OF)
    counts: dict[int, int] = {}
    for customer, ordered_at, _, status in ORDERS:
        day = datetime.fromisoformat(ordered_at).date()
        if status == "paid" and as_of - timedelta(days=365) < day <= as_of:
            counts[customer] = counts.get(customer, 0) + 1
    return sum(1 for n in counts.values() if n >= 2)


async def test_hover_shows_kind_label_description_canonical_definition_and_size(client, shop):
    main = shop / "main.seg"
    uri = open_document(client, main)
    hover = await client.text_document_hover_async(types.HoverParams(
        doc(uri), position_of(main.read_text(), "loyal", delta=1)))
    text = hover.contents.value
    assert text.startswith("**segment** `loyal` · bool")
    assert "“Loyal customers”" in text
    assert "Paid at least min_orders orders in the last year" in text
    # written `segment  loyal   "…" {` and `orders_1y>=min_orders`: shown as segl fmt prints it
    assert 'segment loyal "Loyal customers" {' in text
    assert "  where orders_1y >= min_orders\n" in text
    members = loyal_members()
    assert members == 2
    assert f"**{members:,}** members ({members / len(CUSTOMERS):.1%} of {len(CUSTOMERS)} " \
           f"customer entities) at as_of {AS_OF}" in text

    hover = await client.text_document_hover_async(types.HoverParams(
        doc(uri), position_of(main.read_text(), "big")))
    assert hover.contents.value.startswith("**bucket** `life.big` · bool")
    assert "score s by spend higher is better into 2 ntile" in hover.contents.value
    assert "members" in hover.contents.value
    close_document(client, uri)


async def test_hover_on_features_columns_functions_and_keywords(client, shop):
    features = shop / "features.seg"
    text = features.read_text()
    uri = open_document(client, features)

    async def hover_at(needle, nth=0):
        found = await client.text_document_hover_async(types.HoverParams(
            doc(uri), position_of(text, needle, nth)))
        return found.contents.value

    feature = await hover_at("orders_1y")
    assert feature.startswith("**feature** `orders_1y` · int")
    assert "“Paid orders, last 365 days”" in feature
    assert "members" not in feature
    assert (await hover_at("amount")).startswith("**column** `orders.amount` · decimal")
    assert "amount decimal" in await hover_at("amount")
    assert (await hover_at("count")).startswith("**function** `count`")
    assert (await hover_at("last")).startswith("**clause** `last`")
    assert (await hover_at("min_orders")).startswith("**param** `min_orders` · int")
    close_document(client, uri)


async def test_outline_lists_each_declaration_with_its_members(client, shop):
    main = shop / "main.seg"
    uri = open_document(client, main)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(uri)))
    assert [(s.name, s.kind) for s in symbols] == [
        ("loyal", types.SymbolKind.Class), ("delft", types.SymbolKind.Class),
        ("loyal_delft", types.SymbolKind.Class), ("life", types.SymbolKind.Enum)]
    life = symbols[-1]
    assert [c.name for c in life.children] == ["s", "big", "others"]
    assert life.range.start.line == line_of(main, "segmentation life")
    assert symbols[0].detail == "Loyal customers"
    close_document(client, uri)
