"""Data blocks: what every tile reads and writes, checked against the graph it came from."""
from __future__ import annotations

import numpy as np
import pytest
from generate_cases import LONG, MOE, TWO, make

from hpdsl.blocks import INPUT, WEIGHT
from hpdsl.generate import from_tiling

ROUTINGS = (("balanced", 0.0), ("zipf", 1.5), ("grouped", 2.0))


def _graph(ops, routing, param, **kw):
    t = make(ops=ops, routing=routing, param=param, **kw)
    return from_tiling(t)


def _owners(ptr):
    return np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))


@pytest.mark.parametrize("ops", (MOE, LONG, TWO), ids=("moe", "long", "two-layers"))
@pytest.mark.parametrize("routing,param", ROUTINGS)
def test_blocks_give_exactly_the_edges(ops, routing, param):
    # an edge u -> v exists exactly when v reads a block u writes: a third oracle for the
    # dependency-preserving generator, from data instead of from region overlap
    g = _graph(ops, routing, param)
    d = g.data
    writers: dict[int, set[int]] = {}
    for t, b in zip(_owners(d.write_ptr).tolist(), d.write.tolist()):
        writers.setdefault(b, set()).add(t)
    derived, unwritten = set(), 0
    inp = d.tensors.index(INPUT)
    for t, b in zip(_owners(d.read_ptr).tolist(), d.read.tolist()):
        if d.kind[b] == WEIGHT or d.tensor[b] == inp:
            continue
        if b not in writers:
            unwritten += 1
        derived |= {(w, t) for w in writers.get(b, ())}
    assert unwritten == 0
    assert derived == set(zip(*(a.tolist() for a in g.edges())))


@pytest.mark.parametrize("ops", (MOE, LONG), ids=("moe", "long"))
@pytest.mark.parametrize("routing,param", ROUTINGS)
def test_block_bytes_are_the_tile_traffic(ops, routing, param):
    # what a tile reads through L2 is its blocks; what it writes lands in blocks of the
    # device it writes to (a send's payload on the receiver)
    g = _graph(ops, routing, param)
    d = g.data
    rt, wt = _owners(d.read_ptr), _owners(d.write_ptr)
    read = np.bincount(rt, weights=d.bytes[d.read], minlength=g.n_tasks)
    written = np.bincount(wt, weights=d.bytes[d.write], minlength=g.n_tasks)
    assert np.array_equal(read, g.bytes_in)
    assert np.array_equal(written, np.where(g.dst >= 0, g.bytes_sent, g.bytes_out))
    assert np.all(d.device[d.read] == g.device[rt])
    assert np.all(d.device[d.write] == np.where(g.dst[wt] >= 0, g.dst[wt], g.device[wt]))


@pytest.mark.parametrize("routing,param", ROUTINGS)
def test_every_tile_writes_blocks_of_its_own(routing, param):
    # ... except combine chunks, which all sum into their tokens' rows (topk each)
    g = _graph(MOE, routing, param)
    d = g.data
    wt = _owners(d.write_ptr)
    combine = g.op[wt] == g.ops.index("combine")
    own = d.write[~combine]
    assert len(np.unique(own)) == len(own)
    assert np.all(np.bincount(d.write[combine]) [np.unique(d.write[combine])] == 2)  # topk


def test_weight_blocks_are_per_expert_and_column_block():
    g = _graph(MOE, "balanced", 0.0, experts=4, hidden=40)
    d = g.data
    up = max(i for i, name in enumerate(d.tensors) if name == "up")   # weights follow outputs
    sel = np.flatnonzero((d.kind == WEIGHT) & (d.tensor == up))
    # up: n 96 in column tiles of 16 -> 6 blocks per expert, K = hidden = 40, bf16
    assert len(sel) == 4 * 6
    assert set(d.rows[sel].tolist()) == {40} and set(d.row0[sel].tolist()) == {0}
    assert d.bytes[sel].tolist() == [40 * 16 * 2] * 24
    assert sorted(set(d.expert[sel].tolist())) == [0, 1, 2, 3]
    # expert e lives on device e // 2 (4 experts on 2 devices)
    assert np.array_equal(d.device[sel], d.expert[sel] // 2)
    # every up tile reads its expert's block of its column, first
    first = d.read[d.read_ptr[:-1][g.op == g.ops.index("up")]]
    tiles = np.flatnonzero(g.op == g.ops.index("up"))
    assert np.array_equal(d.expert[first], g.expert[tiles])
    assert np.array_equal(d.col0[first], g.col0[tiles])


def test_rows_are_cut_where_producer_and_reader_disagree():
    # zipf routing: dispatch chunks of 5 rows per (source, expert) and up row blocks of 7
    # rows per expert do not line up, so up's input is cut at both
    g = _graph(MOE, "zipf", 1.5)
    d = g.data
    sel = np.flatnonzero(d.tensor == d.tensors.index("dispatch"))
    chunks = np.flatnonzero(g.op == g.ops.index("dispatch"))
    ups = np.flatnonzero((g.op == g.ops.index("up")) & (g.col0 == 0))
    rows = np.bincount(g.expert[chunks], weights=g.rows[chunks]).astype(np.int64)
    off = np.r_[0, np.cumsum(rows)]                     # expert e's rows start at off[e]
    start = lambda t: set((off[g.expert[t]] + g.row0[t]).tolist())   # noqa: E731
    cuts = set(d.row0[sel].tolist())
    assert start(chunks) | start(ups) | set(off[:-1].tolist()) == cuts
    assert not start(chunks) <= start(ups)              # the case really is misaligned
    assert d.rows[sel].sum() == off[-1]                 # the blocks tile the rows once


def test_layer_input_rows_the_same_chunks_read_are_one_block():
    # a dispatch chunk reads its tokens through the routing map, so the input is cut per
    # row, and rows the same chunks read merge: balanced, token t of a device picks
    # experts (2t + j + offset) mod 4, so tokens t and t + 2 read alike: 2 classes of 6,
    # each sent whole by one 6-row chunk per expert
    g = _graph(MOE, "balanced", 0.0, devices=2, tokens=12, hidden=40,
               sizes={"dispatch": 6, "combine": 6})
    d = g.data
    inp = np.flatnonzero(d.tensor == d.tensors.index(INPUT))
    assert len(inp) == 2 * 2
    assert set(d.rows[inp].tolist()) == {6} and set(d.bytes[inp].tolist()) == {6 * 40 * 2}
    assert sorted(d.device[inp].tolist()) == [0, 0, 1, 1]
    chunks = d.read_ptr[1:][g.op == g.ops.index("dispatch")] - d.read_ptr[:-1][g.op == 0]
    assert set(chunks.tolist()) == {1}          # one block per chunk, not one per row
    # zipf draws each token's experts: fewer rows alike, more blocks, the same bytes
    z = _graph(MOE, "zipf", 1.5, devices=2, tokens=12, hidden=40,
               sizes={"dispatch": 6, "combine": 6}).data
    zin = np.flatnonzero(z.tensor == z.tensors.index(INPUT))
    assert len(zin) > len(inp) and z.bytes[zin].sum() == d.bytes[inp].sum() == 24 * 80

def test_explicit_graphs_have_no_blocks():
    from pathlib import Path

    from hpdsl.generate import generate
    from hpdsl.lang import checked_target, load

    root = Path(__file__).resolve().parents[1]
    assert generate(checked_target(load(str(root / "examples" / "ft06.hpm")), None)).data is None
