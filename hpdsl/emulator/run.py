"""The interpreter: runs every queue's stream on the event heap and records what happened.

Semantics (docs/emulator.md): the plan is one kernel launched at t=0, so every queue
starts at t = launch. `exec` occupies the queue for the task's cost-model time (longer
under contention); `wait` blocks until its counter reaches the count; `signal` adds one
to the counter after the sync latency (plus the link latency when the data or the
counter is on another device); a `barrier` holds every queue until all have reached
it, then the host launches the next kernel (`launch` ns). The schedule's predicted
times are never read. This module only records; `validate` judges.
"""
from __future__ import annotations

import heapq

import numpy as np

from hpdsl.cost import task_times
from hpdsl.emulator.env import BARRIER_RELEASES, SIGNAL_ARRIVES, TASK_ENDS, Environment
from hpdsl.emulator.demand import demands
from hpdsl.emulator.fluid import Fluid
from hpdsl.emulator.record import Record
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, SIGNAL, WAIT, Plan

HBM, L2, LINK_OUT, LINK_IN = 0, 1, 2, 3   # resources per device, index = device * 4 + kind


def signal_latency(graph: TaskGraph, machine: Machine, plan: Plan) -> np.ndarray:
    """int64 per instruction: a signal's latency (0 elsewhere), as cost.edge_latency charges it."""
    hw = machine.hardware
    code = plan.code
    iq = plan.instruction_queue()
    idx = np.arange(len(code))
    last = np.maximum.accumulate(np.where(code == EXEC, idx, -1)) if len(code) else idx
    valid = last >= plan.ptr[iq] if len(code) else np.zeros(0, bool)
    task = np.where(valid, plan.arg[np.maximum(last, 0)], 0)
    sig = code == SIGNAL
    ev = np.where(sig, plan.arg, 0)
    far = np.zeros(len(code), bool)
    if plan.n_events:
        far = plan.event_device[ev] != machine.worker_device[iq]
    far |= valid & (graph.dst[task] >= 0) if graph.n_tasks else far
    link = hw.link.latency if hw.link is not None else 0
    return np.where(sig, hw.sync_latency + far * link, 0).astype(np.int64)


def run_plan(graph: TaskGraph, machine: Machine, plan: Plan, contention: bool = True,
             l2: bool = True) -> Record:
    """Run `plan` and return the record of every instruction's times."""
    hw = machine.hardware
    n, W, E = graph.n_tasks, len(plan.queues), plan.n_events
    times = task_times(graph, machine)
    iq = plan.instruction_queue()
    ex = np.flatnonzero(plan.code == EXEC)
    dur_a = np.zeros(len(plan.code), np.int64)
    dur_a[ex] = times[plan.arg[ex], machine.worker_core[iq[ex]]]
    if np.any(dur_a[ex] < 0):
        raise ValueError("plan executes a task on a queue that cannot run it; validate it first")
    lat = signal_latency(graph, machine, plan).tolist()
    code, arg, cnt, dur = plan.code.tolist(), plan.arg.tolist(), plan.count.tolist(), dur_a.tolist()
    ptr = plan.ptr.tolist()

    # contention: per exec instruction its resource demands, or None when it moves no data
    flows: list = [None] * len(code)
    fluid = None
    live = cache_size = None
    if contention and n:
        mem, sent, fits = demands(graph, machine, plan, dur_a, ex)
        caps = []
        for _ in range(machine.devices):
            caps += [hw.memory.bandwidth / 1e9 if hw.memory else 1.0,
                     hw.cache.bandwidth / 1e9 if hw.cache else 1.0,
                     hw.link.bandwidth / 1e9 if hw.link else 1.0,
                     hw.link.bandwidth / 1e9 if hw.link else 1.0]
        fluid = Fluid(caps)
        tdev, tdst = graph.device.tolist(), graph.dst.tolist()
        for i, m, s, f in zip(ex.tolist(), mem.tolist(), sent.tolist(), fits.tolist()):
            if m > 0 or s > 0:
                t = arg[i]
                flows[i] = (tdev[t], m, f, (tdev[t] * 4 + LINK_OUT, s), (tdst[t] * 4 + LINK_IN, s)) \
                    if s > 0 else (tdev[t], m, f, None, None)
        if not l2 or hw.memory is None:
            pass
        elif hw.cache is not None:
            cache_size = hw.cache.size
            live = [0.0] * machine.devices
            out_dev = np.where(graph.dst >= 0, graph.dst, graph.device).tolist()
            out_bytes = np.where(graph.dst >= 0, graph.bytes_sent, graph.bytes_out).tolist()
            consumers = np.diff(graph.succ_ptr).tolist()
            pred_ptr, pred = graph.pred_ptr.tolist(), graph.pred.tolist()

    l2_on = l2 or hw.memory is None
    env = Environment()
    heap = env.heap
    push, pop = heapq.heappush, heapq.heappop
    pc = ptr[:-1]
    stop = ptr[1:]
    counter = [0] * E
    waiters: list[list[int]] = [[] for _ in range(E)]
    start, end = [-1] * n, [-1] * n
    reach, done = [-1] * len(code), [-1] * len(code)
    at_barrier = [0]
    serial = 0
    launch = hw.launch

    def advance(q: int, t: int) -> None:
        nonlocal serial
        i, e = pc[q], stop[q]
        while i < e:
            c = code[i]
            if c == EXEC:
                task = arg[i]
                start[task] = reach[i] = t
                pc[q] = i
                f = flows[i]
                if f is None:
                    push(heap, (t + dur[i], TASK_ENDS, serial, q, i, -1))
                    serial += 1
                    return
                dev, m, fit, lo, li = f
                # L2 if the cost model put the task there and the live data still fits
                if fit and (live is None or live[dev] <= cache_size) and l2_on:
                    dem = ((dev * 4 + L2, m),) if m > 0 else ()
                else:
                    dem = ((dev * 4 + HBM, m),) if m > 0 else ()
                if lo is not None:
                    dem += (lo, li)
                for when, j, v in fluid.add(i, t, dur[i], dem):
                    push(heap, (when, TASK_ENDS, serial, iq_l[j], j, v))
                    serial += 1
                return
            if c == WAIT:
                if reach[i] < 0:
                    reach[i] = t
                if counter[arg[i]] >= cnt[i]:
                    done[i] = t
                    i += 1
                    continue
                waiters[arg[i]].append(q)
                pc[q] = i
                return
            if c == SIGNAL:
                reach[i] = done[i] = t
                push(heap, (t + lat[i], SIGNAL_ARRIVES, serial, arg[i], i, 0))
                serial += 1
                i += 1
                continue
            reach[i] = t          # BARRIER
            pc[q] = i
            at_barrier[0] += 1
            if at_barrier[0] == W:
                push(heap, (t + launch, BARRIER_RELEASES, serial, 0, 0, 0))
                serial += 1
            return
        pc[q] = e

    iq_l = iq.tolist() if fluid is not None else None
    for q in range(W):
        advance(q, launch)
    processed = 0
    while heap:
        t, kind, _, a, b, c = pop(heap)
        processed += 1
        if kind == TASK_ENDS:
            if c >= 0:
                if fluid.ver.get(b) != c:
                    continue       # superseded by a rate change
                for when, j, v in fluid.remove(b, t):
                    push(heap, (when, TASK_ENDS, serial, iq_l[j], j, v))
                    serial += 1
            task = arg[b]
            end[task] = done[b] = t
            if live is not None:
                for p in pred[pred_ptr[task]:pred_ptr[task + 1]]:
                    consumers[p] -= 1
                    if consumers[p] == 0:
                        live[out_dev[p]] -= out_bytes[p]
                if consumers[task] > 0:
                    live[out_dev[task]] += out_bytes[task]
            pc[a] = b + 1
            advance(a, t)
        elif kind == SIGNAL_ARRIVES:
            counter[a] += 1
            ws = waiters[a]
            if ws:
                k = counter[a]
                ready = [q for q in ws if cnt[pc[q]] <= k]
                if ready:
                    waiters[a] = [q for q in ws if cnt[pc[q]] > k]
                    for q in ready:
                        i = pc[q]
                        done[i] = t
                        pc[q] = i + 1
                        advance(q, t)
        else:
            at_barrier[0] = 0
            for q in range(W):
                i = pc[q]
                done[i] = t
                pc[q] = i + 1
            for q in range(W):
                advance(q, t)
    env.processed = processed
    env.serial = serial
    blocked = np.array([pc[q] if pc[q] < stop[q] else -1 for q in range(W)], dtype=np.int64)
    return Record(start=np.array(start, np.int64), end=np.array(end, np.int64),
                  reach=np.array(reach, np.int64), done=np.array(done, np.int64),
                  latency=np.array(lat, np.int64), blocked=blocked,
                  counter=np.array(counter, np.int64), events_processed=processed)
