"""`check_plan`: a static proof that a plan keeps every dependency of its graph and shares
its flags soundly (`check_sharing`).

An edge u -> v is covered when (a) u and v are on one queue and u comes first, (b) a
barrier lies between them (every queue holds the same barriers), or (c) u's queue P
signals an event e after executing u, as its j-th signal of e, and v's queue waits on e
before executing v with a count c such that c - (signals of e from queues other than P)
>= j. Counters only grow, so "count >= c" then proves P's j-th signal arrived.
Events sharing a sync flag must count on it in turn, proven from the plan
(`check_sharing`, by `hpdsl.plan.order`).
Vectorized over all edges: no per-edge Python work, so 3M edges check in seconds.
"""
from __future__ import annotations

import numpy as np

from hpdsl.cost import task_times
from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.plan.flags import base_wanted, flag_key
from hpdsl.plan.order import may_follow, order_facts, signal_latency, single_producer
from hpdsl.plan.program import BARRIER, EXEC, SIGNAL, WAIT, Plan

MAX_LISTED = 10
MAX_CANDIDATES = 1 << 24   # rows of the vectorized edge check (~40 bytes each, several arrays)


def _group_starts(g: np.ndarray) -> np.ndarray:
    """Start index of each run of equal values in sorted `g`, for every element."""
    if len(g) == 0:
        return np.zeros(0, np.int64)
    new = np.r_[True, g[1:] != g[:-1]]
    starts = np.flatnonzero(new)
    return np.repeat(starts, np.diff(np.r_[starts, len(g)]))


def check_plan(plan: Plan, graph: TaskGraph, machine: Machine) -> list[str]:
    """Messages for every problem found; an empty list proves the plan keeps the graph's order."""
    out: list[str] = []
    n, W = graph.n_tasks, len(plan.queues)
    iq = plan.instruction_queue().astype(np.int64)
    code, arg, cnt = plan.code, plan.arg.astype(np.int64), plan.count.astype(np.int64)
    idx = np.arange(len(code), dtype=np.int64)

    tasks = arg[code == EXEC]
    times_run = np.bincount(tasks, minlength=n) if n else np.zeros(0, np.int64)
    for t in np.flatnonzero(times_run[:n] != 1)[:MAX_LISTED]:
        out.append(f"task {t} ({graph.label(int(t))}) is executed {times_run[t]} times, not once")
    if len(out):
        return out
    at, q_of, kern = plan.exec_index(n), plan.exec_queue(n), plan.exec_kernel(n)
    tt = task_times(graph, machine)
    core = machine.worker_core[q_of]
    bad = np.flatnonzero((machine.worker_device[q_of] != graph.device) | (tt[np.arange(n), core] < 0))
    for t in bad[:MAX_LISTED]:
        out.append(f"task {t} ({graph.label(int(t))}) is on '{plan.queues[q_of[t]]}', which cannot run it")

    # barriers: the same sequence in every queue
    nb_q = np.bincount(iq, weights=(code == BARRIER).astype(np.int64), minlength=W).astype(np.int64)
    if W and np.any(nb_q != nb_q[0]):
        q = int(np.flatnonzero(nb_q != nb_q[0])[0])
        out.append(f"queue '{plan.queues[q]}' has {nb_q[q]} barriers, queue '{plan.queues[0]}' "
                   f"has {nb_q[0]}; every queue must reach every barrier")

    src, dst = graph.edges()
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    qu, qv = q_of[src], q_of[dst]
    same = qu == qv
    wrong = np.flatnonzero(same & (at[src] > at[dst]))
    for i in wrong[:MAX_LISTED]:
        out.append(_edge_msg(plan, graph, src[i], dst[i], q_of, "executes it after the task that needs it"))
    covered = same | (kern[dst] > kern[src])
    todo = np.flatnonzero(~covered)
    if len(todo):
        ok = _covered_by_events(plan, iq, code, arg, cnt, idx, src[todo], dst[todo], qu[todo],
                                qv[todo], at, W)
        for i in todo[~ok][:MAX_LISTED]:
            out.append(_edge_msg(plan, graph, src[i], dst[i], q_of,
                                 "has no signal after it that the consumer's queue waits for"))
        if (~ok).sum() > MAX_LISTED:
            out.append(f"... and {(~ok).sum() - MAX_LISTED} more unsynchronized dependencies")
    out += check_sharing(plan, graph, machine)
    return out


def _edge_msg(plan, graph, u, v, q_of, why) -> str:
    return (f"dependency {graph.label(int(u))} (task {u}, '{plan.queues[q_of[u]]}') -> "
            f"{graph.label(int(v))} (task {v}, '{plan.queues[q_of[v]]}') is not kept: the plan {why}")


def _covered_by_events(plan, iq, code, arg, cnt, idx, u, v, P, Q, at, W) -> np.ndarray:
    E = max(plan.n_events, 1)
    sig = np.flatnonzero(code == SIGNAL)
    wai = np.flatnonzero(code == WAIT)
    # signals grouped by (event, producer queue), in stream order
    sg = arg[sig] * W + iq[sig]
    o = np.lexsort((sig, sg))
    sig, sg = sig[o], sg[o]
    s_start = _group_starts(sg)
    per_pe = np.bincount(sg, minlength=E * W) if len(sg) else np.zeros(E * W, np.int64)
    total_e = np.bincount(arg[sig], minlength=E) if len(sig) else np.zeros(E, np.int64)
    # waits grouped by (event, consumer queue), with the running max of their counts
    wg = arg[wai] * W + iq[wai]
    o = np.lexsort((wai, wg))
    wai, wg = wai[o], wg[o]
    w_start = _group_starts(wg)
    gid = np.cumsum(np.r_[True, wg[1:] != wg[:-1]]) if len(wg) else np.zeros(0, np.int64)
    big = int(cnt.max()) + 2 if len(cnt) else 2
    w_max = np.maximum.accumulate(gid * big + cnt[wai]) - gid * big if len(wai) else cnt[wai]

    # candidate events for an edge: those P signals and Q waits on
    pairs = np.unique(np.stack([iq[sig] * W, arg[sig]], 1), axis=0) if len(sig) else np.zeros((0, 2), np.int64)
    wq = np.unique(np.stack([arg[wai], iq[wai]], 1), axis=0) if len(wai) else np.zeros((0, 2), np.int64)
    # triples (P, Q, e) keyed by P*W+Q
    if len(pairs) == 0 or len(wq) == 0:
        return np.zeros(len(u), bool)
    ev_p = pairs[:, 1]
    o = np.argsort(wq[:, 0], kind="stable")
    wq = wq[o]
    lo = np.searchsorted(wq[:, 0], ev_p, "left")
    hi = np.searchsorted(wq[:, 0], ev_p, "right")
    rep = hi - lo
    _bounded(int(rep.sum()), "(producer queue, consumer queue, event) triples")
    tri_pq = np.repeat(pairs[:, 0], rep) + wq[np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]
                                                             or [np.zeros(0, np.int64)]), 1]
    tri_e = np.repeat(ev_p, rep)
    o = np.argsort(tri_pq, kind="stable")
    tri_pq, tri_e = tri_pq[o], tri_e[o]
    key = P * W + Q
    lo = np.searchsorted(tri_pq, key, "left")
    hi = np.searchsorted(tri_pq, key, "right")
    k = hi - lo
    _bounded(int(k.sum()), "(dependency, event) pairs")
    edge = np.repeat(np.arange(len(u)), k)
    cand = np.repeat(lo - np.r_[0, np.cumsum(k)[:-1]], k) + np.arange(k.sum())
    e = tri_e[cand]
    pu, qv, iu, iv = P[edge], Q[edge], at[u[edge]], at[v[edge]]
    # first signal of (e, P) after u's exec
    g = e * W + pu
    j = np.searchsorted(sg * (len(code) + 1) + sig, g * (len(code) + 1) + iu, "right")
    j_ok = (j < len(sig)) & (sg[np.minimum(j, len(sig) - 1)] == g)
    ordinal = j - s_start[np.minimum(j, len(sig) - 1)] + 1
    # latest wait on (e, Q) before v's exec
    h = e * W + qv
    m = np.searchsorted(wg * (len(code) + 1) + wai, h * (len(code) + 1) + iv, "left") - 1
    m_ok = (m >= 0) & (wg[np.maximum(m, 0)] == h)
    have = w_max[np.maximum(m, 0)] - (total_e[e] - per_pe[g])
    good = j_ok & m_ok & (have >= ordinal)
    del w_start
    return np.bincount(edge, weights=good, minlength=len(u)) > 0


def _bounded(n: int, what: str) -> None:
    """UserError when the check would build arrays of more than MAX_CANDIDATES rows: a
    lowered plan has about one event per queue pair, a hand-made one may have any number."""
    if n > MAX_CANDIDATES:
        raise UserError(f"checking the plan's synchronization would take {n:,} {what}, more "
                        f"than the {MAX_CANDIDATES:,} hpdsl checks; its events link too many "
                        "queues (one event signalled or waited for by thousands of queues)")


def check_sharing(plan, graph, machine) -> list[str]:
    """Messages for flags shared unsoundly: per (kernel, device, flag), in base order, each
    event must count from the signals of those before it, and the plan must prove that
    every signal of one arrives no later than the first of the next (`hpdsl.plan.order`)."""
    E = plan.n_events
    if E == 0:
        return []
    key = flag_key(plan, machine.devices)
    o, want = base_wanted(plan, key)
    k = key[o]
    pairs = np.flatnonzero(k[1:] == k[:-1])
    shared = np.flatnonzero(np.r_[k[1:] == k[:-1], False] | np.r_[False, k[1:] == k[:-1]])
    if len(shared) == 0:
        return []
    out = []
    wrong = shared[plan.event_base[o[shared]] != want[shared]]
    for i in wrong[:MAX_LISTED]:
        e = int(o[i])
        out.append(f"event '{plan.event_names[e]}' on flag {plan.event_flag[e]} of device "
                   f"{plan.event_device[e]} counts from {plan.event_base[e]}, not from "
                   f"{want[i]} (the signals of the events before it on that flag)")
    if len(wrong) > MAX_LISTED:
        out.append(f"... and {len(wrong) - MAX_LISTED} more events counting from a wrong base")
    lat_lo, lat = signal_latency(plan, graph, machine)
    tracked = np.unique(o[shared])
    if not np.all(single_producer(plan)[tracked]):
        bad = tracked[~single_producer(plan)[tracked]][0]
        return out + [f"event '{plan.event_names[bad]}' shares flag {plan.event_flag[bad]} of "
                      f"device {plan.event_device[bad]} but is signalled by several queues"]
    first, _ = order_facts(plan, tracked, lat, lat_lo)
    k_of = {int(e): k for k, e in enumerate(tracked.tolist())}   # bit numbers, not bitsets
    bad = 0
    for i in pairs.tolist():
        a, b = int(o[i]), int(o[i + 1])
        if b in first and not may_follow(first[b], k_of[a], int(lat[a]), int(lat_lo[b])):
            bad += 1
            if bad <= 10:
                out.append(f"events '{plan.event_names[a]}' and '{plan.event_names[b]}' share flag "
                           f"{plan.event_flag[a]} of device {plan.event_device[a]}, but nothing "
                           f"in the plan makes every signal of the first arrive before the first "
                           f"signal of the second")
    if bad > 10:
        out.append(f"... and {bad - 10} more unordered events sharing a flag")
    return out
