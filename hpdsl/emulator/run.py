"""Runs a plan: prepares its streams, picks an interpreter and records what happened.

Semantics (docs/emulator.md): the plan is one kernel launched at t=0, so every queue
starts at t = launch. `exec` occupies the queue for the task's cost-model time (longer
under contention); `wait` blocks until its counter reaches the count; `signal` adds one
to the counter after the sync latency (plus the link latency when the data or the
counter is on another device); a `barrier` holds every queue until all have reached
it, then the host launches the next kernel (`launch` ns). The schedule's predicted
times are never read. This module only records; `validate` judges.

Two interpreters give the same times: `dataflow` (no clock; used when no task's
bandwidth is shared and no cache is modelled) and `timed` (an event heap in time order,
with `fluid` contention on the claims the `memory` model makes; the L2 cache model needs
time order, as what hits depends on what ran before).
Both record only when each instruction completed; when its queue reached it is the
previous instruction's completion (or the launch), filled in here.
"""
from __future__ import annotations

import gc

import numpy as np

from hpdsl import progress
from hpdsl.cost import task_times
from hpdsl.emulator.dataflow import event_latency, run_dataflow
from hpdsl.emulator.demand import check_sharing, claims_for, flows, fluid_for
from hpdsl.emulator.memory import memory_model
from hpdsl.emulator.record import Record
from hpdsl.emulator.streams import Outcome, Streams
from hpdsl.emulator.timed import run_timed
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, Plan
from hpdsl.plan.order import instruction_latency


def run_plan(graph: TaskGraph, machine: Machine, plan: Plan, contention: bool = True,
             l2: bool = True, engine: str = "auto", cache: bool = True,
             sharing: str = "proportional") -> Record:
    """Run `plan` and return the record of every instruction's times. `engine`: "auto",
    or "timed" to force the event-heap interpreter (tests compare the two); `cache`: model
    L2 as a cache of the graph's data blocks (False: the cost model's times); `sharing`:
    the bandwidth sharing rule (`demand.SHARING`)."""
    check_sharing(sharing)         # also when nothing is shared: a wrong name is a mistake
    hw = machine.hardware
    n, E = graph.n_tasks, plan.n_events
    times = task_times(graph, machine)
    iq = plan.instruction_queue()
    ex = np.flatnonzero(plan.code == EXEC)
    dur_a = np.zeros(len(plan.code), np.int64)
    dur_a[ex] = times[plan.arg[ex], machine.worker_core[iq[ex]]]
    if np.any(dur_a[ex] < 0):
        raise ValueError("plan executes a task on a queue that cannot run it; validate it first")
    lat_a = instruction_latency(plan, graph, machine)
    ev_lat = event_latency(plan.code, plan.arg, iq, lat_a, E)
    s = Streams(plan.code.tolist(), plan.arg.tolist(), plan.count.tolist(), dur_a.tolist(),
                plan.ptr.tolist(), E, hw.launch)
    # the run makes millions of small tuples and no reference cycles: the cyclic garbage
    # collector would only rescan them (a third of the time with contention)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        fluid = fluid_for(machine, sharing) if contention and n else None
        fl = flows(graph, machine, plan, dur_a, ex, fluid) if fluid is not None else None
        model = memory_model(graph, machine, plan, ex, s.dur,
                             None if fluid is None else claims_for(fluid, machine), l2, fl, cache)
        if not model.timed and ev_lat is not None and engine == "auto":
            out = run_dataflow(s, ev_lat.tolist())
        else:
            with progress.counter(n, "emulate") as bar:
                # lazy signals read one latency per event, not per instruction
                lazy = ev_lat is not None
                out = run_timed(s, [] if lazy else lat_a.tolist(),
                                ev_lat.tolist() if lazy else None, iq.tolist(), fluid, model, bar)
    finally:
        if gc_was:
            gc.enable()
    return _record(plan, n, hw.launch, ex, out, lat_a, model.traffic(graph.ops))


def _record(plan: Plan, n: int, launch: int, ex: np.ndarray, out: Outcome,
            lat_a: np.ndarray, traffic: dict) -> Record:
    """Fill in reach (the previous instruction's completion), task start/end and where
    stuck queues stopped."""
    done_a = np.array(out.done, np.int64)
    reach = np.empty_like(done_a)
    if len(done_a):
        reach[1:] = done_a[:-1]
        ptr = plan.ptr
        reach[ptr[:-1][np.diff(ptr) > 0]] = launch
    start, end = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    task = plan.arg[ex]
    start[task], end[task] = reach[ex], done_a[ex]
    stop = plan.ptr[1:].tolist()
    blocked = np.array([p if p < s else -1 for p, s in zip(out.pc, stop)], dtype=np.int64)
    return Record(start=start, end=end, reach=reach, done=done_a, latency=lat_a, blocked=blocked,
                  counter=np.array(out.counter, np.int64), events_processed=out.processed,
                  traffic=traffic)
