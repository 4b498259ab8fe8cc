"""Small graphs, machines, an ASAP list scheduler and hand-made cases shared by the plan and
emulator tests."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

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


def one_queue_fanin():
    """a, b on C0 (in that order) and c on C1 after both: one wait covers both."""
    hw = hardware(cores=(("C", 2),))
    g = explicit(hw, [5, 5, 1], [(0, 2), (1, 2)], ["C", "C", "C"])
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([0, 0, 1], np.int32), np.array([0, 5, 10]),
                 np.array([5, 10, 11]))
    return hw, g, m, s


def relay(flags=16):
    """a (C0) -> x (C1) -> y (C2): C1 waits for all of C0's event before signalling its own."""
    hw = hardware(cores=(("C", 3),), sync=5, flags=flags)
    g = explicit(hw, [10, 10, 10], [(0, 1), (1, 2)], ["C"] * 3)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 15, 30]),
                 np.array([10, 25, 40]))
    return hw, g, Machine.of(hw), s


def two_queue_fanin(flags=16):
    """a (C0) and b (C1) -> c (C2): nothing orders a's signal and b's."""
    hw = hardware(cores=(("C", 3),), sync=5, flags=flags)
    g = explicit(hw, [10, 3, 1], [(0, 2), (1, 2)], ["C"] * 3)
    s = Schedule("m", "feasible", np.array([0, 1, 2], np.int32), np.array([0, 0, 15]),
                 np.array([10, 3, 16]))
    return hw, g, Machine.of(hw), s


def local_then_send():
    """C0 on device 0 runs a (-> c on device 0, fast) then s, a send to device 1 whose
    consumer c is on device 0 (its signal carries the link latency); c runs on C1."""
    hw = hardware(cores=(("C", 2),), sync=5, link_lat=7)
    g = TaskGraph.build(name="g", hardware=hw, devices=2, ops=("g",), kinds=("C",),
                        cores=(("C",),), op=[0] * 3, kind=[0] * 3, device=[0, 0, 0],
                        src=[0, 1], dst_edges=[2, 2], fixed_ns=[3, 4, 1], dst=[-1, 1, -1],
                        bytes_sent=[0, 8, 0])
    s = Schedule("m", "feasible", np.array([0, 0, 1], np.int32), np.array([0, 3, 19]),
                 np.array([3, 7, 20]))
    return hw, g, Machine.of(hw, 2), s


@st.composite
def dag_cases(draw):
    """(times, edges, cores, devices, device, sync, link, seed) of a random explicit graph
    on one or two devices."""
    n = draw(st.integers(2, 14))
    edges = [(u, v) for v in range(n) for u in range(v) if draw(st.integers(0, 2)) == 0]
    cores = [draw(st.sampled_from("CD")) for _ in range(n)]
    times = [draw(st.integers(0, 20)) for _ in range(n)]
    devs = draw(st.integers(1, 2))
    device = [draw(st.integers(0, devs - 1)) for _ in range(n)]
    return (times, edges, cores, devs, device, draw(st.integers(0, 9)), draw(st.integers(0, 9)),
            draw(st.integers(0, 10**6)))
