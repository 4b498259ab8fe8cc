"""Stream order for zero-time tasks tied at one instant on one worker (see `tie_key`).

Why it matters: the emulator runs a queue's stream in order, each task at the later of
its queue's previous end and its *release* r(v) = the latest end + edge latency over its
dependencies on other queues of its kernel. A semi-active schedule starts every task at
exactly that time, so lowering reproduces it whenever each worker's order is the
schedule's. Order by (start, end) is the schedule's, except among zero-time tasks that
share a worker and an instant t (a *tie group*), where it does not say which ran first.

What the order must do. Once a group's first task runs at t, every other member runs at
max(t, r) = t (r <= t in a valid schedule), so only the first matters: when the worker's
previous task ends (or its kernel is released) before t, the first must be released at
exactly t. The order must also be deadlock-free: with zero latencies, a group member may
depend on another through zero-time tasks of other workers at the same instant.

How. Per instant t holding a tie group, take every zero-time task at t and emit them
Kahn-style (a task once all its dependencies at t are emitted), except that a member of a
group that needs a released-at-t first may go only after such a member has gone. Every
worker's order is this one sequence restricted to it, so it never deadlocks. It never
gets stuck on a semi-active schedule: the schedule's own sequence obeys the same rules,
so the remaining task earliest in that sequence can always go. (Should it get stuck on a
schedule that is not semi-active, the gate is lifted and exactness is not promised.)
"""
from __future__ import annotations

import heapq

import numpy as np

from hpdsl.latency import far, latency


def release(graph, machine, w, kern, start, end, src, dst) -> np.ndarray:
    """int64 per task: r(v), the latest end + edge latency over its same-kernel dependencies
    on other workers (a very small number when it has none)."""
    hw = machine.hardware
    other = (w[src] != w[dst]) & (kern[src] == kern[dst])
    s, d = src[other], dst[other]
    lat = latency(hw, far(machine.worker_device[w[s]], graph.device[d], graph.dst[s] >= 0))
    r = np.full(graph.n_tasks, np.iinfo(np.int64).min // 4, np.int64)
    np.maximum.at(r, d, end[s] + lat)
    return r


def kernel_release(kern, end, launch: int) -> dict[int, int]:
    """When each kernel's queues start: `launch` for the first, then `launch` after the
    last task of the previous kernel (or its own release) ends, as barriers do."""
    out, prev = {}, None
    for k in np.unique(kern).tolist():
        if prev is None:
            out[k] = launch
        else:
            last = end[kern == prev]
            out[k] = max(out[prev], int(last.max()) if len(last) else out[prev]) + launch
        prev = k
    return out


def tie_key(graph, machine, w, kern, start, end, src, dst) -> np.ndarray:
    """int64 per task: a tie-breaker for (worker, start, end) order (module docstring)."""
    n = graph.n_tasks
    key = np.zeros(n, np.int64)
    zero = np.flatnonzero(start == end)
    if len(zero) < 2:
        return key
    # tie groups: zero-time tasks sharing (worker, kernel, start)
    zs = zero[np.lexsort((zero, start[zero], kern[zero], w[zero]))]
    same = (w[zs[1:]] == w[zs[:-1]]) & (kern[zs[1:]] == kern[zs[:-1]]) & (start[zs[1:]] == start[zs[:-1]])
    head = np.r_[True, ~same]
    gid_sorted = np.cumsum(head) - 1
    size = np.bincount(gid_sorted)
    group = np.full(n, -1, np.int64)
    group[zs] = gid_sorted
    tied = size[gid_sorted] > 1
    instants = np.unique(start[zs[tied]])
    if len(instants) == 0:
        return key
    r = release(graph, machine, w, kern, start, end, src, dst)
    # the end of the task before each group on its worker (or its kernel's release)
    rel = kernel_release(kern, end, machine.hardware.launch)
    order = np.lexsort((np.arange(n), end, start, kern, w))
    prev_of = np.full(n, -1, np.int64)
    prev_of[order[1:]] = order[:-1]      # within the worker's kernel, checked below
    # a group must start with a task released at t when its worker is free before t
    heads = zs[head]
    p = prev_of[heads]
    pp = np.maximum(p, 0)
    kr = np.array([rel[k] for k in kern[heads].tolist()], np.int64)
    before = np.where((p >= 0) & (w[pp] == w[heads]) & (kern[pp] == kern[heads]), end[pp], kr)
    released = np.bincount(gid_sorted, weights=r[zs] == start[zs], minlength=len(size)) > 0
    gate = (size > 1) & (before < start[heads]) & released
    # every zero-time task at those instants, and the dependencies among them, per instant
    zmask = np.zeros(n, bool)
    zmask[zero] = True
    inst = np.flatnonzero(np.isin(start, instants) & zmask)
    inst = inst[np.argsort(start[inst], kind="stable")]
    em = zmask[src] & zmask[dst] & (start[src] == start[dst])
    es, ed = src[em], dst[em]
    o = np.argsort(start[es], kind="stable")
    es, ed = es[o], ed[o]
    t_lo = np.searchsorted(start[inst], instants)
    t_hi = np.searchsorted(start[inst], instants, side="right")
    e_lo = np.searchsorted(start[es], instants)
    e_hi = np.searchsorted(start[es], instants, side="right")
    group_l, gate_l, r_l = group.tolist(), gate.tolist(), r.tolist()
    for t, a, b, c, d in zip(instants.tolist(), t_lo, t_hi, e_lo, e_hi):
        _kahn(inst[a:b].tolist(), es[c:d].tolist(), ed[c:d].tolist(), group_l, gate_l, r_l, t, key)
    return key


def _kahn(tasks, es, ed, group, gate, r, t, key) -> None:
    """Emit `tasks` (zero-time, instant t) in dependency order with the group gate; write
    each one's position into `key`."""
    indeg = {v: 0 for v in tasks}
    succ: dict[int, list[int]] = {v: [] for v in tasks}
    for u, v in zip(es, ed):
        indeg[v] += 1
        succ[u].append(v)
    started: set[int] = set()
    ready = [v for v in tasks if indeg[v] == 0]
    heapq.heapify(ready)
    held: list[int] = []          # available, but their group has not started
    k = 0
    while ready or held:
        if ready:
            v = heapq.heappop(ready)
            g = group[v]
            if gate[g] and g not in started and r[v] != t:
                held.append(v)
                continue
        else:
            # stuck (the schedule is not semi-active): lift the gate on the smallest held task
            v = min(held)
            held.remove(v)
            g = group[v]
        if g not in started:
            started.add(g)
            for h in [h for h in held if group[h] == g]:
                held.remove(h)
                heapq.heappush(ready, h)
        key[v] = k
        k += 1
        for x in succ[v]:
            indeg[x] -= 1
            if indeg[x] == 0:
                heapq.heappush(ready, x)
