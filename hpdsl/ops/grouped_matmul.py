"""`grouped_matmul(x) n N`: per local expert, its rows x N outputs, contraction over x's width.

Tiles are `rows x cols` inside one expert's row range. A tile reads all input columns of
its rows, so it depends on every input tile overlapping its rows. Work per tile with K
the input width: flops 2*rows*cols*K; reads rows*K activations and K*cols weights; writes
rows*cols (all times the dtype size).

Off chip (`offchip`): an expert's K x N weights are read once and reused from L2 by all
its row blocks, so a tile's share is K*cols / (row blocks of its expert); its input rows
are read once and reused by the n_col column tiles, share rows*K / n_col.
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import EXPERT, Layer, OpKind, OpTiles, Tensor, grid_count, offchip, tile_grid, tile_shape


def matmul_tiles(layer: Layer, rule, op, inp: Tensor, space: str) -> OpTiles:
    """Tiles of a matmul over `space` rows (shared by grouped_matmul and matmul)."""
    m, w = rule.tile
    n, k, dt, din = op.n, inp.width, layer.dtype_bytes, inp.element_bytes(layer)
    lo, hi, dev, exp, row0, n_col = tile_grid(layer, space, m, n, w)
    rows, cols = tile_shape(lo, hi, n, w)
    # weights belong to an expert (expert space) or are one copy per device (token space)
    seg = exp if space == EXPERT else dev
    blocks = np.bincount(seg, minlength=int(seg.max()) + 1 if len(seg) else 0)[seg]
    weights = k * cols * dt / np.repeat(blocks, n_col)
    hbm = offchip(inp, rows * k * din / n_col, weights)
    return OpTiles(space, lo, hi, dev, exp, row0, np.full(len(lo), -1), n, w,
                   (((0, k),),) * n_col,
                   flops=2.0 * rows * cols * k,
                   bytes_in=rows * k * din + k * cols * dt,
                   bytes_out=rows * cols * dt,
                   bytes_sent=0.0 * rows, bytes_hbm=hbm)


class GroupedMatmul(OpKind):
    name = "grouped_matmul"
    capability = "matmul"
    takes_n = True
    has_weights = True
    spaces = (EXPERT,)

    def out_width(self, op, inp: Tensor) -> int:
        return op.n

    def count(self, layer, rule, op, inp) -> int:
        return grid_count(layer, EXPERT, rule.tile[0], op.n, rule.tile[1])

    def tiles(self, layer, rule, op, inp) -> OpTiles:
        return matmul_tiles(layer, rule, op, inp, EXPERT)


KIND = GroupedMatmul()
