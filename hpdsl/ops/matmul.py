"""`matmul(x) n N`: a dense (shared-expert) matmul over each device's own tokens.

No routing: every device multiplies its `tokens` rows by a K x N weight, K the input's
width. Without an input (or reading a `dispatch`) it reads the layer's input tokens, the
same rows the dispatch sends; otherwise a token-space op (combine, quantize, matmul).
Tiles, dependencies and work are those of `grouped_matmul`, with devices in place of experts.
"""
from __future__ import annotations

from hpdsl.ops.base import TOKEN, OpKind, OpTiles, Tensor, grid_count
from hpdsl.ops.grouped_matmul import matmul_tiles


class Matmul(OpKind):
    name = "matmul"
    capability = "matmul"
    takes_n = True
    has_weights = True
    needs_input = False
    out_space = TOKEN
    spaces = (TOKEN,)

    def out_width(self, op, inp: Tensor) -> int:
        return op.n

    def count(self, layer, rule, op, inp) -> int:
        return grid_count(layer, TOKEN, rule.tile[0], op.n, rule.tile[1])

    def tiles(self, layer, rule, op, inp) -> OpTiles:
        return matmul_tiles(layer, rule, op, inp, TOKEN)


KIND = Matmul()
