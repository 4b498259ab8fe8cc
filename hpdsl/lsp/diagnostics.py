"""The checker's diagnostics as LSP diagnostics on an open document.

Each keeps its severity (error or warning). A diagnostic points at the token at its
location, or at the rest of the line when that token is the keyword opening a statement
(the message is about the statement). A diagnostic in an imported file is shown on the
import that brings the file in, with the real location as related information.
"""
from __future__ import annotations

import os

from lsprotocol import types
from pygls import uris

from hpdsl.errors import ERROR, WARNING, Diagnostic
from hpdsl.lang.load import import_target
from hpdsl.lang.tokens import token_index

from .document import Document

SEVERITY = {ERROR: types.DiagnosticSeverity.Error, WARNING: types.DiagnosticSeverity.Warning}
SOURCE = "hpdsl"


def _span(doc: Document, line: int, col: int) -> types.Range:
    """The range a diagnostic at 1-based line:col covers (line 0: the file as a whole)."""
    if line <= 0:
        return doc.range(0, 0)
    start = doc.lines.offset(line, col)
    i = token_index(doc.tokens, start)
    tok = doc.tokens[i] if i is not None else None
    text = doc.lines.line_text(min(line, len(doc.lines.starts)))
    line_end = doc.lines.offset(line, 1) + len(text.rstrip())
    if tok is None or tok.kind == "keyword":
        end = max(line_end, start)
    else:
        end = tok.end
    return doc.range(start, end)


def _importer(doc: Document, file: str) -> types.Range:
    """The import statement of `doc` that brings in `file` (its first import otherwise)."""
    imports = doc.outline.imports
    if not imports:
        return doc.range(0, 0)
    base = os.path.realpath(doc.path) if doc.path else None
    want = os.path.realpath(file)
    for imp in imports:
        if import_target(base, imp.path) == want:
            return doc.range(imp.token.start, imp.token.end)
    return doc.range(imports[0].token.start, imports[0].token.end)


def to_lsp(diags: tuple[Diagnostic, ...], doc: Document, display: str) -> list[types.Diagnostic]:
    """`diags` of the analysis of `doc` (checked under the name `display`) for the client."""
    out = []
    for d in diags:
        severity = SEVERITY[d.severity]
        if d.loc is None or d.loc.file == display:
            line, col = (d.loc.line, d.loc.col) if d.loc is not None else (0, 0)
            out.append(types.Diagnostic(range=_span(doc, line, col), message=d.message,
                                        severity=severity, source=SOURCE))
            continue
        related = None
        if os.path.isfile(d.loc.file):
            # columns as code points: the imported file is not open, its text not at hand
            at = types.Position(max(d.loc.line - 1, 0), max(d.loc.col - 1, 0))
            related = [types.DiagnosticRelatedInformation(
                location=types.Location(uri=uris.from_fs_path(os.path.abspath(d.loc.file)),
                                        range=types.Range(at, at)),
                message=d.message)]
        out.append(types.Diagnostic(range=_importer(doc, d.loc.file),
                                    message=f"{d.loc}: {d.message}", severity=severity,
                                    source=SOURCE, related_information=related))
    return out
