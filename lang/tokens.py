"""A tolerant tokenizer of .hpm text for editors: words, numbers, strings, punctuation.

The checker (textX, `hpm.tx`) judges the language and stops at the first syntax error;
an editor needs to read text that is half typed. This tokenizer never fails: every
character lands in some token. Its number pattern and its keywords are read from the
grammar itself, so the two cannot drift apart.

>>> [(t.kind, t.text) for t in tokenize('clock 1.8 GHz // fast\\nqueue q does a, b')]
[('keyword', 'clock'), ('number', '1.8'), ('word', 'GHz'), ('comment', '// fast'), ('keyword', 'queue'), ('word', 'q'), ('keyword', 'does'), ('word', 'a'), ('punct', ','), ('word', 'b')]
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import NamedTuple

from .load import GRAMMAR


class Token(NamedTuple):
    """A piece of text: kind ('keyword', 'word', 'number', 'string', 'comment', 'punct')
    and its code-point offsets [start, end)."""

    kind: str
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def grammar_terms() -> tuple[frozenset[str], str]:
    """The grammar's keywords (every quoted word) and its number pattern (NUMTEXT)."""
    text = GRAMMAR.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    keywords = frozenset(re.findall(r"'([A-Za-z_]\w*)'", text))
    number = re.search(r"^NUMTEXT:\s*/(.*)/;\s*$", text, re.M).group(1)
    return keywords, number


@lru_cache(maxsize=1)
def quantity_keywords() -> dict[str, int]:
    """Keywords a quantity follows, with the number of names between them ('buffer B 1 MiB')."""
    text = GRAMMAR.read_text(encoding="utf-8")
    return {kw: 1 if named else 0
            for kw, named in re.findall(r"'(\w+)'\s+(name=ID\s+)?\w+\+?=(?:Quantity|Rate)", text)}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    _, number = grammar_terms()
    return re.compile(   # leading whitespace is eaten by each match: half the iterations
        r"\s*(?:(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))"
        r'|(?P<string>"[^"\n]*"?)'
        rf"|(?P<number>{number})"
        r"|(?P<word>[A-Za-z_]\w*(?:/[A-Za-z]+)?)"   # a unit may hold one '/': 'TB/s'
        r"|(?P<punct>\S))", re.S)


def tokenize(text: str, comments: bool = True) -> list[Token]:
    """Every token of `text` (whitespace dropped; comments too unless `comments`)."""
    keywords, _ = grammar_terms()
    out = []
    append = out.append
    for m in _pattern().finditer(text):
        kind = m.lastgroup
        if kind is None or (kind == "comment" and not comments):
            continue   # trailing whitespace
        start, end = m.span(kind)
        word = m.group(kind)
        if kind == "word" and word in keywords:
            kind = "keyword"
        append(Token(kind, word, start, end))
    return out


def token_index(tokens: list[Token], offset: int) -> int | None:
    """The index of the token that covers `offset`, or ends right at it (the cursor just
    after a word); None between tokens."""
    i = bisect.bisect_right(tokens, offset, key=lambda t: t.start) - 1
    if i >= 0 and tokens[i].start <= offset <= tokens[i].end:
        return i
    return None


class Lines:
    """Offsets to 1-based (line, column) and back, lines split at '\\n' as the checker counts.

    >>> Lines("ab\\ncd").linecol(4), Lines("ab\\ncd").offset(2, 2)
    ((2, 2), 4)
    """

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def linecol(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def offset(self, line: int, col: int) -> int:
        """The offset of line:col, clamped to the text."""
        line = min(max(line, 1), len(self.starts))
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return min(self.starts[line - 1] + max(col, 1) - 1, end)

    def line_text(self, line: int) -> str:
        """Line `line` (1-based) without its newline."""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end]
