"""Explicit task graphs built straight from arrays, for the solver tests (no parser needed)."""
from __future__ import annotations

import numpy as np

from hpdsl.benchdata import DATA as BENCHDATA  # noqa: F401  (the tests' name for it)
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.spec import ANY, CoreType, Hardware, Link, Queue


def explicit(name, cores, tasks, sync_latency=0, launch=0, devices=1, link_latency=None):
    """cores: [(type, count)]; tasks: [(core, ns, [pred indices], device[, dst, bytes])]
    -> (graph, machine).

    A task's core may name several types joined by '|' (eligible for any of them). A task
    with a dst sends `bytes` to that device (1 byte = 1 ns on the link).
    """
    hw = Hardware(name=f"HW_{name}",
                  cores=tuple(CoreType(c, k, (Queue("q", (ANY,)),)) for c, k in cores),
                  sync_latency=sync_latency, launch=launch,
                  link=None if link_latency is None else Link("L", 1e9, link_latency))
    kinds = tuple(dict.fromkeys([c for c, _ in cores] + [t[0] for t in tasks]))
    src, dst = [], []
    for i, t in enumerate(tasks):
        for p in t[2]:
            src.append(p)
            dst.append(i)
    g = TaskGraph.build(
        name=name, hardware=hw, devices=devices, ops=(name,), kinds=kinds,
        cores=tuple(tuple(c.split("|")) for c in kinds), op=np.zeros(len(tasks), np.int32),
        kind=np.array([kinds.index(t[0]) for t in tasks], np.int16),
        device=np.array([t[3] if len(t) > 3 else 0 for t in tasks], np.int32),
        src=src, dst_edges=dst, fixed_ns=np.array([t[1] for t in tasks], np.int64),
        dst=np.array([t[4] if len(t) > 4 else -1 for t in tasks], np.int32),
        bytes_sent=np.array([t[5] if len(t) > 4 else 0 for t in tasks], np.float64),
        task_names=[f"t{i}" for i in range(len(tasks))])
    return g, Machine.of(hw, devices)


def jobshop(js, unit=1000):
    tasks = []
    for ops in js.jobs:
        for k, (m, d) in enumerate(ops):
            tasks.append((f"M{m}", d * unit, [len(tasks) - 1] if k else []))
    return explicit(js.name, [(f"M{i}", 1) for i in range(js.machines)], tasks)


def stg(s, procs, unit=1000):
    tasks = [("P", t * unit, list(p)) for t, p in zip(s.times, s.preds)]
    return explicit(s.name, [("P", procs)], tasks)
