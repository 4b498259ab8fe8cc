"""Semantic tokens: highlighting from the server, for editors without the TextMate grammar
(Neovim colours LSP semantic tokens by itself).

Each token's type comes from the outline: what a name declares or refers to, keywords,
numbers, units, strings and comments. Multi-line block comments are sent line by line,
as clients without multi-line token support require.
"""
from __future__ import annotations

from lsprotocol import types

from .document import Document, units

TYPES = ("keyword", "number", "string", "comment", "class", "type", "namespace", "function",
         "event", "enumMember", "operator")
MODIFIERS = ("declaration", "defaultLibrary")
_INDEX = {t: i for i, t in enumerate(TYPES)}
LEGEND = types.SemanticTokensLegend(token_types=list(TYPES), token_modifiers=list(MODIFIERS))

_BY_ROLE = {"hardware": "class", "core": "type", "workload": "namespace", "tiling": "namespace",
            "graph": "namespace", "op": "function", "task": "event", "op_kind": "function",
            "routing": "enumMember", "dtype": "enumMember", "capability": "enumMember",
            "unit": "operator"}
_LIBRARY = {"op_kind", "routing", "dtype", "capability", "unit"}   # vocabulary of hpdsl itself
_BY_KIND = {"keyword": "keyword", "number": "number", "string": "string", "comment": "comment"}


def _classified(doc: Document):
    """(start, end, type, modifier bits) for every token that gets a colour, in order."""
    names = {d.token: (_BY_ROLE[d.kind], 1) for d in doc.outline.decls}
    for r in doc.outline.refs:
        if r.role.kind in _BY_ROLE:
            names.setdefault(r.token, (_BY_ROLE[r.role.kind], 2 if r.role.kind in _LIBRARY else 0))
    for tok in doc.tokens:
        kind = names.get(tok)
        if kind is None and tok.kind in _BY_KIND:
            kind = (_BY_KIND[tok.kind], 0)
        if kind is None:
            continue
        start = tok.start
        for piece in tok.text.split("\n"):   # one token per line
            yield start, start + len(piece), kind[0], kind[1]
            start += len(piece) + 1


def semantic_tokens(doc: Document) -> types.SemanticTokens:
    """The document's tokens, relative-encoded as the protocol wants (lines and columns
    tracked along the way: tokens come in text order)."""
    data: list[int] = []
    starts = doc.lines.starts
    line, last_line, last_char = 0, 0, 0
    for start, end, kind, mods in _classified(doc):
        if end <= start:
            continue
        while line + 1 < len(starts) and starts[line + 1] <= start:
            line += 1
        char = units(doc.text[starts[line]:start], doc.encoding)
        length = units(doc.text[start:end], doc.encoding)
        data += [line - last_line, char - last_char if line == last_line else char, length,
                 _INDEX[kind], mods]
        last_line, last_char = line, char
    return types.SemanticTokens(data=data)
