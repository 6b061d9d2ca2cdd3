"""The language server: the protocol's messages over stdio (pygls), each answered by the
plain-text modules beside this one.

Diagnostics: a document is checked when it opens and is saved, and `DEBOUNCE` seconds after
the last change while typing; each check publishes for every file it found problems in (an
imported file's too) and clears the files an earlier check of it had published to. Hover,
definition and completion read the document's latest check (its resolved module). Positions
travel in the client's units (UTF-16 unless it offers another) and are converted at the edge.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from .. import __version__
from ..syntax.diagnostics import Diagnostic
from ..syntax.formatter import format_source
from ..syntax.source import SourceFile, Span
from .analysis import Analysis, absolute, analyse
from .complete import complete
from .lookup import Found, Target, look_up
from .outline import Symbol, outline

DEBOUNCE = 0.3
"""Seconds of quiet after a change before the document is checked again."""

_KINDS = {
    "field": t.CompletionItemKind.Field,
    "value": t.CompletionItemKind.EnumMember,
    "variable": t.CompletionItemKind.Variable,
    "function": t.CompletionItemKind.Function,
    "keyword": t.CompletionItemKind.Keyword,
    "grade": t.CompletionItemKind.Constant,
    "indicator": t.CompletionItemKind.Property,
}
_SYMBOLS = {
    "module": t.SymbolKind.Module,
    "namespace": t.SymbolKind.Namespace,
    "field": t.SymbolKind.Field,
    "class": t.SymbolKind.Class,
    "event": t.SymbolKind.Event,
    "variable": t.SymbolKind.Variable,
    "enum": t.SymbolKind.EnumMember,
}


class IndServer(LanguageServer):
    """A pygls server that remembers each document's latest check."""

    def __init__(self) -> None:
        super().__init__("ind", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}  # each document's latest check that resolved it
        self.published: dict[str, set[str]] = {}  # document uri → uris its check published to
        self.pending: dict[str, asyncio.Task[None]] = {}

    def buffers(self) -> dict[Path, str]:
        out: dict[Path, str] = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is not None:
                out[Path(path)] = document.source
        return out

    def check(self, uri: str) -> None:
        path = to_fs_path(uri)
        if path is None:
            return
        analysis = analyse(Path(path), self.buffers())
        if analysis.module is not None or uri not in self.analyses:
            self.analyses[uri] = analysis  # while a half-typed line does not parse, the last good one serves
        grouped = analysis.by_file()
        grouped.setdefault(analysis.path.absolute(), [])
        uris = set()
        for file, diagnostics in grouped.items():
            file_uri = from_fs_path(str(file)) or uri
            uris.add(file_uri)
            document = self.workspace.get_text_document(file_uri)
            items = [to_lsp(d, document) for d in diagnostics]
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=file_uri, diagnostics=items))
        for stale in self.published.get(uri, set()) - uris:
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=stale, diagnostics=[]))
        self.published[uri] = uris

    def schedule(self, uri: str) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE)
            self.pending.pop(uri, None)
            self.check(uri)

        self.pending[uri] = asyncio.ensure_future(later())

    def target_location(self, target: Target) -> t.Location:
        uri = from_fs_path(str(absolute(target.path))) or target.path
        document = self.workspace.get_text_document(uri)
        start = ServerTextPosition(target.line - 1, target.column - 1)
        end = ServerTextPosition(target.line - 1, target.end_column - 1)
        return t.Location(uri=uri, range=client_range(document, ServerTextRange(start, end)))


def span_range(span: Span, document: TextDocument) -> t.Range:
    start = ServerTextPosition(max(span.line - 1, 0), max(span.column - 1, 0))
    end = ServerTextPosition(max(span.end_line - 1, 0), max(span.end_column - 1, 0))
    return client_range(document, ServerTextRange(start, end))


def client_range(document: TextDocument, where: ServerTextRange) -> t.Range:
    """A range in the client's units; in code points when the file cannot be read as text
    (a diagnostic about that very problem)."""
    try:
        return document.range_to_client_units(where)
    except (OSError, UnicodeDecodeError):
        start = t.Position(line=where.start.line, character=where.start.character)
        return t.Range(start=start, end=t.Position(line=where.end.line, character=where.end.character))


def to_lsp(diagnostic: Diagnostic, document: TextDocument) -> t.Diagnostic:
    """A diagnostic as the protocol carries it: the hint after the message, the code's docs page."""
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return t.Diagnostic(
        range=span_range(diagnostic.span, document),
        message=message,
        severity=t.DiagnosticSeverity.Error if diagnostic.is_error else t.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        source="ind",
        data={"hint": diagnostic.hint},
    )


def _symbol(symbol: Symbol, document: TextDocument) -> t.DocumentSymbol:
    whole = span_range(symbol.span, document)
    return t.DocumentSymbol(
        name=symbol.name,
        detail=symbol.detail,
        kind=_SYMBOLS[symbol.kind],
        range=whole,
        selection_range=t.Range(start=whole.start, end=whole.start),
        children=[_symbol(child, document) for child in symbol.children],
    )


def build() -> IndServer:
    """The server with every feature registered."""
    server = IndServer()

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: IndServer, params: t.DidOpenTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: IndServer, params: t.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: IndServer, params: t.DidSaveTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: IndServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        for published in ls.published.pop(uri, set()):
            ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=published, diagnostics=[]))

    def found_at(
        ls: IndServer, uri: str, position: t.Position
    ) -> tuple[TextDocument, Analysis | None, ServerTextPosition]:
        document = ls.workspace.get_text_document(uri)
        return document, ls.analyses.get(uri), document.position_from_client_units(position)

    def named(ls: IndServer, params: t.HoverParams | t.DefinitionParams) -> Found | None:
        document, analysis, at = found_at(ls, params.text_document.uri, params.position)
        if analysis is None or analysis.module is None:
            return None
        return look_up(analysis.module, _lines(analysis, document), at.line, at.character)

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    def hover(ls: IndServer, params: t.HoverParams) -> t.Hover | None:
        found = named(ls, params)
        if found is None:
            return None
        return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=found.hover))

    @server.feature(t.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: IndServer, params: t.DefinitionParams) -> t.Location | None:
        found = named(ls, params)
        return None if found is None or found.target is None else ls.target_location(found.target)

    @server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[".", '"']))
    def completion(ls: IndServer, params: t.CompletionParams) -> t.CompletionList:
        document, analysis, at = found_at(ls, params.text_document.uri, params.position)
        lines = (_text(document) or "").splitlines(keepends=True)
        before = "".join(lines[: at.line]) + (lines[at.line][: at.character] if at.line < len(lines) else "")
        module = analysis.module if analysis is not None else None
        items = [
            t.CompletionItem(label=i.label, kind=_KINDS[i.kind], detail=i.detail or None)
            for i in complete(module, before)
        ]
        return t.CompletionList(is_incomplete=False, items=items)

    @server.feature(t.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: IndServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        text = _text(document)
        if text is None:
            return None
        result = format_source(SourceFile(document.path, text))
        if result.text is None or result.text == text:
            return [] if result.text is not None else None
        end = t.Position(line=len(text.splitlines(keepends=True)), character=0)
        return [t.TextEdit(range=t.Range(start=t.Position(line=0, character=0), end=end), new_text=result.text)]

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: IndServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        text = _text(document)
        return [] if text is None else [_symbol(s, document) for s in outline(document.path, text)]

    return server


def _text(document: TextDocument) -> str | None:
    """The document's text: the editor's buffer, else the file (None when it cannot be read)."""
    try:
        return document.source
    except (OSError, UnicodeDecodeError):
        return None


def _lines(analysis: Analysis, document: TextDocument) -> dict[str, list[str]]:
    """The lines of every file the check read, the document's own as the editor holds them now."""
    lines = {path: source.text.replace("\r\n", "\n").split("\n") for path, source in analysis.report.sources.items()}
    text = _text(document)
    if text is not None:
        lines[analysis.shown] = text.replace("\r\n", "\n").split("\n")
    return lines


def serve() -> None:
    """Answer one client on stdin/stdout until it exits."""
    build().start_io()


__all__ = ["DEBOUNCE", "IndServer", "build", "serve", "to_lsp"]
