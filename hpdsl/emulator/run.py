"""The interpreter: runs every queue's stream on the event heap and records what happened.

Semantics (docs/emulator.md): the plan is one kernel launched at t=0, so every queue
starts at t = launch. `exec` occupies the queue for the task's cost-model time (longer
under contention); `wait` blocks until its counter reaches the count; `signal` adds one
to the counter after the sync latency (plus the link latency when the data or the
counter is on another device); a `barrier` holds every queue until all have reached
it, then the host launches the next kernel (`launch` ns). The schedule's predicted
times are never read. This module only records; `validate` judges.

Two interpreters give the same times: `dataflow` (no clock; used when no task's
bandwidth is shared) and `timed` (an event heap in time order, with `fluid` contention).
Both record only when each instruction completed; when its queue reached it is the
previous instruction's completion (or the launch), filled in here.
"""
from __future__ import annotations

import gc

import numpy as np

from hpdsl.cost import task_times
from hpdsl.emulator.dataflow import event_latency, run_dataflow
from hpdsl.emulator.demand import demands
from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.record import Record
from hpdsl.emulator.timed import Live, run_timed
from hpdsl.graph import TaskGraph
from hpdsl.latency import far, latency
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, SIGNAL, Plan

HBM, L2, LINK_OUT, LINK_IN = 0, 1, 2, 3   # resources per device, index = device * 4 + kind


def signal_latency(graph: TaskGraph, machine: Machine, plan: Plan) -> np.ndarray:
    """int64 per instruction: a signal's latency (0 elsewhere), as hpdsl.latency charges it."""
    hw = machine.hardware
    code = plan.code
    iq = plan.instruction_queue()
    last = plan.previous_exec()
    valid = last >= 0
    task = np.where(valid, plan.arg[np.maximum(last, 0)], 0)
    sig = code == SIGNAL
    ev = np.where(sig, plan.arg, 0)
    dev = plan.event_device[ev] if plan.n_events else machine.worker_device[iq]
    send = valid & (graph.dst[task] >= 0) if graph.n_tasks else np.zeros(len(code), bool)
    return np.where(sig, latency(hw, far(machine.worker_device[iq], dev, send)), 0).astype(np.int64)


def run_plan(graph: TaskGraph, machine: Machine, plan: Plan, contention: bool = True,
             l2: bool = True, engine: str = "auto") -> Record:
    """Run `plan` and return the record of every instruction's times. `engine`: "auto",
    or "timed" to force the event-heap interpreter (tests compare the two)."""
    hw = machine.hardware
    n, E = graph.n_tasks, plan.n_events
    times = task_times(graph, machine)
    iq = plan.instruction_queue()
    ex = np.flatnonzero(plan.code == EXEC)
    dur_a = np.zeros(len(plan.code), np.int64)
    dur_a[ex] = times[plan.arg[ex], machine.worker_core[iq[ex]]]
    if np.any(dur_a[ex] < 0):
        raise ValueError("plan executes a task on a queue that cannot run it; validate it first")
    lat_a = signal_latency(graph, machine, plan)
    ev_lat = event_latency(plan.code, plan.arg, iq, lat_a, E)
    code, arg, cnt, dur = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist(), dur_a.tolist()
    ptr = plan.ptr.tolist()
    flows = fluid = live = None
    # the run makes millions of small tuples and no reference cycles: the cyclic garbage
    # collector would only rescan them (a third of the time with contention)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        if contention and n:
            flows, fluid, live = _contention(graph, machine, plan, dur_a, ex, l2)
        if flows is None and ev_lat is not None and engine == "auto":
            done, pc, counter, processed = run_dataflow(code, arg, cnt, dur, ev_lat.tolist(),
                                                         ptr, E, hw.launch)
        else:
            done, pc, counter, processed = run_timed(
                code, arg, cnt, dur, lat_a.tolist(), None if ev_lat is None else ev_lat.tolist(),
                ptr, iq.tolist(), E, hw.launch, flows, fluid, live, l2 or hw.memory is None)
    finally:
        if gc_was:
            gc.enable()
    return _record(plan, n, hw.launch, ex, done, pc, counter, lat_a, processed)


def _contention(graph, machine, plan, dur_a, ex, l2):
    """(flows per instruction, Fluid, Live or None), or Nones when no task moves data."""
    hw = machine.hardware
    l2r, hbm, spill, sent = demands(graph, machine, plan, dur_a, ex)
    moving = (l2r > 0) | (hbm > 0) | (spill > 0) | (sent > 0)
    if not np.any(moving):
        return None, None, None
    caps = []
    for _ in range(machine.devices):
        caps += [hw.memory.bandwidth / 1e9 if hw.memory else 1.0,
                 hw.cache.bandwidth / 1e9 if hw.cache else 1.0,
                 hw.link.bandwidth / 1e9 if hw.link else 1.0,
                 hw.link.bandwidth / 1e9 if hw.link else 1.0]
    # links are the first stage: a send's memory demand counts at its link-bound rate
    fluid = Fluid(caps, [False, False, True, True] * machine.devices)
    # per flow its group and demands in both L2 states (which one applies is decided when
    # it starts, by the live data); a resource is in a group only where the demand is > 0,
    # or a task would be slowed by a resource it does not use
    flows: list = [None] * len(plan.code)
    task = plan.arg[ex[moving]]
    dev, dst = graph.device[task].tolist(), graph.dst[task].tolist()
    group = fluid.group
    memo: dict = {}
    for i, d, c, h, sp, s, dd in zip(ex[moving].tolist(), dev, l2r[moving].tolist(),
                                     hbm[moving].tolist(), spill[moving].tolist(),
                                     sent[moving].tolist(), dst):
        m = d * 4
        if c > 0:
            kb, base = (m + L2,), ((m + L2, c),)
        else:
            kb = base = ()
        if s > 0:
            o, n = m + LINK_OUT, dd * 4 + LINK_IN
            kl, link = (o, n), ((o, s), (n, s))
        else:
            kl = link = ()
        if h > 0:
            kf, fit = kb + (m + HBM,) + kl, base + ((m + HBM, h),) + link
        else:
            kf, fit = kb + kl, base + link
        if sp == h:
            ko, out = kf, fit
        elif sp > 0:
            ko, out = kb + (m + HBM,) + kl, base + ((m + HBM, sp),) + link
        else:
            ko, out = kb + kl, base + link
        gf = memo.get(kf, -1)
        if gf == -1:
            gf = memo[kf] = group(kf) if kf else None
        go = memo.get(ko, -1)
        if go == -1:
            go = memo[ko] = group(ko) if ko else None
        flows[i] = (d, gf, fit, go, out)
    live = None
    if l2 and hw.memory is not None and hw.cache is not None:
        live = Live(machine.devices, hw.cache.size,
                    np.where(graph.dst >= 0, graph.dst, graph.device).tolist(),
                    np.where(graph.dst >= 0, graph.bytes_sent, graph.bytes_out).tolist(),
                    np.diff(graph.succ_ptr).tolist(), graph.pred_ptr.tolist(), graph.pred.tolist())
    return flows, fluid, live


def _record(plan, n, launch, ex, done, pc, counter, lat_a, processed) -> Record:
    """Fill in reach (the previous instruction's completion), task start/end and where
    stuck queues stopped."""
    done_a = np.array(done, np.int64)
    reach = np.empty_like(done_a)
    if len(done_a):
        reach[1:] = done_a[:-1]
        ptr = plan.ptr
        reach[ptr[:-1][np.diff(ptr) > 0]] = launch
    start, end = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    task = plan.arg[ex]
    start[task], end[task] = reach[ex], done_a[ex]
    stop = plan.ptr[1:].tolist()
    blocked = np.array([p if p < s else -1 for p, s in zip(pc, stop)], dtype=np.int64)
    return Record(start=start, end=end, reach=reach, done=done_a, latency=lat_a, blocked=blocked,
                  counter=np.array(counter, np.int64), events_processed=processed)
