"""What each executed task asks of the shared resources (memory levels and links).

The emulator's contention model (`fluid.py`) shares bandwidth between these demands; this
module decides the demands, the way `hpdsl.cost` decides uncontended times.
"""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import Plan


def demands(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray, ex: np.ndarray):
    """Per exec instruction: (device, HBM/L2 bytes per ns, link demands) at uncontended speed."""
    hw = machine.hardware
    t = plan.arg[ex]
    d = np.maximum(dur[ex], 1).astype(np.float64)
    nbytes = graph.bytes_in[t] + graph.bytes_out[t]
    mem = nbytes / d
    sent = np.where((graph.dst[t] >= 0) & (graph.dst[t] != graph.device[t]), graph.bytes_sent[t], 0.0) / d
    if hw.memory is None and hw.cache is None:
        mem = np.zeros_like(mem)
    if hw.link is None:
        sent = np.zeros_like(sent)
    # the level the cost model charged (cost.level_bandwidth): L2 when the task's bytes fit
    # its core's share of L2
    count = np.array([max(1, c.count) for c in hw.cores])[machine.worker_core[plan.instruction_queue()[ex]]]
    if hw.cache is None:
        fits = np.zeros(len(ex), bool)
    elif hw.memory is None:
        fits = np.ones(len(ex), bool)
    else:
        fits = nbytes <= hw.cache.size / count
    return mem, sent, fits
