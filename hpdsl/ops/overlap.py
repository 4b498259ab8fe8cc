"""Edges between two ops' tiles by region overlap: sorted sweeps, never all pairs.

A consumer tile reads a rectangle of its input: a set of rows (a contiguous range of the
input's row space, or, for a dispatch, the tokens its expert rows came from) times a set
of column ranges. The producer's tiles form a grid of sorted row blocks times fixed-width
column blocks, so:

    rows:    consumer row block [a, b)  --searchsorted on the producer's sorted blocks-->
             the producer row blocks it overlaps (row by row through the routing map when
             a dispatch reads tokens or a combine wrote them)
    columns: consumer column ranges  --integer division by the block width-->  blocks
    edges:   every (row-block match) x (column-block match), one outer product
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import Layer, OpTiles, Tensor


def _expand(starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, value): for every i, values starts[i] .. starts[i]+lens[i]-1, owned by i."""
    lens = np.maximum(lens, 0)
    owner = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    k = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, np.repeat(np.asarray(starts, dtype=np.int64), lens) + k


def _writers(inp: Tensor, layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """CSR token row -> row blocks of `inp` writing it (inp writes through the routing map,
    its own layer's where it came from another layer)."""
    layer = inp.layer or layer
    blk, rows = _expand(inp.lo, inp.hi - inp.lo)
    tok = layer.token_of_row[rows]
    order = np.argsort(tok, kind="stable")
    ptr = np.zeros(layer.devices * layer.tokens + 1, dtype=np.int64)
    np.cumsum(np.bincount(tok, minlength=len(ptr) - 1), out=ptr[1:])
    return ptr, blk[order]


def row_matches(cons: OpTiles, inp: Tensor, layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """(consumer row block, producer row block) pairs whose rows overlap, sorted, unique."""
    if not cons.read_mapped and not inp.write_mapped:
        p0 = np.searchsorted(inp.hi, cons.lo, side="right")
        p1 = np.searchsorted(inp.lo, cons.hi, side="left")
        return _expand(p0, p1 - p0)
    ri, rows = _expand(cons.lo, cons.hi - cons.lo)
    if cons.read_mapped:
        rows = layer.token_of_row[rows]
    if inp.write_mapped:
        ptr, blk = _writers(inp, layer)
        owner, k = _expand(ptr[rows], ptr[rows + 1] - ptr[rows])
        ri, rp = ri[owner], blk[k]
    else:
        rp = np.searchsorted(inp.hi, rows, side="right")
        ok = rp < len(inp.lo)
        ok[ok] = inp.lo[rp[ok]] <= rows[ok]
        ri, rp = ri[ok], rp[ok]
    key = np.unique(ri * max(1, len(inp.lo)) + rp)
    return key // max(1, len(inp.lo)), key % max(1, len(inp.lo))


def col_matches(cons: OpTiles, inp: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(consumer column block, producer column block) pairs whose columns overlap."""
    cj, cp = [], []
    for j, ranges in enumerate(cons.read_cols):
        blocks = set()
        for c0, c1 in ranges:
            blocks.update(range(c0 // inp.col_w, (c1 - 1) // inp.col_w + 1))
        cj += [j] * len(blocks)
        cp += sorted(blocks)
    return np.array(cj, dtype=np.int64), np.array(cp, dtype=np.int64)


def dependencies(cons: OpTiles, first: int, inp: Tensor, layer: Layer):
    """(src, dst) task ids of every edge into `cons`'s tiles (task ids from `first`)."""
    if inp.op is None or len(inp.lo) == 0 or len(cons.lo) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    ri, rp = row_matches(cons, inp, layer)
    cj, cp = col_matches(cons, inp)
    src = inp.first + (rp * inp.n_col)[:, None] + cp[None, :]
    dst = first + (ri * cons.n_col)[:, None] + cj[None, :]
    return src.ravel(), dst.ravel()
