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

`flows` turns the rates into what the interpreter hands to `Fluid`: per exec instruction
a `Flow` with a `Claim` (resource group and demands) in each L2 state; which state
applies is the memory model's call (`memory.py`), when the task starts.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hpdsl.emulator.fluid import Fluid
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


class Rates(NamedTuple):
    """Per exec instruction, bytes per ns at uncontended speed (float arrays)."""

    l2: np.ndarray             # reuse traffic, on the device's L2
    hbm: np.ndarray            # off chip while the device's live data fits in L2
    spill: np.ndarray          # off chip once it has spilled
    link: np.ndarray           # a send to another device, on both ends' links


def demands(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray,
            ex: np.ndarray) -> Rates:
    """Per exec instruction, bytes per ns at uncontended speed: L2, HBM while the device's
    live data fits in L2, HBM when it has spilled, link.

    A task demands its L2 rate and one of the two off-chip rates at once (which one is
    decided when it starts, by the memory model), plus, for a send to another device, its
    link rate on the sender's injection and the receiver's ejection. A tile that does not
    fit its core's L2 share has no L2 rate and the same off-chip rate in both states.
    """
    hw = machine.hardware
    t = plan.arg[ex]
    d = np.maximum(dur[ex], 1).astype(np.float64)
    sent = np.where((graph.dst[t] >= 0) & (graph.dst[t] != graph.device[t]), graph.bytes_sent[t], 0.0) / d
    if hw.link is None:
        sent = np.zeros_like(sent)
    return Rates(*memory_demands(graph, machine, plan, dur, ex), sent)


HBM, L2, LINK_OUT, LINK_IN = 0, 1, 2, 3   # resources per device, index = device * 4 + kind


class Claim(NamedTuple):
    """What a running task asks of `Fluid`: its group (the resources it is on) and its
    demands, ((resource, bytes per ns at uncontended speed), ...), each positive."""

    group: int
    demands: tuple[tuple[int, float], ...]


class Flow(NamedTuple):
    """An exec instruction's claims in both L2 states; None where that state moves no data
    (the task then takes its cost-model time whatever the other tasks do)."""

    device: int
    fit: Claim | None          # while the device's live data fits in L2
    spill: Claim | None        # once it has spilled


def fluid_for(machine: Machine) -> Fluid:
    """A `Fluid` over every device's HBM, L2, link injection and link ejection, in
    bytes per ns (1 where the hardware lacks the level: no demand is ever put on it)."""
    hw = machine.hardware

    def gb(level) -> float:
        return level.bandwidth / 1e9 if level is not None else 1.0

    # links are the first stage: a send's memory demand counts at its link-bound rate
    return Fluid([gb(hw.memory), gb(hw.cache), gb(hw.link), gb(hw.link)] * machine.devices,
                 [False, False, True, True] * machine.devices)


def flows(graph: TaskGraph, machine: Machine, plan: Plan, dur: np.ndarray, ex: np.ndarray,
          fluid: Fluid) -> list[Flow | None] | None:
    """Per instruction its `Flow` (None for an exec that moves no data, and for every
    other instruction), or None when no task moves data. Groups are made in `fluid`."""
    r = demands(graph, machine, plan, dur, ex)
    moving = (r.l2 > 0) | (r.hbm > 0) | (r.spill > 0) | (r.link > 0)
    if not np.any(moving):
        return None
    out: list[Flow | None] = [None] * len(plan.code)
    task = plan.arg[ex[moving]]
    groups: dict[tuple, int] = {}
    # tiles of one op on one device mostly ask the same: build each distinct flow once
    made: dict[tuple, Flow] = {}
    keys = zip(graph.device[task].tolist(), graph.dst[task].tolist(), r.l2[moving].tolist(),
               r.hbm[moving].tolist(), r.spill[moving].tolist(), r.link[moving].tolist())
    for i, key in zip(ex[moving].tolist(), keys):
        f = made.get(key)
        if f is None:
            f = made[key] = _flow(*key, groups, fluid)
        out[i] = f
    return out


def _flow(d: int, dd: int, c: float, h: float, sp: float, s: float, groups: dict,
          fluid: Fluid) -> Flow:
    """The flow of a task on device d (a send to dd) with L2 rate c, HBM rates h (fits)
    and sp (spilled), link rate s. A resource is in a group only where the demand is > 0,
    or the task would be slowed by a resource it does not use."""
    m = d * 4
    base = ((m + L2, c),) if c > 0 else ()
    link = ((m + LINK_OUT, s), (dd * 4 + LINK_IN, s)) if s > 0 else ()

    def claim(hbm: float) -> Claim | None:
        dm = base + ((m + HBM, hbm),) + link if hbm > 0 else base + link
        if not dm:
            return None
        res = tuple(r for r, _ in dm)
        g = groups.get(res)
        if g is None:
            g = groups[res] = fluid.group(res)
        return Claim(g, dm)

    fit = claim(h)
    return Flow(d, fit, fit if sp == h else claim(sp))
