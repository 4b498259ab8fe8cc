"""`hpdsl lsp`: the language server (pygls, JSON-RPC over stdio).

Checking runs the same checker as `hpdsl check` (`hpdsl.lang.analyse`) on the open
text in a worker thread; completion, hover, definition and highlighting read the
tolerant outline (`hpdsl.lang.outline`), built once per document version in a second
worker thread. The event loop only reads and answers messages, so it never waits for a
big file: edits keep arriving, and a request the client cancels is dropped. Edits are
debounced; a check whose text is no longer the newest is dropped rather than published.
Saving a file re-checks every open file (one may import it).
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from hpdsl import __version__
from hpdsl.lang import analyse

from .diagnostics import to_lsp
from .document import Document
from .features import completion, definition, hover
from .semantic import LEGEND, semantic_tokens

DEBOUNCE_S = 0.3   # wait this long after the last keystroke before checking


class HpmServer(LanguageServer):
    """The server with its per-document state: the newest `Document` and pending checks."""

    def __init__(self, debounce: float = DEBOUNCE_S):
        super().__init__("hpdsl", __version__)
        self.debounce = debounce
        self.checks: dict[str, asyncio.Task] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hpdsl-check")
        self.readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hpdsl-outline")
        self._docs: dict[str, tuple[int | None, Document]] = {}

    def document(self, uri: str) -> Document:
        """The open document `uri` as of its newest version (built once per version)."""
        td = self.workspace.get_text_document(uri)
        cached = self._docs.get(uri)
        if cached is not None and cached[0] == td.version and td.version is not None:
            return cached[1]
        encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        doc = Document(uri, td.path, td.source, encoding)
        self._docs[uri] = (td.version, doc)
        return doc

    async def ready(self, uri: str) -> Document:
        """The newest version of `uri`, its outline built off the event loop."""
        doc = self.document(uri)
        return await asyncio.get_running_loop().run_in_executor(self.readers, doc.prepare)

    def schedule(self, uri: str, delay: float) -> None:
        old = self.checks.pop(uri, None)
        if old is not None:
            old.cancel()
        self.checks[uri] = asyncio.ensure_future(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        td = self.workspace.get_text_document(uri)
        version = td.version
        doc = self.document(uri)
        display = doc.path or "<string>"
        loop = asyncio.get_running_loop()
        try:
            diagnostics = await loop.run_in_executor(self.pool, _diagnose, doc, display)
        except Exception as e:   # a bug in hpdsl: say so in the file, keep serving
            diagnostics = [types.Diagnostic(range=doc.range(0, 0), source="hpdsl",
                                            message=f"hpdsl could not check this file (a bug "
                                                    f"in hpdsl): {type(e).__name__}: {e}")]
        if uri not in self.workspace.text_documents:
            return   # closed meanwhile
        if self.workspace.get_text_document(uri).version != version:
            return   # edited meanwhile: a newer check is on its way
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=diagnostics))

    def forget(self, uri: str) -> None:
        task = self.checks.pop(uri, None)
        if task is not None:
            task.cancel()
        self._docs.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _diagnose(doc: Document, display: str) -> list[types.Diagnostic]:
    """The checker's diagnostics of `doc`, for the client (run in the check thread)."""
    return to_lsp(analyse(doc.text, display).diagnostics, doc, display)


def build_server(debounce: float = DEBOUNCE_S) -> HpmServer:
    """A server with every feature registered (not yet started)."""
    ls = HpmServer(debounce)

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: HpmServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri, 0.0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: HpmServer, params: types.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri, ls.debounce)

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: HpmServer, params: types.DidSaveTextDocumentParams):
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri, 0.0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: HpmServer, params: types.DidCloseTextDocumentParams):
        ls.forget(params.text_document.uri)

    @ls.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[" ", "(", ":", ",", '"']))
    async def on_completion(ls: HpmServer, params: types.CompletionParams):
        return completion(await ls.ready(params.text_document.uri), params.position)

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: HpmServer, params: types.HoverParams):
        return hover(await ls.ready(params.text_document.uri), params.position)

    @ls.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def on_definition(ls: HpmServer, params: types.DefinitionParams):
        return definition(await ls.ready(params.text_document.uri), params.position)

    @ls.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    async def on_semantic_tokens(ls: HpmServer, params: types.SemanticTokensParams):
        doc = await ls.ready(params.text_document.uri)
        return await asyncio.get_running_loop().run_in_executor(ls.readers, semantic_tokens, doc)

    return ls


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    build_server().start_io()
