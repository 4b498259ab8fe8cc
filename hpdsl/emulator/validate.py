"""The validator: reads a `Record` and judges it; the interpreter never decides what is wrong.

Findings: a task that started before a dependency's data was there (the plan lacks a
sync; a dependency across a barrier needs only to have ended, as the barrier is a host
synchronization), a deadlock (queues waiting on each other in a cycle), a wait whose
count exceeds every signal its event will ever get, more live sync flags on a device
than it has (a flag shared by events in turn counts once), events sharing a flag out of
turn (a wrong base, or a signal arriving before the previous event's last), and tiles
larger than their core's buffer.
"""
from __future__ import annotations

import networkx as nx
import numpy as np

from hpdsl.emulator.record import Record
from hpdsl.emulator.result import Finding
from hpdsl.graph import TaskGraph
from hpdsl.latency import graph_latencies
from hpdsl.machine import Machine
from hpdsl.plan import BARRIER, EXEC, SIGNAL, WAIT, Plan
from hpdsl.plan.flags import base_wanted, flag_key


def validate(graph: TaskGraph, machine: Machine, plan: Plan, rec: Record,
             limit: int = 20) -> tuple[Finding, ...]:
    out = []
    out += _missing_sync(graph, machine, plan, rec, limit)
    out += _stuck(graph, plan, rec)
    out += _flags(machine, plan, rec)
    out += _buffers(graph, machine, plan)
    return tuple(out)


def _missing_sync(graph, machine, plan, rec, limit) -> list[Finding]:
    hw = machine.hardware
    w = plan.exec_queue(graph.n_tasks)
    src, dst = graph.edges()
    if len(src) == 0:
        return []
    # no latency on one queue, nor across a barrier (all earlier data is visible after it)
    k = plan.exec_kernel(graph.n_tasks)
    lat = np.where((w[src] == w[dst]) | (k[src] != k[dst]), 0,
                   graph_latencies(graph, hw, src, dst))
    ran = (rec.end[src] >= 0) & (rec.start[dst] >= 0)
    early = np.flatnonzero(ran & (rec.start[dst] < rec.end[src] + lat))
    out = []
    for v in np.unique(dst[early])[:limit]:
        us = src[early][dst[early] == v]
        deps = ", ".join(f"{graph.label(int(u))} (task {u} on '{plan.queues[w[u]]}', ends at "
                         f"{rec.end[u]} ns, data there at {rec.end[u] + lat[early][dst[early] == v][k]} ns)"
                         for k, u in enumerate(us))
        out.append(Finding(
            "missing-sync",
            f"{graph.label(int(v))} (task {v}) on '{plan.queues[w[v]]}' started at {rec.start[v]} ns, "
            f"before its dependency {deps} was done: the plan lacks a sync",
            tasks=(int(v),) + tuple(int(u) for u in us),
            queues=(plan.queues[w[v]],) + tuple(plan.queues[w[u]] for u in us),
            times=(int(rec.start[v]),) + tuple(int(rec.end[u]) for u in us)))
    rest = len(np.unique(dst[early])) - limit
    if rest > 0:
        out.append(Finding("missing-sync", f"... and {rest} more tasks started before a dependency was done"))
    return out


def _next_task(plan, q, i) -> int:
    e = plan.ptr[q + 1]
    ex = np.flatnonzero(plan.code[i:e] == EXEC)
    return int(plan.arg[i + ex[0]]) if len(ex) else -1


def _stuck(graph, plan, rec) -> list[Finding]:
    stuck = np.flatnonzero(rec.blocked >= 0)
    if len(stuck) == 0:
        return []
    code, arg, cnt = plan.code, plan.arg, plan.count
    iq = plan.instruction_queue()
    sig = np.flatnonzero(code == SIGNAL)
    total = np.bincount(arg[sig], minlength=plan.n_events)
    producers: dict[int, set[int]] = {}
    for e, q in zip(arg[sig].tolist(), iq[sig].tolist()):
        producers.setdefault(e, set()).add(q)
    out, g = [], nx.DiGraph()
    at_barrier = [int(q) for q in stuck if code[rec.blocked[q]] == BARRIER]
    for q in stuck.tolist():
        i = int(rec.blocked[q])
        if code[i] == WAIT:
            e = int(arg[i])
            if cnt[i] > total[e]:
                t = _next_task(plan, q, i)
                out.append(Finding(
                    "never-satisfied",
                    f"queue '{plan.queues[q]}' instruction {i - plan.ptr[q]} waits for event "
                    f"'{plan.event_names[e]}' to reach {cnt[i]}, but the plan signals it only "
                    f"{total[e]} times" + (f"; {graph.label(t)} (task {t}) never runs" if t >= 0 else ""),
                    tasks=(t,) if t >= 0 else (), queues=(plan.queues[q],), times=(int(rec.reach[i]),)))
                continue
            for p in sorted(producers.get(e, ())):
                if rec.blocked[p] >= 0:
                    g.add_edge(q, p, why=f"waits for event '{plan.event_names[e]}' to reach "
                                         f"{cnt[i]} (it is at {rec.counter[e]}) from")
        elif code[i] == BARRIER:
            for p in stuck.tolist():
                if p not in at_barrier:
                    g.add_edge(q, p, why=f"waits at barrier {arg[i]} for")
    for comp in nx.strongly_connected_components(g):
        if len(comp) < 2 and not any(g.has_edge(c, c) for c in comp):
            continue
        cyc = nx.find_cycle(g.subgraph(comp))
        parts = [f"'{plan.queues[a]}' {g.edges[a, b]['why']} '{plan.queues[b]}'" for a, b in cyc]
        qs = [a for a, _ in cyc]
        tasks = tuple(t for t in (_next_task(plan, q, int(rec.blocked[q])) for q in qs) if t >= 0)
        out.append(Finding(
            "deadlock", "queues wait for each other in a cycle: " + "; ".join(parts) +
            f"; {len(stuck)} queues never finish",
            tasks=tasks, queues=tuple(plan.queues[q] for q in qs),
            times=tuple(int(rec.reach[rec.blocked[q]]) for q in qs)))
    if not out:
        out.append(Finding("deadlock", f"{len(stuck)} queues never finish, e.g. "
                           f"'{plan.queues[stuck[0]]}' at instruction {rec.blocked[stuck[0]] - plan.ptr[stuck[0]]}",
                           queues=tuple(plan.queues[q] for q in stuck[:10])))
    return out


def event_lifetimes(plan: Plan, rec: Record) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) ns per event: from its first signal or wait to its last arrival or wake-up."""
    E = plan.n_events
    first = np.full(E, np.iinfo(np.int64).max, np.int64)
    last = np.full(E, -1, np.int64)
    code, arg = plan.code, plan.arg.astype(np.int64)
    for op, begin, finish in ((SIGNAL, rec.reach, rec.done + rec.latency), (WAIT, rec.reach, rec.done)):
        sel = np.flatnonzero((code == op) & (begin >= 0))
        np.minimum.at(first, arg[sel], begin[sel])
        fin = np.where(rec.done[sel] >= 0, finish[sel], np.iinfo(np.int64).max // 2)
        np.maximum.at(last, arg[sel], fin)
    return first, last


def _flags(machine, plan, rec) -> list[Finding]:
    if plan.n_events == 0:
        return []
    first, last = event_lifetimes(plan, rec)
    used = np.flatnonzero(last >= 0)
    out = []
    limit = machine.hardware.sync_flags
    # a flag is live from the first use of its first event to the last of its last one
    key = flag_key(plan, machine.devices)
    fk, inv = np.unique(key[used], return_inverse=True)
    inv = inv.reshape(-1)
    f_first = np.full(len(fk), np.iinfo(np.int64).max, np.int64)
    f_last = np.full(len(fk), -1, np.int64)
    np.minimum.at(f_first, inv, first[used])
    np.maximum.at(f_last, inv, last[used])
    f_dev = np.zeros(len(fk), np.int64)
    f_dev[inv] = plan.event_device[used]
    # sweep per device: +1 at first, -1 at last (a flag freed at t is free for t)
    t = np.r_[f_first, f_last]
    d = np.r_[np.ones(len(fk), np.int64), -np.ones(len(fk), np.int64)]
    g = np.r_[f_dev, f_dev]
    o = np.lexsort((d, t, g))
    live = np.cumsum(d[o])
    for dv in np.unique(f_dev):
        sel = g[o] == dv
        k = int(np.argmax(np.where(sel, live, -1)))
        if live[k] > limit:
            when = int(t[o][k])
            ev = used[(f_dev[inv] == dv) & (first[used] <= when) & (last[used] > when)]
            names = [plan.event_names[e] for e in ev]
            out.append(Finding(
                "flag-overflow",
                f"device {dv} has {live[k]} sync flags live at {when} ns but the hardware has "
                f"{limit} per device (e.g. {', '.join(names[:4])})",
                times=(when,)))
    return out + _clashes(plan, rec, key)


def _clashes(plan, rec, key) -> list[Finding]:
    """Events sharing a flag must count on it in turn: each from the signals of those before
    it, and all of one's signals arriving before the first of the next."""
    o, want = base_wanted(plan, key)
    k = key[o]
    pairs = np.flatnonzero(k[1:] == k[:-1])
    if len(pairs) == 0:
        return []
    sig = np.flatnonzero((plan.code == SIGNAL) & (rec.done >= 0))
    ev = plan.arg[sig].astype(np.int64)
    arrive = rec.done[sig] + rec.latency[sig]
    a_first = np.full(plan.n_events, np.iinfo(np.int64).max, np.int64)
    a_last = np.full(plan.n_events, -1, np.int64)
    np.minimum.at(a_first, ev, arrive)
    np.maximum.at(a_last, ev, arrive)
    out = []
    for i in pairs.tolist():
        a, b = int(o[i]), int(o[i + 1])
        where = f"share flag {plan.event_flag[a]} on device {plan.event_device[a]}"
        names = f"events '{plan.event_names[a]}' and '{plan.event_names[b]}'"
        if plan.event_base[b] != want[i + 1]:
            out.append(Finding("flag-clash", f"{names} {where}, but the second counts from "
                               f"{plan.event_base[b]}, not from {want[i + 1]} (the signals before it)"))
        elif a_first[b] < a_last[a]:
            out.append(Finding("flag-clash", f"{names} {where}, but a signal of the second "
                               f"arrives at {a_first[b]} ns, before the last of the first "
                               f"({a_last[a]} ns)", times=(int(a_first[b]), int(a_last[a]))))
        if len(out) == 5:
            break
    return out


def working_set(graph: TaskGraph, k_slice: np.ndarray) -> np.ndarray:
    """Bytes a tile holds in its core's buffer: its output block, plus for matmul tiles one
    K-slice of both operands, `k_slice` (per task: its core type's) elements deep; 0 where
    the graph has no tile shape (sends, explicit tasks)."""
    shaped = (graph.rows > 0) & (graph.cols > 0) & (graph.bytes_out > 0) & (graph.dst < 0)
    area = np.maximum(graph.rows.astype(np.float64) * graph.cols, 1)
    elem = np.where(shaped, graph.bytes_out / area, 0)
    mm = np.array([k == "matmul" for k in graph.kinds], bool)[graph.kind] if graph.n_tasks else shaped
    ws = np.where(shaped, graph.bytes_out + mm * (graph.rows + graph.cols) * k_slice * elem, 0)
    return ws


def _buffers(graph, machine, plan) -> list[Finding]:
    if graph.n_tasks == 0:
        return []
    w = plan.exec_queue(graph.n_tasks)
    core = machine.worker_core[np.maximum(w, 0)]
    ws = working_set(graph, np.array([c.k_slice for c in machine.hardware.cores])[core])
    cap = np.array([max((b.size for b in c.buffers), default=0) for c in machine.hardware.cores],
                   np.float64)
    over = np.flatnonzero((w >= 0) & (cap[core] > 0) & (ws > cap[core]))
    out = []
    for op in np.unique(graph.op[over]):
        sel = over[graph.op[over] == op]
        t = int(sel[np.argmax(ws[sel])])
        c = machine.hardware.cores[core[t]]
        big = max(c.buffers, key=lambda b: b.size)
        out.append(Finding(
            "buffer-overflow",
            f"{len(sel)} tiles of op '{graph.ops[op]}' hold more than {c.name}'s largest buffer "
            f"({big.name}, {big.size} bytes), e.g. {graph.label(t)} (task {t}) needs {int(ws[t])} "
            f"bytes; they must be split again inside the kernel",
            tasks=(t,), queues=(plan.queues[w[t]],), severity="warning"))
    return out
