"""`swiglu(x)`: out = silu(gate) * up, where x's columns are [gate | up], each half wide.

A tile of columns [c, c+w) of the output reads the input's columns [c, c+w) (gate) and
[half + c, half + c + w) (up) of its rows. Work: FLOPS_PER_ELEMENT per output element;
reads 2*rows*w, writes rows*w elements. Every input element is read by exactly one tile,
and nothing of it is compulsory off-chip traffic (the cost model assumes it in L2).
"""
from __future__ import annotations

import numpy as np

from hpdsl.errors import UserError
from hpdsl.ops.base import Layer, OpKind, OpTiles, Tensor, grid_count, offchip, tile_grid, tile_shape

# silu(g) * u = g / (1 + exp(-g)) * u: negate-and-exp, add, divide, multiply by g,
# multiply by u. exp is counted as one operation, as vector units issue it as one
# instruction; the vector rate in the hardware spec is taken to be in these units.
FLOPS_PER_ELEMENT = 5


class Swiglu(OpKind):
    name = "swiglu"
    capability = "vector"

    def out_width(self, op, inp: Tensor) -> int:
        if inp.width % 2:
            raise UserError(f"swiglu '{op.name}' splits its input into gate and up halves, "
                            f"but '{inp.op}' is {inp.width} columns wide (odd)", op.loc)
        return inp.width // 2

    def count(self, layer, rule, op, inp) -> int:
        return grid_count(layer, inp.space, rule.tile[0], self.out_width(op, inp), rule.tile[1])

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        m, w = rule.tile
        half, dt = self.out_width(op, inp), layer.dtype_bytes
        lo, hi, dev, exp, row0, n_col = tile_grid(layer, inp.space, m, half, w)
        reads = tuple(((c, min(c + w, half)), (half + c, half + min(c + w, half)))
                      for c in range(0, half, w))
        rows, cols = tile_shape(lo, hi, half, w)
        elems = rows * cols
        din = inp.element_bytes(layer)
        hbm = offchip(inp, 2 * elems * din)
        return OpTiles(inp.space, lo, hi, dev, exp, row0, np.full(len(lo), -1), half, w, reads,
                       flops=FLOPS_PER_ELEMENT * elems, bytes_in=2 * elems * din,
                       bytes_out=elems * dt, bytes_sent=0 * elems,
                       bytes_hbm=hbm)


KIND = Swiglu()
