"""`hpdsl lsp` over stdio, spoken to by a real LSP client (pygls's) in a subprocess:
initialize, open a broken spec, diagnostics on their lines, completion, hover,
definition, an edit that fixes the spec, imports of an unsaved buffer, shutdown."""
import asyncio
import sys
from pathlib import Path

from lsprotocol import types as T
from pygls import uris
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 60   # generous: the machine may be busy; nothing here measures time

BROKEN = """hardware Duo {
    core CPU count 1
    core ACC count 1
}

graph g on Duo {
    task a on CPX takes 1 us
    task b on CPU takes 2 us after a
}
"""


class Session:
    """A client connected to a fresh `hpdsl lsp` process, collecting published diagnostics."""

    def __init__(self):
        self.client = LanguageClient("hpdsl-test", "1")
        self.published: asyncio.Queue = asyncio.Queue()

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params):
            self.published.put_nowait(params)

    async def __aenter__(self):
        await self.client.start_io(sys.executable, "-m", "hpdsl.cli", "lsp", cwd=str(ROOT))
        result = await asyncio.wait_for(self.client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities(), root_uri=uris.from_fs_path(str(ROOT)))), WAIT_S)
        self.capabilities = result.capabilities
        self.client.initialized(T.InitializedParams())
        return self

    async def __aexit__(self, *exc):
        await asyncio.wait_for(self.client.shutdown_async(None), WAIT_S)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), WAIT_S)

    def open(self, path: Path, text: str) -> str:
        uri = uris.from_fs_path(str(path))
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(
            T.TextDocumentItem(uri=uri, language_id="hpm", version=1, text=text)))
        return uri

    async def diagnostics(self, uri: str) -> T.PublishDiagnosticsParams:
        while True:
            p = await asyncio.wait_for(self.published.get(), WAIT_S)
            if p.uri == uri:
                return p

    def doc(self, uri: str, line: int, character: int) -> dict:
        return dict(text_document=T.TextDocumentIdentifier(uri=uri),
                    position=T.Position(line, character))


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 4 * WAIT_S))


def test_broken_spec_then_completion_hover_definition(tmp_path):
    async def go():
        async with Session() as s:
            assert s.capabilities.completion_provider is not None
            uri = s.open(tmp_path / "duo.hpm", BROKEN)
            p = await s.diagnostics(uri)
            assert [(d.range.start.line, d.severity) for d in p.diagnostics] == [
                (6, T.DiagnosticSeverity.Error)]
            assert "unknown core type 'CPX'" in p.diagnostics[0].message
            assert p.diagnostics[0].range.start.character == 4

            c = s.client
            items = await c.text_document_completion_async(T.CompletionParams(**s.doc(uri, 5, 11)))
            assert [i.label for i in items.items] == ["Duo"]
            items = await c.text_document_completion_async(T.CompletionParams(**s.doc(uri, 6, 14)))
            assert [i.label for i in items.items] == ["CPU", "ACC"]
            h = await c.text_document_hover_async(T.HoverParams(**s.doc(uri, 7, 24)))
            assert h.contents.value == "2 us = 2,000 ns (time)"
            loc = await c.text_document_definition_async(T.DefinitionParams(**s.doc(uri, 7, 35)))
            assert (loc.uri, loc.range.start.line, loc.range.start.character) == (uri, 6, 9)
            sem = await c.text_document_semantic_tokens_full_async(
                T.SemanticTokensParams(text_document=T.TextDocumentIdentifier(uri=uri)))
            legend = s.capabilities.semantic_tokens_provider.legend.token_types
            assert legend[sem.data[3]] == "keyword" and list(sem.data[5:8]) == [0, 9, 3]  # Duo
    run(go())


def test_an_edit_republishes_and_imports_come_from_disk(tmp_path):
    (tmp_path / "hw.hpm").write_text("hardware Duo {\n    core CPU count 1\n}\n")
    spec = tmp_path / "g.hpm"   # never written: the buffer is unsaved

    async def go():
        async with Session() as s:
            text = 'import "hw.hpm"\ngraph g on Duo { task a on CPU takes 1 us }\n'
            uri = s.open(spec, text.replace("CPU", "CPV"))
            p = await s.diagnostics(uri)
            assert [d.range.start.line for d in p.diagnostics] == [1]
            s.client.text_document_did_change(T.DidChangeTextDocumentParams(
                text_document=T.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)]))
            p = await s.diagnostics(uri)
            assert len(p.diagnostics) == 0 and p.version == 2
            loc = await s.client.text_document_definition_async(
                T.DefinitionParams(**s.doc(uri, 1, 28)))
            assert loc.uri == uris.from_fs_path(str(tmp_path / "hw.hpm"))
            assert loc.range.start.line == 1
    run(go())
