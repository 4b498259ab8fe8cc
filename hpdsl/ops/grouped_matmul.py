"""`grouped_matmul(x) n N`: per local expert, its rows x N outputs, contraction over x's width.

Tiles are `rows x cols` inside one expert's row range. A tile reads all input columns of
its rows, so it depends on every input tile overlapping its rows. Work per tile with K
the input width: flops 2*rows*cols*K; reads rows*K activations and K*cols weights; writes
rows*cols (all times the dtype size).
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import EXPERT, Layer, OpKind, OpTiles, Tensor, grid_count, tile_grid, tile_shape


def matmul_tiles(layer: Layer, rule, op, inp: Tensor, space: str) -> OpTiles:
    """Tiles of a matmul over `space` rows (shared by grouped_matmul and matmul)."""
    m, w = rule.tile
    n, k, dt = op.n, inp.width, layer.dtype_bytes
    lo, hi, dev, exp, row0, n_col = tile_grid(layer, space, m, n, w)
    rows, cols = tile_shape(lo, hi, n, w)
    return OpTiles(space, lo, hi, dev, exp, row0, np.full(len(lo), -1), n, w,
                   (((0, k),),) * n_col,
                   flops=2.0 * rows * cols * k,
                   bytes_in=(rows * k + k * cols) * dt,
                   bytes_out=rows * cols * dt,
                   bytes_sent=0.0 * rows)


class GroupedMatmul(OpKind):
    name = "grouped_matmul"
    capability = "matmul"
    takes_n = True
    spaces = (EXPERT,)

    def out_width(self, op, inp: Tensor) -> int:
        return op.n

    def count(self, layer, rule, op, inp) -> int:
        return grid_count(layer, EXPERT, rule.tile[0], op.n, rule.tile[1])

    def tiles(self, layer, rule, op, inp) -> OpTiles:
        return matmul_tiles(layer, rule, op, inp, EXPERT)


KIND = GroupedMatmul()
