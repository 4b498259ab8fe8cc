"""Cost model: a task's time on a core type, and the latency of a dependency.

Per workload task on core type C (with `count` instances per device), queue rate R:

    compute  = flops / R                                    (0 if the queue has no rate)
    memory   = max(bytes / (B_L2 / count),                  when the tile's bytes fit in C's
                   bytes_hbm / (B_HBM / count))             share of L2 (bytes = in + out;
                                                            bytes_hbm: its compulsory part)
             = bytes / (B_HBM / count)                      otherwise (no reuse possible)
    transfer = bytes_sent / B_link                          sends to another device only
                                                            (on a route of several links and
                                                            a fabric: its slowest resource,
                                                            hpdsl.topology.send_ns)
    time     = ceil(max(compute, memory, transfer) + overhead)
    overhead = TASK_OVERHEAD_CYCLES / clock                 (0 if the hardware has no clock)

Memory bandwidth is a fair share (every instance of the core type streaming at once, the
steady state of a tile flow); a send gets the whole link, and the emulator shares the
link between concurrent sends. Explicit graph tasks take exactly their fixed time. Formulas, assumptions and a worked example: docs/cost-model.md.
Both the schedulers (to predict) and the emulator (to run, before contention) use these
functions, so an uncontended emulation matches the prediction.
"""
from __future__ import annotations

import numpy as np

from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.spec import CoreType, Hardware
from hpdsl.topology import send_ns

INELIGIBLE = -1
# int64 ns summed over up to millions of tasks stay exact below this (the spec's limit on
# an explicit task's time, too)
MAX_TASK_NS = 3.6e12

# Per-task runtime overhead of workload tasks, in core clock cycles (an estimate, see
# docs/cost-model.md): reading the task descriptor and the dependency counter from global
# memory and the 32-byte atomic add that signals completion, about three global-memory
# round trips of ~300 cycles each. 1000 cycles = 541 ns at the A3's 1.85 GHz.
TASK_OVERHEAD_CYCLES = 1000


def task_overhead_ns(hw: Hardware) -> float:
    """Fixed ns added to every workload task on `hw` (0 when it declares no clock)."""
    return TASK_OVERHEAD_CYCLES / hw.clock * 1e9 if hw.clock else 0.0


def level_bandwidth(hw: Hardware, core: CoreType, nbytes: np.ndarray) -> np.ndarray:
    """Bytes/s one instance of `core` gets for tasks moving `nbytes` (0: no memory declared).

    L2 when the task's bytes fit in the core's share of L2 (its operands stay resident
    while neighbouring tiles reuse them), else HBM; the level's bandwidth is split evenly
    over the core type's instances.
    """
    per = max(1, core.count)
    if hw.cache is None and hw.memory is None:
        return np.zeros(len(nbytes))
    if hw.cache is None:
        return np.full(len(nbytes), hw.memory.bandwidth / per)
    if hw.memory is None:
        return np.full(len(nbytes), hw.cache.bandwidth / per)
    fits = nbytes <= hw.cache.size / per
    return np.where(fits, hw.cache.bandwidth, hw.memory.bandwidth) / per


def work_times(graph: TaskGraph, hw: Hardware, core: CoreType, sel: np.ndarray,
               offchip: bool = True) -> np.ndarray:
    """float ns for the workload tasks `sel` on one instance of `core` (before rounding).

    The tile flow as planned: a tile whose bytes fit its core's share of L2 moves them at
    its L2 share, and its compulsory part (`bytes_hbm`, an estimate) also at its HBM share,
    in parallel. `offchip=False`: every byte through L2 and no HBM part, what the
    emulator's cache model starts from before it adds the HBM traffic the order earns.
    """
    kind = graph.kinds[graph.kind[sel[0]]] if len(sel) else ""
    q = core.queue_for(kind)
    t = np.zeros(len(sel), dtype=np.float64)
    if graph.op_dtypes and q.rates:   # each op at its dtype's rate (0: no rate, free)
        rate = np.array([q.rate_for(dt) or 0.0 for dt in graph.op_dtypes])[graph.op[sel]]
        t = np.maximum(t, np.divide(graph.flops[sel] * 1e9, rate, out=np.zeros(len(sel)),
                                    where=rate > 0))
    elif q.rate:
        t = np.maximum(t, graph.flops[sel] / q.rate * 1e9)
    nbytes = graph.bytes_in[sel] + graph.bytes_out[sel]
    cached = hw.cache is not None and hw.memory is not None
    if offchip or not cached:
        bw = level_bandwidth(hw, core, nbytes)
    else:
        bw = np.full(len(sel), hw.cache.bandwidth / max(1, core.count))
    t = np.maximum(t, np.divide(nbytes * 1e9, bw, out=np.zeros(len(sel)), where=bw > 0))
    if cached and offchip:
        t = np.maximum(t, graph.bytes_hbm[sel] / hbm_share(hw, core) * 1e9)
    if hw.link is not None or hw.package_link is not None:
        t = np.maximum(t, send_ns(graph, hw, sel))
    return t + task_overhead_ns(hw)


def hbm_share(hw: Hardware, core: CoreType) -> float:
    """Bytes/s of HBM one instance of `core` gets (its type's instances all streaming)."""
    return hw.memory.bandwidth / max(1, core.count)


def _too_slow(graph: TaskGraph, hw: Hardware, core: CoreType, task: int, t: float):
    raise UserError(f"task {graph.label(task)} would take {t:.3g} ns on core type '{core.name}', "
                    f"above the limit of 1 hour (3.6e+12 ns); check the rates, bandwidths and "
                    f"clock of hardware '{hw.name}'", loc=hw.loc)


def _times(graph: TaskGraph, machine: Machine, offchip: bool) -> np.ndarray:
    """float64 (n_tasks, n_core_types): ns on each core type before rounding, -1 if it cannot."""
    hw = machine.hardware
    out = np.full((graph.n_tasks, len(hw.cores)), float(INELIGIBLE))
    for k, kind in enumerate(graph.kinds):
        sel = np.flatnonzero(graph.kind == k)
        if len(sel) == 0:
            continue
        fixed = graph.fixed_ns[sel]
        for ci, core in enumerate(hw.cores):
            if core.name not in graph.cores[k] or not core.can(kind):
                continue
            t = work_times(graph, hw, core, sel, offchip)
            slow = np.flatnonzero((fixed < 0) & ~(t <= MAX_TASK_NS))
            if len(slow):
                _too_slow(graph, hw, core, int(sel[slow[0]]), float(t[slow[0]]))
            out[sel, ci] = np.where(fixed >= 0, fixed, t)
    return out


def task_times(graph: TaskGraph, machine: Machine) -> np.ndarray:
    """int64 array (n_tasks, n_core_types): ns to run each task on each core type, -1 if it cannot."""
    return np.ceil(_times(graph, machine, True)).astype(np.int64)


def cached_times(graph: TaskGraph, machine: Machine) -> tuple[np.ndarray, np.ndarray]:
    """What the emulator's L2 model adds a task's earned HBM traffic to: per task and core
    type, the float ns of everything else (all its bytes through L2 at the core's share,
    compute, link, overhead; -1 where it cannot run), and per core type its HBM share in
    bytes/s. A task reading `h` bytes from HBM then takes
    ceil(max(base, h / share * 1e9 + overhead)) ns: exactly `task_times` when `h` is the
    estimate `bytes_hbm` and the tile fits its core's L2 share. Hardware with memory and
    cache only.
    """
    hw = machine.hardware
    return _times(graph, machine, False), np.array([hbm_share(hw, c) for c in hw.cores])


def floor_times(graph: TaskGraph, machine: Machine, times: np.ndarray | None = None) -> np.ndarray:
    """int64 (n_tasks, n_core_types): ns no run of a task can beat, -1 where it cannot run.

    The emulator's L2 model starts a task from `cached_times` (every byte through L2) and
    only adds to it (HBM misses, bandwidth sharing); the other memory models run the
    cost-model time. So a bound computed from these holds for emulated makespans too,
    where the cost-model times (`task_times`, HBM estimate included) may be beaten by a
    plan whose order hits in L2.
    """
    times = task_times(graph, machine) if times is None else times
    hw = machine.hardware
    if hw.cache is None or hw.memory is None:
        return times
    base = np.ceil(_times(graph, machine, False)).astype(np.int64)
    return np.where(times >= 0, np.minimum(times, base), times)


def fastest_times(graph: TaskGraph, machine: Machine, times: np.ndarray | None = None):
    """(ns, core type index) per task on its fastest eligible core type (-1, -1 if none)."""
    times = task_times(graph, machine) if times is None else times
    big = np.iinfo(np.int64).max
    t = np.where(times >= 0, times, big)
    if t.shape[1] == 0:
        return np.full(graph.n_tasks, -1, np.int64), np.full(graph.n_tasks, -1, np.int64)
    core = t.argmin(axis=1)
    best = t[np.arange(graph.n_tasks), core]
    return np.where(best == big, -1, best), np.where(best == big, -1, core)

