"""Small graphs, machines and an ASAP list scheduler shared by the plan and emulator tests."""
from __future__ import annotations

import numpy as np

from hpdsl.cost import task_times
from hpdsl.latency import edge_latency
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule, check_schedule
from hpdsl.spec import CoreType, Hardware, Link, Memory, Queue


def hardware(cores=(("C", 2),), flags=16, sync=0, link_lat=0, launch=0, link_bw=None,
             mem_bw=None, cache=None, does=("*",)) -> Hardware:
    """A machine of `cores` (name, count), each with one queue `q` doing `does`."""
    return Hardware(
        "H", tuple(CoreType(c, k, (Queue("q", does),)) for c, k in cores),
        memory=Memory("M", 1 << 30, mem_bw) if mem_bw else None,
        cache=Memory("L2", cache[0], cache[1]) if cache else None,
        link=Link("L", link_bw or 1e9, link_lat), sync_flags=flags, sync_latency=sync,
        launch=launch)


def explicit(hw, times, edges, cores, devices=1, device=None) -> TaskGraph:
    """An explicit graph: task i takes times[i] ns on core type cores[i]."""
    kinds = tuple(sorted(set(cores)))
    n = len(times)
    return TaskGraph.build(
        name="g", hardware=hw, devices=devices, ops=("g",), kinds=kinds,
        cores=tuple((k,) for k in kinds), op=np.zeros(n), kind=[kinds.index(c) for c in cores],
        device=np.zeros(n) if device is None else device,
        src=[u for u, _ in edges], dst_edges=[v for _, v in edges], fixed_ns=times)


def list_schedule(graph: TaskGraph, machine: Machine, pick=None) -> Schedule:
    """ASAP list schedule in topological order; `pick(task, eligible workers, free)` chooses
    a worker (default: the earliest free). Tasks are released at the hardware's launch."""
    tt = task_times(graph, machine)
    free = {w.id: machine.hardware.launch for w in machine.workers}
    n = graph.n_tasks
    worker, start, end = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for t in graph.topological_order().tolist():
        ok = [w.id for w in machine.workers if w.device == graph.device[t]
              and tt[t, w.core_index] >= 0]
        w = pick(t, ok, free) if pick else min(ok, key=lambda x: (free[x], x))
        ready = max([free[w]] + [int(end[u]) + edge_latency(graph, machine, int(u), t, int(worker[u]), w)
                                 for u in graph.predecessors(t)])
        worker[t], start[t] = w, ready
        end[t] = ready + tt[t, machine.worker_core[w]]
        free[w] = int(end[t])
    s = Schedule("list", "heuristic", worker.astype(np.int32), start, end)
    check_schedule(graph, machine, s)
    return s


def test_list_schedule_is_valid_and_asap():
    hw = hardware(cores=(("C", 1), ("D", 1)), launch=7)
    g = explicit(hw, [5, 3, 2], [(0, 1), (0, 2)], ["C", "D", "C"])
    s = list_schedule(g, Machine.of(hw))
    assert s.start.tolist() == [7, 12, 12] and s.makespan == 15
