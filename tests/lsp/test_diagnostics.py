"""Diagnostics as you type: what `segl check` prints, for the editor's unsaved text, across
imports, with data problems placed at their source."""

import re
import subprocess
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import (
    SEGL,
    close_document,
    diagnostics,
    open_document,
    position_of,
    replace_text,
    write_project,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

BROKEN_MAIN = """# The project's segments.
import "features.seg"

segment loyal = orders_1yr >= min_orders
segment delft = ctiy = "Delft"
segment cheap = spend > "10"
segment typo = orders_1y >> 2
segment fine = delft and loyal
"""

CLI_LINE = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):(?P<column>\d+): "
                      r"(?P<severity>error|warning)\[(?P<code>\w+)\]: (?P<message>.*)$")


def segl_check(folder: Path) -> list[tuple]:
    """(file, line, column, code, message, hints) of each problem `segl check` prints."""
    result = subprocess.run([str(SEGL), "check"], cwd=folder, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, result.stderr
    found: list[list] = []
    for line in result.stderr.splitlines():
        match = CLI_LINE.match(line)
        if match:
            found.append([Path(match["path"]).name, int(match["line"]), int(match["column"]),
                          match["code"], match["message"], []])
        elif line.startswith("  = hint: "):
            found[-1][5].append(line.removeprefix("  = hint: "))
    return sorted((*f[:5], tuple(f[5])) for f in found)


def as_cli(name: str, diagnostic: types.Diagnostic) -> tuple:
    message, *hints = diagnostic.message.split("\n")
    return (name, diagnostic.range.start.line + 1, diagnostic.range.start.character + 1,
            diagnostic.code, message, tuple(h.removeprefix("hint: ") for h in hints))


async def test_unsaved_text_gets_the_same_diagnostics_as_segl_check(client, shop, tmp_path):
    copy = write_project(tmp_path)
    (copy / "main.seg").write_text(BROKEN_MAIN, encoding="utf-8")
    expected = segl_check(copy)
    assert {e[3] for e in expected} == {"E001", "E101", "E201"}
    assert any("ctiy" in e[4] and e[5] == ("did you mean `city`?",) for e in expected)

    main = shop / "main.seg"
    uri = open_document(client, main, BROKEN_MAIN)  # not saved: the file on disk is fine
    found = await diagnostics(client, uri, until=lambda d: len(d) == len(expected))
    assert sorted(as_cli("main.seg", d) for d in found) == expected
    assert all(d.source == "segl" for d in found)
    severities = {d.code: d.severity for d in found}
    assert severities["E001"] == types.DiagnosticSeverity.Error
    # the whole name is underlined, as the CLI's carets do
    unknown = next(d for d in found if "orders_1yr" in d.message)
    assert unknown.range.end.character - unknown.range.start.character == len("orders_1yr")

    replace_text(client, uri, main.read_text(encoding="utf-8"), 2)
    assert await diagnostics(client, uri, until=lambda d: not d) == []
    close_document(client, uri)


async def test_an_unsaved_change_to_an_imported_file_is_checked_through_the_entry(client, shop):
    features = shop / "features.seg"
    text = features.read_text(encoding="utf-8")
    uri = open_document(client, features)
    main_uri = (shop / "main.seg").as_uri()
    assert await diagnostics(client, main_uri) == []

    replace_text(client, uri, text.replace("feature orders_1y", "feature paid_orders_1y"), 2)
    found = await diagnostics(client, main_uri, until=lambda d: len(d) > 0)
    (unknown,) = found
    assert unknown.code == "E101" and unknown.message.startswith("unknown name `orders_1y`")
    assert unknown.range.start == position_of((shop / "main.seg").read_text(), "orders_1y")
    assert features.read_text(encoding="utf-8") == text  # nothing was written

    # a syntax error in the import is shown in the import; its name is not reported again
    unclosed = text.replace('"paid") in last', '"paid" in last')
    replace_text(client, uri, unclosed, 3)
    broken = await diagnostics(client, uri, until=lambda d: len(d) > 0)
    assert [d.code for d in broken] == ["E001"]
    assert broken[0].range.start.line == unclosed[:unclosed.index('"paid" in')].count("\n")
    assert await diagnostics(client, main_uri, until=lambda d: not d) == []

    replace_text(client, uri, text, 4)
    assert await diagnostics(client, uri, until=lambda d: not d) == []
    close_document(client, uri)


async def test_a_source_that_cannot_be_read_is_a_data_problem_at_its_declaration(client, shop):
    lonely = shop / "lonely.seg"
    text = ('entity person from parquet "data/people.parquet" key id\n'
            "segment adults = age >= 18\n")
    lonely.write_text(text, encoding="utf-8")
    uri = open_document(client, lonely)
    (problem,) = await diagnostics(client, uri, until=lambda d: len(d) > 0)
    assert problem.code == "data" and problem.severity == types.DiagnosticSeverity.Error
    assert "no file `data/people.parquet`" in problem.message
    assert problem.range.start == position_of(text, "parquet")
    close_document(client, uri)
    lonely.unlink()


LATIN_1_MAIN = "# Caf\u00e9 segments, saved as Latin-1.\nimport \"features.seg\"\n" \
               "segment delft = city = \"Delft\"\n"


def _changed_on_disk(client, path: Path) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([
        types.FileEvent(path.as_uri(), types.FileChangeType.Changed)]))


async def test_an_entry_file_that_is_not_utf8_gets_e004_at_its_first_bad_byte(
        client, shop, tmp_path):
    copy = write_project(tmp_path)
    (copy / "main.seg").write_bytes(LATIN_1_MAIN.encode("latin-1"))
    expected = segl_check(copy)
    assert [e[:4] for e in expected] == [("main.seg", 1, 6, "E004")]

    main = shop / "main.seg"
    original = main.read_bytes()
    main.write_bytes(LATIN_1_MAIN.encode("latin-1"))
    try:
        features = open_document(client, shop / "features.seg")  # main.seg stays closed
        found = await diagnostics(client, main.as_uri(), until=lambda d: len(d) > 0)
        assert [as_cli("main.seg", d) for d in found] == expected
        assert found[0].severity == types.DiagnosticSeverity.Error
        # open as the editor decoded it: the text is fine, the file as saved is not
        uri = open_document(client, main, LATIN_1_MAIN)
        replace_text(client, features, (shop / "features.seg").read_text(encoding="utf-8"), 2)
        found = await diagnostics(client, uri, until=lambda d: len(d) > 0)
        assert [as_cli("main.seg", d) for d in found] == expected
        main.write_text(LATIN_1_MAIN, encoding="utf-8")  # "save with encoding UTF-8"
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            types.TextDocumentIdentifier(uri)))
        assert await diagnostics(client, uri, until=lambda d: not d) == []
        close_document(client, uri)
        close_document(client, features)
    finally:
        main.write_bytes(original)
        _changed_on_disk(client, main)


HOSTILE_TEXTS = [
    "",
    "\x00\x01\x02 segment",
    "segment `",
    'segment x = "unterminated',
    "((((((((",
    "segment 🎯 = 1",
    'entity c from parquet "x.parquet" key id\nsegment s = ' + "(" * 200 + "1" + ")" * 200,
    "segment s = a.b.c.d(e)(f) in last 0 days where",
    "feature f = count(orders where status = ) in last -1 days\n" * 50,
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
async def test_bad_input_gets_diagnostics_and_every_request_an_answer(client, shop, text):
    path = shop / "hostile.seg"
    path.write_text("", encoding="utf-8")
    uri = open_document(client, path, text)
    await diagnostics(client, uri)  # published: the server did not fall over
    document = types.TextDocumentIdentifier(uri)
    end = types.Position(text.count("\n"), 0)
    await client.text_document_hover_async(types.HoverParams(document, end))
    await client.text_document_completion_async(types.CompletionParams(document, end))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(document))
    await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(document))
    await client.text_document_definition_async(types.DefinitionParams(document, end))
    await client.text_document_formatting_async(types.DocumentFormattingParams(
        document, types.FormattingOptions(2, True)))
    close_document(client, uri)
    path.unlink()
