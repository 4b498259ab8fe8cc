"""Cost model: a task's time on a core type, and the latency of a dependency.

Roofline per task: max(flops / queue rate, bytes moved / memory bandwidth share) plus a
fixed per-task overhead; a `send` takes bytes / link bandwidth on the sending worker and
its data lands after the link latency. Explicit tasks take their fixed time. Formulas and
assumptions: docs/cost-model.md. Both the schedulers (to predict) and the emulator (to run,
before contention) use these functions, so an uncontended emulation matches the prediction.
"""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine

INELIGIBLE = -1


def task_times(graph: TaskGraph, machine: Machine) -> np.ndarray:
    """int64 array (n_tasks, n_core_types): ns to run each task on each core type, -1 if it cannot."""
    hw = machine.hardware
    n = graph.n_tasks
    out = np.full((n, len(hw.cores)), INELIGIBLE, dtype=np.int64)
    mem_bw = hw.memory.bandwidth if hw.memory else None
    for k, kind in enumerate(graph.kinds):
        sel = np.flatnonzero(graph.kind == k)
        if len(sel) == 0:
            continue
        for ci, core in enumerate(hw.cores):
            if core.name not in graph.cores[k] or not core.can(kind):
                continue
            q = core.queue_for(kind)
            t = np.zeros(len(sel), dtype=np.float64)
            fixed = graph.fixed_ns[sel]
            if q.rate:
                t = np.maximum(t, graph.flops[sel] / q.rate * 1e9)
            if mem_bw:
                share = mem_bw / max(1, core.count)
                t = np.maximum(t, (graph.bytes_in[sel] + graph.bytes_out[sel]) / share * 1e9)
            if hw.link is not None:
                t = np.maximum(t, graph.bytes_sent[sel] / hw.link.bandwidth * 1e9)
            t = np.where(fixed >= 0, fixed, np.ceil(t))
            out[sel, ci] = t.astype(np.int64)
    return out


def edge_latency(graph: TaskGraph, machine: Machine, u: int, v: int, wu: int, wv: int) -> int:
    """ns between u's end and v's earliest start when u runs on worker wu and v on wv.

    Same worker: 0 (queue order). Same device: the sync flag latency. A `send` whose data
    lands on v's device, or any cross-device edge: link latency plus sync latency.
    """
    if wu == wv:
        return 0
    hw = machine.hardware
    lat = hw.sync_latency
    du, dv = machine.worker_device[wu], machine.worker_device[wv]
    if du != dv or graph.dst[u] >= 0:
        lat += hw.link.latency if hw.link is not None else 0
    return int(lat)
