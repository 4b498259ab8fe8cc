"""`dispatch`: token rows leave their source device for their experts' devices.

One `send` task per chunk of at most `chunk` rows of one (source device, expert) pair,
on the source device (an AIV-driven one-sided put). A chunk never mixes experts. Rows
whose expert lives on the source device itself are sent too, as a put to the device's
own buffer (`dst == device`): HyperParallel-MoE puts to every rank including itself, so
every expert's rows arrive the same way. A local put writes its payload into the
device's own memory (`bytes_out`) and uses no link bandwidth; a remote put's write lands
in the other device's memory and is not counted here.

Off chip (`offchip`): a token is read by `topk` chunks, one per expert it chose, so each
chunk's share of the compulsory read is payload / topk.
"""
from __future__ import annotations

from hpdsl.ops.base import EXPERT, TOKEN, ChunkKind, Layer, OpTiles, Tensor


class Dispatch(ChunkKind):
    name = "dispatch"
    needs_input = False
    computes = False         # a copy: no flops, so no rate is needed on its queue
    out_space = EXPERT
    forwards_tokens = True   # a shared-expert matmul of a dispatch reads the same tokens
    spaces = (TOKEN,)

    def read_share_of(self, layer: Layer) -> float:
        return 1.0 / layer.topk   # a token is read by topk chunks, one per chosen expert

    def tiles(self, layer: Layer, rule, op, inp: Tensor) -> OpTiles:
        return self.chunks(layer, rule, inp, read_mapped=True)


KIND = Dispatch()
