"""Per-rank all-to-all bandwidth of an emulated run, as DeepEP-Ascend reports it.

For a send op (dispatch, combine): the bytes a die sends to other dies (mean over dies)
over the collective's time, from the first of the op's sends to start to the last to end
(a collective ends when every rank is done). Meaningful for a kernel-by-kernel plan, whose
collective runs alone; in a tile flow the span also holds the compute it overlaps.

    >>> # collective_bandwidth(graph, machine, result, "dispatch") -> bytes per second
"""
from __future__ import annotations

import numpy as np


def collective_bandwidth(graph, machine, result, op: str) -> float:
    """Bytes per second per die of op `op`'s sends to other dies in `result`."""
    o = graph.ops.index(op)
    t = np.flatnonzero(graph.op == o)
    remote = (graph.dst[t] >= 0) & (graph.dst[t] != graph.device[t])
    span = int(result.end[t].max() - result.start[t].min())
    sent = float(graph.bytes_sent[t][remote].sum()) / max(1, machine.devices)
    return sent / (span * 1e-9) if span > 0 else 0.0
