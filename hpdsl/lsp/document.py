"""An open .hpm document as the server's features see it: text, tokens, outline, scope,
and positions converted between code-point offsets and the client's units.

LSP positions count characters in an encoding the client and server agree on (UTF-16 by
default); the checker counts code points. Lines split at '\\n', as the checker counts them.
"""
from __future__ import annotations

from functools import cached_property

from lsprotocol import types

from hpdsl.lang.load import MAX_FILE_BYTES
from hpdsl.lang.outline import Decl, Outline, Role, outline
from hpdsl.lang.scope import Scope, scope_of
from hpdsl.lang.tokens import Lines, Token, token_index, tokenize


def units(text: str, encoding: str) -> int:
    """The length of `text` in the client's code units."""
    if encoding == types.PositionEncodingKind.Utf32 or text.isascii():
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _column(line: str, count: int, encoding: str) -> int:
    """The code-point column that is `count` client units into `line` (clamped)."""
    if encoding == types.PositionEncodingKind.Utf32 or line.isascii():
        return min(count, len(line))
    used = 0
    for i, ch in enumerate(line):
        if used >= count:
            return i
        used += units(ch, encoding)
    return len(line)


class Document:
    """One version of an open document; features read its fields, built once each."""

    def __init__(self, uri: str, path: str | None, text: str,
                 encoding: str = types.PositionEncodingKind.Utf16):
        self.uri, self.path, self.text, self.encoding = uri, path, text, encoding
        self.lines = Lines(text)
        # past the loader's cap the checker refuses the file: no editor features either
        self.too_big = len(text) > MAX_FILE_BYTES

    @cached_property
    def tokens(self) -> list[Token]:
        return [] if self.too_big else tokenize(self.text)

    @cached_property
    def outline(self) -> Outline:
        return outline(self.text, self.tokens)

    @cached_property
    def scope(self) -> Scope:
        return scope_of(self.text, self.path, self.outline)

    @cached_property
    def roles(self) -> dict[Token, Role]:
        """The role of every name use, by token."""
        return {r.token: r.role for r in self.outline.refs}

    @cached_property
    def declared(self) -> dict[Token, Decl]:
        """The declaration each declaring name token makes."""
        return {d.token: d for d in self.outline.decls}

    def prepare(self) -> Document:
        """Build what features read (tokens, outline, scope, indexes) now: the server does
        this off its event loop, so a big file does not hold up other messages."""
        _ = self.tokens, self.outline, self.scope, self.roles, self.declared
        return self

    def token_at(self, pos: types.Position) -> tuple[int, Token] | None:
        """The token under the client position `pos` with its index, or None."""
        i = token_index(self.tokens, self.offset(pos))
        return None if i is None else (i, self.tokens[i])

    def position(self, offset: int) -> types.Position:
        line, col = self.lines.linecol(offset)
        text = self.lines.line_text(line)
        return types.Position(line - 1, units(text[:col - 1], self.encoding))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.position(start), self.position(end))

    def offset(self, pos: types.Position) -> int:
        """The code-point offset of a client position (clamped to the text)."""
        if pos.line >= len(self.lines.starts):
            return len(self.text)
        line = self.lines.line_text(pos.line + 1)
        return self.lines.starts[pos.line] + _column(line, pos.character, self.encoding)


def range_in(text: str, start: int, end: int, encoding: str) -> types.Range:
    """A range of another file's text (a declaration in an imported file)."""
    return Document("", None, text, encoding).range(start, end)
