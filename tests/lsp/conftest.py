"""A language server started with `segl lsp` and driven over stdio by pytest-lsp's client
(the VS Code client's capabilities), on a small project with data and a segl.toml.

One server per test module keeps the suite fast; each test opens the documents it needs
and puts back what it changes."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SEGL = Path(sys.executable).with_name("segl")

AS_OF = "2026-06-30"
CUSTOMERS = [  # customer_id, city, age
    (1, "Delft", 34), (2, "Utrecht", 51), (3, "Delft", 22), (4, "Gouda", 40),
    (5, "Delft", 67), (6, "Utrecht", 29),
]
ORDERS = [  # customer_id, ordered_at, amount, status
    (1, "2026-06-01T10:00", 20.0, "paid"), (1, "2026-03-01T10:00", 35.5, "paid"),
    (1, "2025-02-01T10:00", 10.0, "paid"), (2, "2026-05-05T09:00", 99.0, "paid"),
    (2, "2026-05-06T09:00", 12.0, "returned"), (3, "2026-06-20T12:00", 5.0, "paid"),
    (3, "2026-06-21T12:00", 7.0, "paid"), (3, "2026-06-22T12:00", 9.0, "paid"),
    (5, "2024-01-01T08:00", 50.0, "paid"), (6, "2026-07-15T08:00", 80.0, "paid"),
]

FILES = {
    "segl.toml": f"""
        [segl]
        entry = ["main.seg"]
        as_of = "{AS_OF}"
        """,
    "sources.seg": """
        entity customer from parquet "data/customers.parquet" key customer_id
        events orders from parquet "data/orders.parquet" key customer_id at ordered_at {
          ordered_at timestamp
          amount decimal
          status text
        }
        """,
    "features.seg": """
        import "sources.seg"

        param min_orders = 2
        feature orders_1y "Paid orders, last 365 days" =
          count(orders where status = "paid") in last 365 days
        feature spend = sum(orders.amount where status = "paid")
        """,
    "main.seg": """
        # The project's segments.
        import "features.seg"

        segment  loyal   "Loyal customers" {
          description "Paid at least min_orders orders in the last year"
          owner "crm"
          where orders_1y>=min_orders
        }
        segment delft = city = "Delft"
        segment loyal_delft = loyal and delft
        segmentation life {
          score s by spend higher is better into 2 ntile
          big "Big spenders" when s = 2
          else others
        }
        """,
}


def write_project(root: Path) -> Path:
    (root / "data").mkdir()
    pl.DataFrame(CUSTOMERS, schema=["customer_id", "city", "age"], orient="row").write_parquet(
        root / "data/customers.parquet")
    pl.DataFrame(
        [(c, datetime.fromisoformat(t), a, s) for c, t, a, s in ORDERS],
        schema=["customer_id", "ordered_at", "amount", "status"], orient="row",
    ).write_parquet(root / "data/orders.parquet")
    for name, text in FILES.items():
        (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return write_project(tmp_path_factory.mktemp("lsp"))


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=[str(SEGL), "lsp"]))
async def client(lsp_client: LanguageClient, shop: Path):
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=shop.as_uri(),
        workspace_folders=[types.WorkspaceFolder(shop.as_uri(), "shop")]))
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri, "segl", 1, path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text)]))


def close_document(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        types.TextDocumentIdentifier(uri)))


async def diagnostics(client: LanguageClient, uri: str, until=lambda found: True,
                      timeout: float = 15.0) -> list[types.Diagnostic]:
    """The diagnostics published for `uri` once `until` holds for them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = client.diagnostics.get(uri)
        if found is not None and until(found):
            return list(found)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no matching diagnostics for {uri}: {found}")
        await asyncio.sleep(0.05)


def position_of(text: str, needle: str, nth: int = 0, delta: int = 0) -> types.Position:
    """The LSP position (UTF-16) of the nth occurrence of needle, plus delta characters."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    offset += delta
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, len(text[start:offset].encode("utf-16-le")) // 2)
