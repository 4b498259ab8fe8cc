"""What each name in a .hpm text is, read tolerantly: declarations, name uses, imports.

An editor asks this of half-typed text, which the checker refuses at its first syntax
error. The outline walks tokens (`tokens`) statement by statement, keeps a stack of the
blocks it is in, and asks one function, `expect`, what the next token names given the
block and the statement so far: a hardware after `workload W on`, a core type after
`task t on`, an op kind after `op x :`, a unit after a quantity's number. The same
answer labels the names already written (for go-to-definition and highlighting) and the
position of the cursor (for completion). Text it cannot place is skipped, never refused.

>>> o = outline('hardware H { core C count 1 }\\ngraph g on H { task a on C takes 1 us }')
>>> [(d.kind, d.name, d.owner, d.on) for d in o.decls]
[('hardware', 'H', '', ''), ('core', 'C', 'H', ''), ('graph', 'g', '', 'H'), ('task', 'a', 'g', '')]
>>> [(r.role.kind, r.token.text) for r in o.refs]
[('hardware', 'H'), ('core', 'C'), ('unit', 'us')]
>>> expect_at('graph g on H { task b on ', 25)
Role(kind='core', hardware='H', workload='', graph='g', before=-1, block='')
"""
from __future__ import annotations

import bisect
from typing import NamedTuple

from .tokens import Token, quantity_keywords, tokenize

# Keywords that begin a statement, per block; the others continue one. A test keeps every
# grammar keyword in exactly one of STARTS or INNER, so a new keyword must be placed here.
STARTS = {
    "top": frozenset({"import", "hardware", "workload", "tiling", "graph"}),
    "hardware": frozenset({"clock", "core", "memory", "cache", "link", "package", "fabric",
                           "sync", "launch"}),
    "core": frozenset({"queue", "buffer", "k_slice"}),
    "workload": frozenset({"devices", "tokens", "hidden", "expert_ffn", "experts", "dtype",
                           "routing", "op", "layers", "placement"}),
    "graph": frozenset({"task"}),
}
INNER = frozenset({"on", "for", "count", "does", "rate", "size", "bandwidth", "latency",
                   "flags", "topk", "seed", "n", "chunk", "tile", "x", "takes", "after",
                   "scope", "dies", "per_peer"})
TOP_KINDS = ("hardware", "workload", "tiling", "graph")
MEMBER_KINDS = {"hardware": "core", "workload": "op", "graph": "task"}   # block -> its members


class Role(NamedTuple):
    """What a token names: a declaration kind ('hardware', 'core', 'workload', 'op',
    'tiling', 'graph', 'task'), 'op_kind', 'routing', 'dtype', 'capability', 'unit',
    'keyword', 'file', 'name' (a new declaration's own name) or '' (nothing known).
    The scope fields say whose members are meant: cores of `hardware` (or of `workload`'s
    hardware), ops of `workload` (declared before offset `before`, for inputs), tasks of
    `graph`; for keywords, the kind of `block` the statement opens in."""

    kind: str
    hardware: str = ""
    workload: str = ""
    graph: str = ""
    before: int = -1
    block: str = ""    # for 'keyword': the kind of block the statement is in


NOTHING = Role("")


class Decl(NamedTuple):
    """A declaration: its kind, name token, owner (a core's hardware, an op's workload, a
    task's graph; '' at top level) and what a top-level one is on (hardware or workload)."""

    kind: str
    name: str
    owner: str
    on: str
    token: Token


class Ref(NamedTuple):
    role: Role
    token: Token


class Import(NamedTuple):
    path: str
    token: Token   # the quoted string


class Block(NamedTuple):
    kind: str      # 'top', a TOP_KINDS entry, 'core', or 'other'
    name: str = ""
    on: str = ""


class Outline(NamedTuple):
    decls: tuple[Decl, ...]
    refs: tuple[Ref, ...]
    imports: tuple[Import, ...]
    # where each statement begins: its first token's index and the blocks it is in, so a
    # walk can resume there (`expect_at`) instead of at the start of the text
    marks: tuple[int, ...] = ()
    stacks: tuple[tuple[Block, ...], ...] = ()


def _quantity_follows(words: list[str]) -> bool:
    """Whether a number after `words` is a quantity (it takes a unit)."""
    for kw, between in quantity_keywords().items():
        if len(words) > between and words[-1 - between] == kw:
            return True
    return False


def expect(block: Block, stmt: list[Token]) -> Role:
    """What the token after `stmt` (the statement so far, in `block`) names."""
    words = [t.text for t in stmt]
    n, prev = len(words), words[-1] if words else ""
    if n == 0:
        if block.kind == "tiling":
            return Role("op", workload=block.on)
        return Role("keyword", block=block.kind)
    if stmt[-1].kind == "number" and _quantity_follows(words[:-1]):
        return Role("unit")
    head, kind = words[0], block.kind
    if n == 1 and head in ("hardware", "workload", "tiling", "graph", "core", "queue", "buffer",
                           "memory", "cache", "link", "fabric", "op", "task"):
        return Role("name")
    if kind == "top":
        if head == "import" and n == 1:
            return Role("file")
        if n == 3 and prev == "on" and head in ("workload", "graph"):
            return Role("hardware")
        if n == 3 and prev == "for" and head == "tiling":
            return Role("workload")
    elif kind == "core" and head == "queue" and "rate" not in words:
        if prev == "does" or (prev == "," and "does" in words):
            return Role("capability")
    elif kind == "workload":
        if head == "op" and n == 3 and prev == ":":
            return Role("op_kind")
        if head == "op" and n == 5 and prev == "(":
            return Role("op", workload=block.name, before=stmt[0].start)
        if n == 1 and head in ("routing", "dtype"):
            return Role(head)
    elif kind == "tiling" and prev == "on":
        return Role("core", workload=block.on)
    elif kind == "tiling" and n >= 2 and words[-2] in ("chunk", "x", "on"):
        return Role("op", workload=block.on)   # the rule is complete: the next one begins
    elif kind == "graph" and head == "task":
        if n == 3 and prev == "on":
            return Role("core", hardware=block.on, graph=block.name)
        if "after" in words and prev in ("after", ","):
            return Role("task", graph=block.name)
    return NOTHING


class _Walker:
    """Feeds tokens through the block stack and the statement splitter."""

    def __init__(self):
        self.blocks = [Block("top")]
        self.stmt: list[Token] = []
        self.decls: list[Decl] = []
        self.refs: list[Ref] = []
        self.imports: list[Import] = []
        self.marks: list[int] = []
        self.stacks: list[tuple[Block, ...]] = []
        self.fed = 0

    @property
    def block(self) -> Block:
        return self.blocks[-1]

    def starts_statement(self, tok: Token) -> bool:
        kind = self.blocks[-1].kind
        if kind == "tiling":   # a rule begins with its op's name
            return tok.kind == "word" and self.stmt[-1].text != "on"
        return tok.kind == "keyword" and tok.text in STARTS.get(kind, ())

    def feed(self, tok: Token) -> None:
        self.fed += 1
        kind = tok.kind
        if kind == "comment":
            return
        if kind == "punct" and tok.text in "{};":
            opened = self._opened() if tok.text == "{" else None
            self.end_statement()
            if opened is not None:
                self.blocks.append(opened)
            elif tok.text == "}" and len(self.blocks) > 1:
                self.blocks.pop()
            return
        if self.stmt and self.starts_statement(tok):
            self.end_statement()
        if not self.stmt:
            self.marks.append(self.fed - 1)
            self.stacks.append(tuple(self.blocks))
        if kind == "word" or kind == "string":   # only names and paths have roles to record
            role = expect(self.blocks[-1], self.stmt)
            if kind == "word" and role.kind not in ("", "name", "keyword", "file"):
                self.refs.append(Ref(role, tok))
            elif role.kind == "file" and kind == "string":
                self.imports.append(Import(tok.text.strip('"'), tok))
        self.stmt.append(tok)

    def _opened(self) -> Block:
        """The block a '{' after the current statement opens."""
        words = [t.text for t in self.stmt]
        name = words[1] if len(words) > 1 else ""
        if self.block.kind == "top" and words and words[0] in TOP_KINDS:
            return Block(words[0], name, words[3] if len(words) > 3 else "")
        if self.block.kind == "hardware" and words[:1] == ["core"]:
            return Block("core", name, self.block.name)
        return Block("other", name)

    def end_statement(self) -> None:
        """Record the declaration the finished statement makes, if any."""
        stmt, self.stmt = self.stmt, []
        if len(stmt) < 2 or stmt[1].kind != "word":
            return
        head, name, block = stmt[0].text, stmt[1], self.block
        if block.kind == "top" and head in TOP_KINDS:
            on = stmt[3].text if len(stmt) > 3 and stmt[3].kind == "word" else ""
            self.decls.append(Decl(head, name.text, "", on, name))
        elif MEMBER_KINDS.get(block.kind) == head:
            self.decls.append(Decl(head, name.text, block.name, "", name))


def outline(text: str, tokens: list[Token] | None = None) -> Outline:
    """The declarations, name uses and imports of `text` (or of its `tokens`), in order."""
    w = _Walker()
    for tok in tokenize(text) if tokens is None else tokens:
        w.feed(tok)
    w.end_statement()
    return Outline(tuple(w.decls), tuple(w.refs), tuple(w.imports), tuple(w.marks),
                   tuple(w.stacks))


def expect_at(text: str, offset: int, tokens: list[Token] | None = None,
              resume: Outline | None = None) -> Role:
    """What a name typed at `offset` would be; the word being typed there is not counted,
    and inside a comment nothing is expected. At the start of a line, a finished statement
    is taken to be over (statements are one a line by habit): a new one may begin.

    With the outline of the same tokens (`resume`), the walk resumes at the start of the
    statement before the cursor: the same answer, at the cost of one statement."""
    tokens = tokenize(text) if tokens is None else tokens
    end = bisect.bisect_left(tokens, offset, key=lambda t: t.end)   # first token not before
    if end < len(tokens):
        tok = tokens[end]
        if tok.kind == "comment" and tok.start < offset < tok.end:
            return NOTHING
        if tok.end == offset and tok.kind not in ("word", "keyword", "number", "string"):
            end += 1   # punctuation or a comment just before the cursor: it counts
    last = tokens[end - 1] if end > 0 else None
    if last is not None and last.kind == "comment" and last.end == offset \
            and last.text.startswith("//"):
        return NOTHING   # at the end of a line comment: still inside it
    w, begin = _Walker(), 0
    if resume is not None and resume.marks:
        i = bisect.bisect_right(resume.marks, end - 1) - 1
        if i >= 0:
            begin, w.blocks = resume.marks[i], list(resume.stacks[i])
    for tok in tokens[begin:end]:
        w.feed(tok)
    role = expect(w.block, w.stmt)
    typed = tokens[end].start if end < len(tokens) and tokens[end].start < offset else offset
    line_start = text.rfind("\n", 0, typed) + 1
    if role == NOTHING and w.stmt and not text[line_start:typed].strip():
        return expect(w.block, [])
    return role
