"""`dispatch`: token rows leave their source device for their experts' devices.

One `send` task per chunk of at most `chunk` rows of one (source device, expert) pair,
on the source device (an AIV-driven one-sided put). A chunk never mixes experts. Rows
whose expert lives on the source device itself are sent too, as a put to the device's
own buffer (`dst == device`): HyperParallel-MoE puts to every rank including itself, so
every expert's rows arrive the same way. A local put writes its payload into the
device's own memory (`bytes_out`) and uses no link bandwidth; a remote put's write lands
in the other device's memory and is not counted here.

Off chip (`offchip`): a token is read by `topk` chunks, one per expert it chose, so each
chunk's share of the compulsory read is payload / topk; a local put's landing write goes
off chip only when intermediates spill.
"""
from __future__ import annotations

import numpy as np

from hpdsl.ops.base import (EXPERT, TOKEN, Layer, OpKind, OpTiles, Tensor, ceil_div, chunk_segments,
                            offchip, send_segments)


class Dispatch(OpKind):
    name = "dispatch"
    capability = "send"
    split = "chunk"
    needs_input = False
    out_space = EXPERT
    forwards_tokens = True   # a shared-expert matmul of a dispatch reads the same tokens
    spaces = (TOKEN,)

    def count(self, layer: Layer, rule, op, inp: Tensor) -> int:
        return int(ceil_div(layer.counts, rule.chunk).sum())

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        e, d, seg_lo, seg_len = send_segments(layer)
        seg, lo, hi = chunk_segments(seg_lo, seg_len, rule.chunk)
        expert = e[seg]
        payload = ((hi - lo) * inp.width * layer.dtype_bytes).astype(np.float64)
        src, dst = d[seg], layer.expert_device[expert]
        out = np.where(src == dst, payload, 0.0)
        hbm, spill = offchip(inp, payload / layer.topk, out)
        return OpTiles(
            space=EXPERT, lo=lo, hi=hi, device=src, expert=expert,
            row0=lo - layer.expert_off[expert], dst=dst,
            width=inp.width, col_w=inp.width, read_cols=(((0, inp.width),),),
            flops=np.zeros(len(lo)), bytes_in=payload,
            bytes_out=out, bytes_sent=payload, read_mapped=True,
            bytes_hbm=hbm, bytes_spill=spill)


KIND = Dispatch()
