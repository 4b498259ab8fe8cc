"""`quantize(x)`: per-row scaling of its input, same shape (expert rows or tokens).

Each row is scaled by a factor from its absolute maximum, so a tile of columns [c, c+w)
reads all columns of its rows (to find the row's scale) and writes its own columns. The
output keeps the workload dtype's size (the scales are a rounding error in bytes).
Work: 2 operations per input element for the row maximum (abs, max) and 1 per output
element for the scaling. Without an input it reads the layer's input tokens.
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import Layer, OpKind, OpTiles, Tensor, grid_count, offchip, tile_grid, tile_shape

MAX_FLOPS_PER_ELEMENT = 2
SCALE_FLOPS_PER_ELEMENT = 1


class Quantize(OpKind):
    name = "quantize"
    capability = "vector"
    needs_input = False

    def count(self, layer, rule, op, inp) -> int:
        return grid_count(layer, inp.space, rule.tile[0], inp.width, rule.tile[1])

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        m, w = rule.tile
        width, dt = inp.width, layer.dtype_bytes
        lo, hi, dev, exp, row0, n_col = tile_grid(layer, inp.space, m, width, w)
        reads = (((0, width),),) * n_col
        rows, cols = tile_shape(lo, hi, width, w)
        elems = rows * cols
        # the n_col tiles of a row block all read its whole rows: off chip once
        din = inp.element_bytes(layer)
        hbm = offchip(inp, rows * width * din / n_col)
        return OpTiles(inp.space, lo, hi, dev, exp, row0, np.full(len(lo), -1), width, w, reads,
                       flops=MAX_FLOPS_PER_ELEMENT * rows * width + SCALE_FLOPS_PER_ELEMENT * elems,
                       bytes_in=rows * width * din, bytes_out=elems * dt, bytes_sent=0 * elems,
                       bytes_hbm=hbm)


KIND = Quantize()
