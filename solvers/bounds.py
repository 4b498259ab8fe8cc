"""Lower bounds on the makespan, reported with every schedule.

Each bound holds for every valid schedule (see `hpdsl.schedule.check_schedule`), so a
heuristic's distance from optimal is visible even where no exact answer is possible:

- critical path: the longest chain of tasks, each at its fastest eligible core type, with
  zero latency, after the kernel launch;
- work: for a device and a set U of workers (queues), the tasks that can run *only* on U
  must fit on U. A task's workers are the queues that do its capability on the core
  types it may use, so a core type with one matmul and one vector queue per instance
  counts one queue per instance for each. With m = |U|, each worker's busy time lies
  between the head (earliest start) of its first task and the makespan minus the tail
  of its last, so
  m * C >= sum of times + the m smallest heads + the m smallest tails (an idle worker
  is covered by a pigeonhole argument, see `_work_bound`). Every union of the kinds'
  worker sets is tried (there are few), which handles tasks eligible for several.

Example:
    >>> from hpdsl.solvers.bounds import lower_bound   # doctest: +SKIP
    >>> lower_bound(graph, machine)                    # doctest: +SKIP
    55000
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.solvers.context import Context


@dataclass(frozen=True, slots=True)
class Bounds:
    critical_path: int
    work: int

    @property
    def value(self) -> int:
        return max(self.critical_path, self.work)


def bounds(ctx: Context, emulated: bool = False) -> Bounds:
    """Both lower bounds (ns) for the context's graph and machine: on every schedule with
    cost-model times, or with `emulated` on every emulation of every plan (from each
    task's time floor, `Context.floor_times`; never larger)."""
    n = ctx.n
    if n == 0:
        return Bounds(0, 0)
    d = ctx.min_time
    if emulated:
        f = ctx.floor_times
        d = np.where(f >= 0, f, np.iinfo(np.int64).max).min(axis=1)
    head = ctx.head(d) + ctx.release
    tail = ctx.tail(d)
    cp = int((head + d + tail).max())
    return Bounds(cp, _work_bound(ctx, head, tail, d))


def _eligible_sets(ctx: Context) -> dict[frozenset, list[int]]:
    """Per device-local worker set: the task kinds whose eligible workers are exactly it.

    A kind's workers are the queues, of every core type it may use, that do its
    capability (`Context.local_offsets`): a core type with a matmul and a vector queue
    per instance offers a matmul task one queue per instance, not two.
    """
    by = {}
    for (k, ci), offs in ctx.local_offsets.items():
        by.setdefault(k, set()).update(offs)
    out = {}
    for k, offs in sorted(by.items()):
        out.setdefault(frozenset(offs), []).append(k)
    return out


def worker_sets(ctx: Context, cap: int = 256) -> list[tuple[frozenset, list[int]]]:
    """[(worker set U, kinds whose eligible workers lie inside U)] for every union U of the
    kinds' eligible sets (at most `cap` unions; above it the single sets and the union of
    all, each of which is still a valid bound)."""
    base = _eligible_sets(ctx)
    unions = set(base)
    frontier = set(base)
    while frontier and len(unions) <= cap:
        frontier = {a | b for a in frontier for b in base} - unions
        unions |= frontier
    if len(unions) > cap:
        unions = set(base) | {frozenset().union(*base)}
    out = []
    for u in sorted(unions, key=lambda u: (len(u), sorted(u))):
        out.append((u, [k for e, ks in base.items() if e <= u for k in ks]))
    return out


def _work_bound(ctx: Context, head: np.ndarray, tail: np.ndarray, d: np.ndarray) -> int:
    """For each device and worker set U: the tasks that can run only on U fit on |U|
    workers (`d`: each task's time at its fastest eligible core type, all inside U)."""
    g = ctx.graph
    best = 0
    sets = worker_sets(ctx)
    order = np.lexsort((g.kind, g.device))
    dk = g.device[order].astype(np.int64) * (len(g.kinds) + 1) + g.kind[order]
    cuts = np.flatnonzero(np.diff(dk)) + 1
    groups = {}
    for idx in np.split(order, cuts):
        if len(idx):
            groups[(int(g.device[idx[0]]), int(g.kind[idx[0]]))] = idx
    for dev in np.unique(g.device).tolist():
        for u, kinds in sets:
            parts = [groups[(dev, k)] for k in kinds if (dev, k) in groups]
            if not parts:
                continue
            sel = np.concatenate(parts)
            m = len(u)
            # pigeonhole: for j <= (n+1)/2 some task has both head >= the j-th smallest
            # head and tail >= the j-th smallest tail, so an idle worker still accounts
            # for C >= h_(j) + t_(j); beyond that use the smallest pair
            k = min(m, (len(sel) + 1) // 2)
            hs = np.partition(head[sel], k - 1)[:k] if k < len(sel) else head[sel]
            ts = np.partition(tail[sel], k - 1)[:k] if k < len(sel) else tail[sel]
            total = int(d[sel].sum()) + int(hs.sum()) + int(ts.sum()) \
                + (m - k) * int(hs.min() + ts.min())
            best = max(best, -(-total // m))
    return best


def lower_bound(graph: TaskGraph, machine: Machine) -> int:
    """The best of the lower bounds, in ns."""
    return bounds(Context.of(graph, machine)).value
