"""What each executed task asks of the shared resources (memory levels and links).

The emulator's contention model (`fluid.py`) shares bandwidth between these demands; this
module decides the demands, the way `hpdsl.cost` decides uncontended times.

Memory traffic has two parts (docs/cost-model.md, "Reuse and compulsory traffic"): the
reuse traffic a tile moves between L2 and its core, and the compulsory part that goes off
chip. When the device's live intermediate data fits in L2 the off-chip part is
`bytes_hbm` (weights, the layer's input); when it does not (a spill) it is `bytes_spill`
(also the intermediate input once and the output write-back). A tile whose bytes do not
fit its core's share of L2 at all reuses nothing and moves everything off chip. A task
charges both parts at once, the reuse traffic to its device's L2 and the compulsory part
to its HBM, so AIC and AIV tiles streaming together contend for L2 as well as for HBM.
"""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import Plan


def _fits(graph: TaskGraph, machine: Machine, plan: Plan, t: np.ndarray, ex: np.ndarray):
    """Per exec instruction: does the task's tile fit its core's share of L2 (cost.level_bandwidth)."""
    hw = machine.hardware
    nbytes = graph.bytes_in[t] + graph.bytes_out[t]
    count = np.array([max(1, c.count) for c in hw.cores])[machine.worker_core[plan.instruction_queue()[ex]]]
    if hw.cache is None:
        return np.zeros(len(ex), bool)
    if hw.memory is None:
        return np.ones(len(ex), bool)
    return nbytes <= hw.cache.size / count


def memory_demands(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray,
                   ex: np.ndarray):
    """Per exec instruction, bytes per ns at uncontended speed: (L2, HBM, HBM when spilled).

    The emulator charges (L2, l2) + (HBM, hbm) while the device's live data fits in L2
    and (L2, l2) + (HBM, spill) when it does not.
    """
    hw = machine.hardware
    t = plan.arg[ex]
    d = np.maximum(dur[ex], 1).astype(np.float64)
    nbytes = graph.bytes_in[t] + graph.bytes_out[t]
    if hw.memory is None and hw.cache is None:
        z = np.zeros(len(ex))
        return z, z, z
    fits = _fits(graph, machine, plan, t, ex)
    if hw.memory is None:
        return nbytes / d, np.zeros(len(ex)), np.zeros(len(ex))
    l2 = np.where(fits, nbytes, 0.0) / d
    hbm = np.where(fits, graph.bytes_hbm[t], nbytes) / d
    spill = np.where(fits, graph.bytes_spill[t], nbytes) / d
    return l2, hbm, spill


def demands(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray, ex: np.ndarray):
    """Per exec instruction, bytes per ns at uncontended speed: (L2, HBM while the device's
    live data fits in L2, HBM when it has spilled, link).

    A task demands its L2 rate and one of the two off-chip rates at once (which one is
    decided when it starts, from the live data), plus, for a send to another device, its
    link rate on the sender's injection and the receiver's ejection. A tile that does not
    fit its core's L2 share has no L2 rate and the same off-chip rate in both states.
    """
    hw = machine.hardware
    t = plan.arg[ex]
    d = np.maximum(dur[ex], 1).astype(np.float64)
    sent = np.where((graph.dst[t] >= 0) & (graph.dst[t] != graph.device[t]), graph.bytes_sent[t], 0.0) / d
    if hw.link is None:
        sent = np.zeros_like(sent)
    l2, hbm, spill = memory_demands(graph, machine, plan, dur, ex)
    return l2, hbm, spill, sent
