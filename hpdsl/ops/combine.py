"""`combine`: expert outputs return to their tokens' source devices and are summed there.

One `send` task per chunk of at most `chunk` rows of one (expert, destination device)
pair, on the expert's device. It reads every tile of its input that holds its rows (all
columns) and writes, through the routing map, the token rows of the destination. The sum
over a token's topk expert rows is counted as one add per element (`flops`), done as
the rows land (an accumulating put). Off chip: each input row is read by exactly one chunk, so the
whole payload (and a local put's write) goes off chip when intermediates spill; the
accumulation on the destination is not charged (see docs/cost-model.md).
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import (EXPERT, TOKEN, Layer, OpKind, OpTiles, Tensor, ceil_div, chunk_segments,
                            offchip, send_segments)


class Combine(OpKind):
    name = "combine"
    capability = "send"
    split = "chunk"
    out_space = TOKEN
    spaces = (EXPERT,)

    def count(self, layer: Layer, rule, op, inp: Tensor) -> int:
        return int(ceil_div(layer.counts, rule.chunk).sum())

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        e, d, seg_lo, seg_len = send_segments(layer)
        seg, lo, hi = chunk_segments(seg_lo, seg_len, rule.chunk)
        expert = e[seg]
        elems = ((hi - lo) * inp.width).astype(np.float64)
        payload = elems * layer.dtype_bytes
        src, dst = layer.expert_device[expert], d[seg]
        out = np.where(src == dst, payload, 0.0)
        hbm, spill = offchip(inp, payload, out)
        return OpTiles(
            space=EXPERT, lo=lo, hi=hi, device=src, expert=expert,
            row0=lo - layer.expert_off[expert], dst=dst,
            width=inp.width, col_w=inp.width, read_cols=(((0, inp.width),),),
            flops=elems, bytes_in=payload, bytes_out=out, bytes_sent=payload,
            write_mapped=True, bytes_hbm=hbm, bytes_spill=spill)


KIND = Combine()
