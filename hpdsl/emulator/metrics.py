"""Measurements over a record: starvation, exposed communication, per-op times.

All of them are sweeps over sorted interval end points (numpy, no per-task Python), so
they cost the same as sorting the tasks once. Utilization is `hpdsl.utilization`'s rule,
which schedules use too.
"""
from __future__ import annotations

import numpy as np

from hpdsl.emulator.result import OpStats
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
# re-exported under the names the emulator has imported from here
from hpdsl.utilization import core_utilization as utilization, worker_busy  # noqa: F401


def _sweep(t, group, deltas: list[np.ndarray]):
    """Sort end points by (group, time); return (lengths of the intervals between
    consecutive points of one group, running sums of each delta over those intervals, group)."""
    o = np.lexsort((t, group))
    t, group = t[o], group[o]
    sums = [np.cumsum(d[o]) for d in deltas]   # each group's deltas sum to 0
    if len(t) < 2:
        return np.zeros(0, np.int64), [s[:0] for s in sums], group[:0]
    length = np.where(group[1:] == group[:-1], t[1:] - t[:-1], 0)
    return length, [s[:-1] for s in sums], group[:-1]


def queue_classes(machine: Machine) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """(class per worker, [(core type index, queue name)] per class): the workers of one
    core type and one queue name are one class."""
    ids: dict[tuple[int, str], int] = {}
    cls = np.array([ids.setdefault((w.core_index, w.queue), len(ids)) for w in machine.workers],
                   np.int64)
    return cls, list(ids)


def starved(graph: TaskGraph, machine: Machine, start, end, worker, release: int) -> dict[str, float]:
    """ns per core type (mean over devices) with an idle worker of a task's queue class
    while the task is ready."""
    n, C = graph.n_tasks, len(machine.core_types)
    out = {c: 0.0 for c in machine.core_types}
    ran = np.flatnonzero(start >= 0)
    if len(ran) == 0:
        return out
    # ready: the latest dependency's end (the release time for sources)
    src, dst = graph.edges()
    ready = np.full(n, release, np.int64)
    if len(src):
        np.maximum.at(ready, dst, end[src])
    # a task waits for the queues of its worker's class (core type and queue: the ones
    # that do its capability), not for every queue of the core type, as bounds.py counts
    cls, ids = queue_classes(machine)
    Q = len(ids)
    grp = graph.device.astype(np.int64) * Q + cls[worker]
    cap = np.zeros(machine.devices * Q, np.int64)
    np.add.at(cap, machine.worker_device.astype(np.int64) * Q + cls, 1)
    r = ran
    wt = r[ready[r] < start[r]]
    one = lambda k: np.ones(len(k), np.int64)
    t = np.r_[ready[wt], start[wt], start[r], end[r]]
    g = np.r_[grp[wt], grp[wt], grp[r], grp[r]]
    dw = np.r_[one(wt), -one(wt), 0 * one(r), 0 * one(r)]
    db = np.r_[0 * one(wt), 0 * one(wt), one(r), -one(r)]
    length, (waiting, busy), gg = _sweep(t, g, [dw, db])
    bad = (waiting > 0) & (busy < cap[gg])
    core_of = np.array([ci for ci, _ in ids], np.int64)
    per = np.bincount(core_of[gg[bad] % Q], weights=length[bad], minlength=C)
    for ci, name in enumerate(machine.core_types):
        out[name] = float(per[ci]) / machine.devices
    return out


def exposed_comm(graph: TaskGraph, start, end) -> int:
    """ns (summed over devices) when a send runs on a device and no other task does."""
    ran = np.flatnonzero(start >= 0)
    send = graph.dst[ran] >= 0
    if not send.any():
        return 0
    s1 = send.astype(np.int64)
    c1 = 1 - s1
    g = graph.device[ran].astype(np.int64)
    t = np.r_[start[ran], end[ran]]
    ds = np.r_[s1, -s1]
    dc = np.r_[c1, -c1]
    length, (s, c), _ = _sweep(t, np.r_[g, g], [ds, dc])
    return int(length[(s > 0) & (c == 0)].sum())


def per_op(graph: TaskGraph, start, end) -> tuple[OpStats, ...]:
    out = []
    for k, name in enumerate(graph.ops):
        sel = np.flatnonzero((graph.op == k) & (start >= 0))
        if len(sel) == 0:
            continue
        out.append(OpStats(name, int(start[sel].min()), int(end[sel].max()),
                           int((end[sel] - start[sel]).sum()), len(sel)))
    return tuple(out)
