"""The pygls server: each LSP request translated to a question for the workspace, the index
or the formatter, and the answer translated back. No language knowledge lives here."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from segl.compiler.api import (
    SEGL_VERSION,
    CompileError,
    Occurrence,
    RenameRefused,
    Space,
    SymbolIndex,
    SymbolKey,
    SymbolKind,
    file_key,
    format_source,
)

from . import completion, hover
from .convert import Converter, merge, uri
from .positions import Positions
from .sizes import SizeCache
from .tokens import LEGEND, semantic_tokens
from .workspace import Analysis, Workspace

DEBOUNCE_SECONDS = 0.15  # diagnostics wait for a pause in typing
HOVER_WAIT_SECONDS = 5.0  # how long a hover waits for sizes before saying "computing"
REQUEST_FAILED = -32803  # LSP: a request that failed for a reason the user should read

OUTLINE_KINDS = {
    SymbolKind.ENTITY: types.SymbolKind.Struct, SymbolKind.EVENTS: types.SymbolKind.Struct,
    SymbolKind.LOOKUP: types.SymbolKind.Struct, SymbolKind.PARAM: types.SymbolKind.Constant,
    SymbolKind.FEATURE: types.SymbolKind.Variable, SymbolKind.SEGMENT: types.SymbolKind.Class,
    SymbolKind.SEGMENTATION: types.SymbolKind.Enum,
    SymbolKind.BUCKET: types.SymbolKind.EnumMember, SymbolKind.SCORE: types.SymbolKind.Field,
    SymbolKind.KPI: types.SymbolKind.Number, SymbolKind.PERSONA: types.SymbolKind.Object,
    SymbolKind.TEST: types.SymbolKind.Method, SymbolKind.COLUMN: types.SymbolKind.Field,
    SymbolKind.EXPERIMENT: types.SymbolKind.Enum, SymbolKind.EXPORT: types.SymbolKind.Method,
}


class SeglServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("segl", SEGL_VERSION,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.files = Workspace()
        self.sizes = SizeCache()
        self.published: set[Path] = set()
        self.pending: asyncio.Task | None = None

    # ---- helpers
    def converter(self) -> Converter:
        return Converter(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def offset(self, document_uri: str, position: types.Position) -> tuple[Path, int]:
        path = Path(file_key(to_fs_path(document_uri) or document_uri))
        text = self.files.read(path)
        return path, Positions(text, self.converter().encoding).offset(position)

    def occurrence_at(self, document_uri: str, position: types.Position
                      ) -> tuple[list[Analysis], Occurrence | None]:
        path, offset = self.offset(document_uri, position)
        analyses = self.files.contexts(path)
        for analysis in analyses:
            found = analysis.index.at(path, offset)
            if found is not None:
                return analyses, found
        return analyses, None

    def publish(self) -> None:
        converter = self.converter()
        by_file: dict[Path, list[types.Diagnostic]] = {}
        for analysis in self.files.all_contexts():
            for path, diagnostics in converter.file_diagnostics(analysis).items():
                by_file.setdefault(path, []).extend(diagnostics)
        for path, problems in self.files.unreadable().items():  # E004/E005, as the CLI
            by_file.setdefault(path, []).extend(converter.diagnostic(d) for d in problems)
        for path, problem in self.files.project_problems.items():
            if path in self.files.open:
                by_file.setdefault(path, []).append(types.Diagnostic(
                    types.Range(types.Position(0, 0), types.Position(0, 0)), problem,
                    types.DiagnosticSeverity.Error, source="segl"))
        for path in self.published - by_file.keys():
            by_file[path] = []
        for path, diagnostics in by_file.items():
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri(path), merge(diagnostics)))
        self.published = {p for p, d in by_file.items() if d}

    def publish_soon(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        self.pending = asyncio.get_running_loop().create_task(self._publish_after_pause())

    async def _publish_after_pause(self) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.publish()


def build_server() -> SeglServer:
    server = SeglServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SeglServer, params: types.InitializeParams) -> None:
        options = params.initialization_options or {}
        if isinstance(options, dict) and options.get("data") is False:
            ls.files.read_data = False

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: SeglServer, params: None) -> None:
        ls.sizes.shutdown()

    # ---- documents
    def document_text(ls: SeglServer, document_uri: str) -> None:
        path = Path(file_key(to_fs_path(document_uri) or document_uri))
        ls.files.set_text(path, ls.workspace.get_text_document(document_uri).source)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SeglServer, params: types.DidOpenTextDocumentParams) -> None:
        document_text(ls, params.text_document.uri)
        ls.publish_soon()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SeglServer, params: types.DidChangeTextDocumentParams) -> None:
        document_text(ls, params.text_document.uri)
        ls.publish_soon()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SeglServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.files.changed_on_disk()  # (saved as UTF-8: its E004 goes)
        ls.publish_soon()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SeglServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.files.close(Path(file_key(to_fs_path(params.text_document.uri) or "")))
        ls.publish_soon()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls: SeglServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.files.changed_on_disk()  # a closed import, segl.toml or a data file
        ls.publish_soon()

    # ---- navigation
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: SeglServer, params: types.DefinitionParams) -> list[types.Location]:
        analyses, found = ls.occurrence_at(params.text_document.uri, params.position)
        if found is None:
            return []
        converter = ls.converter()
        for analysis in analyses:
            symbol = analysis.index.symbol(found.key)
            if symbol is None:
                continue
            span = symbol.name_span
            if span is None and found.key.space is Space.COLUMN:  # known from the data only
                table = analysis.index.symbol(_global(found.key.scope))
                span = table.name_span if table else None
            if span is not None:
                return [converter.location(span)]
        return []

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: SeglServer, params: types.ReferenceParams) -> list[types.Location]:
        analyses, found = ls.occurrence_at(params.text_document.uri, params.position)
        if found is None:
            return []
        converter = ls.converter()
        locations: dict[tuple, types.Location] = {}
        for analysis in analyses:
            for occurrence in analysis.index.references(
                    found.key, params.context.include_declaration):
                location = converter.location(occurrence.span)
                locations.setdefault((location.uri, occurrence.span.start), location)
        return list(locations.values())

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: SeglServer, params: types.PrepareRenameParams
                       ) -> types.PrepareRenamePlaceholder | None:
        analyses, found = ls.occurrence_at(params.text_document.uri, params.position)
        if found is None:
            return None
        for analysis in _defining(analyses, found):
            refusal = analysis.index.rename_refusal(found.key)
            if refusal:
                raise JsonRpcException(refusal, code=REQUEST_FAILED)
        return types.PrepareRenamePlaceholder(ls.converter().range(found.span), found.key.name)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: SeglServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        analyses, found = ls.occurrence_at(params.text_document.uri, params.position)
        if found is None:
            return None
        converter = ls.converter()
        changes: dict[str, dict[int, types.TextEdit]] = {}
        for analysis in _defining(analyses, found):
            try:
                edits = analysis.index.rename(found.key, params.new_name)
            except RenameRefused as exc:
                raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None
            for edit in edits:
                changes.setdefault(uri(edit.span.path), {})[edit.span.start] = types.TextEdit(
                    converter.range(edit.span), edit.text)
        return types.WorkspaceEdit(changes={u: list(e.values()) for u, e in changes.items()})

    # ---- information
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: SeglServer, params: types.HoverParams) -> types.Hover | None:
        analyses, found = ls.occurrence_at(params.text_document.uri, params.position)
        if found is None:
            return _keyword_hover(ls, params)
        if found.key.space is Space.FUNCTION:
            text = hover.describe_function(found.key.name)
        else:
            analysis = next((a for a in analyses if a.index.symbol(found.key)), None)
            if analysis is None:
                return None
            symbol = analysis.index.symbol(found.key)
            parent = None
            if symbol.kind in (SymbolKind.BUCKET, SymbolKind.SCORE):
                parent = analysis.index.symbol(_global(found.key.scope))
            sizes = None
            pending = False
            if symbol.kind in (SymbolKind.SEGMENT, SymbolKind.BUCKET):
                sizes = await ls.sizes.get(analysis, HOVER_WAIT_SECONDS)
                pending = sizes is None and analysis.project.root is not None \
                    and analysis.compilation.ok
            text = hover.describe(symbol, sizes, pending, parent)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text),
                           ls.converter().range(found.span))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["."]))
    def on_completion(ls: SeglServer, params: types.CompletionParams) -> types.CompletionList:
        path, offset = ls.offset(params.text_document.uri, params.position)
        analyses = ls.files.contexts(path)
        index = analyses[0].index if analyses else None
        items = completion.complete(ls.files.read(path), offset, index)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls: SeglServer, params: types.DocumentSymbolParams
                         ) -> list[types.DocumentSymbol]:
        path = Path(file_key(to_fs_path(params.text_document.uri) or ""))
        analyses = ls.files.contexts(path)
        if not analyses:
            return []
        return _outline(analyses[0].index, path, ls.converter())

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    def on_semantic_tokens(ls: SeglServer, params: types.SemanticTokensParams
                           ) -> types.SemanticTokens:
        path = Path(file_key(to_fs_path(params.text_document.uri) or ""))
        analyses = ls.files.contexts(path)
        index = analyses[0].index if analyses else None
        occurrences = index.occurrences_in(path) if index else []
        return types.SemanticTokens(data=semantic_tokens(
            ls.files.read(path), occurrences, index, ls.converter().encoding))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: SeglServer, params: types.DocumentFormattingParams
                   ) -> list[types.TextEdit] | None:
        path = Path(file_key(to_fs_path(params.text_document.uri) or ""))
        text = ls.files.read(path)
        try:
            formatted = format_source(text, str(path))
        except CompileError:
            return None  # a file with syntax errors is not formatted (as `segl fmt`)
        if formatted == text:
            return []
        positions = Positions(text, ls.converter().encoding)
        return [types.TextEdit(types.Range(types.Position(0, 0), positions.end), formatted)]

    return server


def _defining(analyses: list[Analysis], found: Occurrence) -> list[Analysis]:
    """The compilations in which the name is defined (an entry that does not load its
    definition has nothing to rename); all of them when none does, to say why."""
    defining = [a for a in analyses if a.index.symbol(found.key) is not None]
    return defining or analyses


def _global(name: str | None) -> SymbolKey:
    return SymbolKey(Space.GLOBAL, name or "")


def _keyword_hover(ls: SeglServer, params: types.HoverParams) -> types.Hover | None:
    path, offset = ls.offset(params.text_document.uri, params.position)
    text = ls.files.read(path)
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = offset
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    described = hover.describe_word(text[start:end])
    if described is None:
        return None
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, described),
                       Positions(text, ls.converter().encoding).range(start, end))


def _outline(index: SymbolIndex, path: Path, converter: Converter
             ) -> list[types.DocumentSymbol]:
    out = []
    for symbol in index.declared_in(path):
        children = [
            _outline_item(member, converter, [])
            for member in index.members(_global(symbol.name))
            if member.name_span is not None and member.node is not None
            and file_key(member.name_span.path) == file_key(path)
            and member.name_span.text.strip("`") == member.name
        ]
        out.append(_outline_item(symbol, converter, children))
    return out


def _outline_item(symbol, converter: Converter, children) -> types.DocumentSymbol:
    detail = symbol.label or symbol.type or symbol.kind.value
    return types.DocumentSymbol(
        name=symbol.name, kind=OUTLINE_KINDS[symbol.kind],
        range=converter.range(symbol.node.span), selection_range=converter.range(
            symbol.name_span), detail=detail, children=children or None)
