"""The one edge-latency rule: ns from a producer's end to the earliest start of a consumer.

    same worker                                   0   (queue order keeps it)
    across a kernel barrier                       0   (the host synchronization stands for it)
    same device, producer not a send              sync latency
    another device, or the producer is a send     sync latency + link latency

A send's data lands through the link even on its own device (a put to the sender's own
buffer goes the same put-and-signal way), so it pays the link latency too. The cost
model, the schedulers, plan lowering, flag sharing, the emulator's signals and the
validator call `far` and `latency` (arrays or scalars alike); nothing else writes this
rule.

    >>> from hpdsl.spec import Hardware, Link
    >>> hw = Hardware("H", (), link=Link("L", 1e9, 1000), sync_latency=100)
    >>> [int(latency(hw, far(0, d, s))) for d, s in ((0, False), (1, False), (0, True))]
    [100, 1100, 1100]
"""
from __future__ import annotations

import numpy as np

from hpdsl.spec import Hardware


def link_latency(hw: Hardware) -> int:
    """ns a transfer between devices adds (0 when the hardware declares no link): the
    largest latency of the hardware's links, whichever a send's route takes (one figure
    per hardware keeps each event to one latency; docs/design.md, "Routes")."""
    return max((int(k.latency) for k in (hw.link, hw.package_link) if k is not None), default=0)


def max_latency(hw: Hardware) -> int:
    """The largest latency any edge between two workers can have."""
    return int(hw.sync_latency) + link_latency(hw)


def far(producer_device, consumer_device, after_send):
    """Whether a dependency pays the link latency: the devices differ or the producer is a
    send. Scalars or numpy arrays."""
    return np.not_equal(producer_device, consumer_device) | np.asarray(after_send, bool)


def latency(hw: Hardware, is_far):
    """ns between two different workers: the sync latency, plus the link latency where
    `is_far` (see `far`). int64, scalar or array."""
    return np.int64(hw.sync_latency) + np.asarray(is_far, bool).astype(np.int64) * link_latency(hw)


def edge_latency(graph, machine, u: int, v: int, wu: int, wv: int) -> int:
    """ns between u's end and v's earliest start when u runs on worker wu and v on wv."""
    if wu == wv:
        return 0
    return int(latency(machine.hardware, far(machine.worker_device[wu],
                                             machine.worker_device[wv], graph.dst[u] >= 0)))


def graph_latencies(graph, hw: Hardware, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """int64 per edge src -> dst of `graph`: its latency when the two ends run on different
    workers (each task runs on its own device)."""
    return latency(hw, far(graph.device[src], graph.device[dst], graph.dst[src] >= 0))
