"""Chrome trace-event export: one process per device, one thread per worker queue.

Tasks are complete ("X") events named by op with the tile label in `args` (tasks of an
explicit graph, which has no ops, by their own names); a signal that
released a wait is a flow ("s" -> "f") from the producer's task to the consumer's next
task, so Perfetto draws the synchronization arrows. Times are in microseconds.
"""
from __future__ import annotations

import json

import numpy as np

from hpdsl.emulator.result import Result
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan import EXEC, SIGNAL, WAIT, Plan


def _us(ns) -> float:
    return ns / 1000.0


def trace_events(graph: TaskGraph, machine: Machine, plan: Plan, r: Result,
                 max_flows: int = 200_000) -> list[dict]:
    ev = []
    for d in range(machine.devices):
        ev.append({"ph": "M", "name": "process_name", "pid": d, "args": {"name": f"device {d}"}})
    for w in machine.workers:
        ev.append({"ph": "M", "name": "thread_name", "pid": w.device, "tid": w.id,
                   "args": {"name": w.name}})
        ev.append({"ph": "M", "name": "thread_sort_index", "pid": w.device, "tid": w.id,
                   "args": {"sort_index": w.id}})
    iq = plan.instruction_queue()
    ex = np.flatnonzero(plan.code == EXEC)
    name = graph.label if graph.task_names is not None else graph.op_name
    for i in ex.tolist():
        t = int(plan.arg[i])
        if r.start[t] < 0:
            continue
        w = machine.workers[iq[i]]
        ev.append({"ph": "X", "name": name(t), "cat": graph.kind_name(t), "pid": w.device,
                   "tid": w.id, "ts": _us(r.start[t]), "dur": _us(r.end[t] - r.start[t]),
                   "args": {"task": t, "tile": graph.label(t)}})
    ev += _flows(plan, r, iq, max_flows)
    return ev


def _flows(plan: Plan, r: Result, iq: np.ndarray, max_flows: int) -> list[dict]:
    """Flow arrows: the signal a wait needed (its event's count-th signal) -> the waiter's task."""
    rec = r.record
    code, arg, cnt = plan.code, plan.arg, plan.count
    n = len(code)
    idx = np.arange(n)
    # the task executed just before each instruction (signal's producer) and just after (waiter's)
    prev = np.maximum.accumulate(np.where(code == EXEC, idx, -1)) if n else idx
    nxt = np.minimum.accumulate(np.where(code == EXEC, idx, n)[::-1])[::-1] if n else idx
    sig = np.flatnonzero(code == SIGNAL)
    by_ev = {}
    for i in sig.tolist():
        by_ev.setdefault(int(arg[i]), []).append(i)
    out = []
    for k, i in enumerate(np.flatnonzero((code == WAIT) & (rec.done >= 0)).tolist()):
        if k >= max_flows:
            break
        sigs = by_ev.get(int(arg[i]), [])
        c = int(cnt[i])
        if c > len(sigs) or nxt[i] >= n or prev[sigs[c - 1]] < 0:
            continue
        s = sigs[c - 1]
        p, q = int(prev[s]), int(nxt[i])
        if iq[p] != iq[s] or iq[q] != iq[i]:
            continue
        pt, qt = int(arg[p]), int(arg[q])
        if r.end[pt] < 0 or r.start[qt] < 0:
            continue
        name = plan.event_names[arg[i]]
        wp, wq = iq[s], iq[i]
        out.append({"ph": "s", "id": k, "name": name, "cat": "sync", "pid": _dev(plan, wp),
                    "tid": int(wp), "ts": _us(r.end[pt])})
        out.append({"ph": "f", "bp": "e", "id": k, "name": name, "cat": "sync",
                    "pid": _dev(plan, wq), "tid": int(wq), "ts": _us(r.start[qt])})
    return out


def _dev(plan: Plan, q: int) -> int:
    return int(plan.queues[q].split(".", 1)[0][1:])


def chrome_trace(graph: TaskGraph, machine: Machine, plan: Plan, r: Result) -> str:
    """The trace as JSON text ({"traceEvents": [...]}), ready for Perfetto or chrome://tracing."""
    return json.dumps({"traceEvents": trace_events(graph, machine, plan, r),
                       "displayTimeUnit": "ns",
                       "otherData": {"makespan_ns": r.makespan, "scheduler": plan.header.scheduler}})
