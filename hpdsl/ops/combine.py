"""`combine`: expert outputs return to their tokens' source devices and are summed there.

One `send` task per chunk of at most `chunk` rows of one (expert, destination device)
pair, on the expert's device. It reads every tile of its input that holds its rows (all
columns) and writes, through the routing map, the token rows of the destination. The sum
over a token's topk expert rows is counted as one add per element (`flops`), done as
the rows land (an accumulating put: `accumulates`, its writes read what is there). The
cost model counts no compulsory off-chip traffic for it (intermediates in L2).
"""
from __future__ import annotations

from hpdsl.ops.base import EXPERT, TOKEN, ChunkKind, Layer, OpTiles, Tensor


class Combine(ChunkKind):
    name = "combine"
    to_experts = False
    flops_per_element = 1.0
    accumulates = True             # a token's topk expert rows are summed as they land
    out_space = TOKEN
    spaces = (EXPERT,)

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        return self.chunks(layer, rule, inp, write_mapped=True)


KIND = Combine()
