"""`hpdsl.lang.outline`: the tolerant reading agrees with the checker on every example,
knows what each position names, and never fails on broken text."""
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from hpdsl.lang import load
from hpdsl.lang.outline import INNER, STARTS, Role, expect_at, outline
from hpdsl.lang.tokens import Lines, grammar_terms, tokenize

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").rglob("*.hpm"))


def _checker_decls(path: Path) -> set:
    spec = load(str(path))
    mine = lambda x: x.loc is not None and x.loc.file == str(path)
    out = set()
    for h in spec.hardware:
        if mine(h):
            out.add(("hardware", h.name, "", h.loc.line))
            out |= {("core", c.name, h.name, c.loc.line) for c in h.cores}
    for w in spec.workloads:
        if mine(w):
            out.add(("workload", w.name, "", w.loc.line))
            out |= {("op", o.name, w.name, o.loc.line) for o in w.ops}
    out |= {("tiling", t.name, "", t.loc.line) for t in spec.tilings if mine(t)}
    for g in spec.graphs:
        if mine(g):
            out.add(("graph", g.name, "", g.loc.line))
            out |= {("task", t.name, g.name, t.loc.line) for t in g.tasks}
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_outline_declares_what_the_checker_declares(path):
    text = path.read_text()
    lines = Lines(text)
    found = {(d.kind, d.name, d.owner, lines.linecol(d.token.start)[0])
             for d in outline(text).decls}
    assert found == _checker_decls(path)


def test_every_grammar_keyword_is_placed():
    # a keyword the language gains must say whether it begins a statement (STARTS) or not
    starts = set().union(*STARTS.values())
    assert starts | INNER == grammar_terms()[0]
    assert not starts & INNER


CASES = [   # text before the cursor -> what a name there is
    ("workload W on ", Role("hardware")),
    ("graph g on ", Role("hardware")),
    ("tiling t for ", Role("workload")),
    ("graph g on H { task a on ", Role("core", hardware="H", graph="g")),
    ("graph g on H { task a on C takes 1 us\n task b on C takes 1 us after ", Role("task", graph="g")),
    ("graph g on H { task b on C takes 1 us after a, ", Role("task", graph="g")),
    ("tiling t for W { up tile 128 x 256 on ", Role("core", workload="W")),
    ("tiling t for W { up chunk 4\n ", Role("op", workload="W")),
    ("workload W on H { op x : ", Role("op_kind")),
    ("workload W on H { op y : swiglu(", Role("op", workload="W", before=18)),
    ("workload W on H { routing ", Role("routing")),
    ("workload W on H { dtype ", Role("dtype")),
    ("hardware H { core C count 1 { queue q does ", Role("capability")),
    ("hardware H { core C count 1 { queue q does matmul, ", Role("capability")),
    ("hardware H { clock 1.8 ", Role("unit")),
    ("hardware H { core C count 1 { buffer B 4 ", Role("unit")),
    ("graph g on H { task a on C takes 3 ", Role("unit")),
    ("hardware H { core C count 4 ", Role("")),      # a count takes no unit
    ("hardware H { ", Role("keyword", block="hardware")),
    ("", Role("keyword", block="top")),
    ("import ", Role("file")),
    ("graph g on H { task a on C takes 1 us // after ", Role("")),   # in a comment
    ("hardware H { clock 1 GHz\n  ", Role("keyword", block="hardware")),   # a new line
    ("workload W on H { op a : dispatch\n  ", Role("keyword", block="workload")),
    ("graph g on H { task b on C takes 1 us after a,\n  ", Role("task", graph="g")),
    ("hardware H { clock 1 GHz ", Role("")),
]


@pytest.mark.parametrize("before,role", CASES, ids=[c[0][-24:] for c in CASES])
def test_what_a_position_names(before, role):
    assert expect_at(before, len(before)) == role
    # a word being typed there is the same name
    assert expect_at(before + "AB", len(before) + 2) == role


@pytest.mark.parametrize("path", EXAMPLES[:3], ids=lambda p: p.name)
def test_resuming_at_the_statement_gives_the_same_answer(path):
    text = path.read_text()
    toks = tokenize(text)
    o = outline(text, toks)
    for offset in range(0, len(text), 3):
        assert expect_at(text, offset, toks, o) == expect_at(text, offset, toks), offset


def test_the_word_after_the_cursor_does_not_count():
    text = "graph g on Duo { }"
    assert expect_at(text, text.index("Duo")) == Role("hardware")


PIECES = list("{}();:,\" \n") + ["hardware", "H", "core", "on", "task", "1", "us", "graph",
                                   "op", "tiling", "for", "after", "//"]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join), st.data())
def test_broken_text_never_fails(text, data):
    o = outline(text)
    assert all(text[d.token.start:d.token.end] == d.name for d in o.decls)
    expect_at(text, data.draw(st.integers(0, len(text))))
