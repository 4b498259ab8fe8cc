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
- arrival: the work bound on the tasks that arrive late, per threshold r among the heads
  (m (C - r) >= their times plus tails), and its mirror on the tasks that leave early
  (`_arrival_bound`);
- links and feed (`solvers/link_bounds.py`): sends serialized on a link resource, and
  the work on a device that waits for its incoming link. These two hold for schedules
  that keep the link model (every scheduler here), not for any `check_schedule` accepts.

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
from hpdsl.solvers.link_bounds import feed_bound, link_bound


@dataclass(frozen=True, slots=True)
class Bounds:
    critical_path: int
    work: int
    arrival: int = 0
    links: int = 0
    feed: int = 0

    @property
    def value(self) -> int:
        return max(self.parts().values())

    def parts(self) -> dict[str, int]:
        """Each bound by name (ns)."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def bounds(ctx: Context, emulated: bool = False) -> Bounds:
    """The lower bounds (ns) for the context's graph and machine: on every schedule with
    cost-model times, or with `emulated` on every emulation of every plan (from each
    task's time floor, `Context.floor_times`; never larger; without the link bounds)."""
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
    groups = _device_groups(ctx)
    work = _work_bound(ctx, groups, head, tail, d)
    arrival = _arrival_bound(ctx, groups, head, tail, d)
    if emulated:   # the emulator shares a link fairly: no send holds it alone from its start
        return Bounds(cp, work, arrival)
    return Bounds(cp, work, arrival, link_bound(ctx, head, tail, d),
                  feed_bound(ctx, groups, head, tail, d))


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


def _device_groups(ctx: Context) -> list[tuple[int, np.ndarray]]:
    """[(m, tasks)] per device and worker set U (m = |U|): the tasks that can run only on U."""
    g = ctx.graph
    order = np.lexsort((g.kind, g.device))
    dk = g.device[order].astype(np.int64) * (len(g.kinds) + 1) + g.kind[order]
    cuts = np.flatnonzero(np.diff(dk)) + 1
    groups = {}
    for idx in np.split(order, cuts):
        if len(idx):
            groups[(int(g.device[idx[0]]), int(g.kind[idx[0]]))] = idx
    out = []
    for dev in np.unique(g.device).tolist():
        for u, kinds in worker_sets(ctx):
            parts = [groups[(dev, k)] for k in kinds if (dev, k) in groups]
            if parts:
                out.append((len(u), np.concatenate(parts)))
    return out


def _work_bound(ctx: Context, groups, head: np.ndarray, tail: np.ndarray,
                d: np.ndarray) -> int:
    """For each device and worker set U: the tasks that can run only on U fit on |U|
    workers (`d`: each task's time at its fastest eligible core type, all inside U)."""
    best = 0
    for m, sel in groups:
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


def _arrival_bound(ctx: Context, groups, head: np.ndarray, tail: np.ndarray,
                   d: np.ndarray) -> int:
    """The work bound on the tasks that arrive late (or must leave early), per threshold.

    For a device's worker set U (m workers) and r = the k-th largest head among its
    tasks, the k tasks with head >= r run inside [r, C]: a worker that runs some of them
    ends its last one at least its tail before C, a worker that runs none still has
    C - r >= x - r, x the longest chain through any of them. So
    m (C - r) >= their times + j * (their smallest tail) + (m - j)(x - r), j = min(m, k).
    The mirror swaps heads and tails. Every prefix of the sort is one threshold, so a
    group costs one sort and a few cumulative sums."""
    best = 0
    for m, sel in groups:
        for a, b in ((head[sel], tail[sel]), (tail[sel], head[sel])):
            o = np.argsort(-a, kind="stable")
            r, t, w = a[o], b[o], d[sel][o]
            work = np.cumsum(w)
            tmin = np.minimum.accumulate(t)
            x = np.maximum.accumulate(r + w + t)
            j = np.minimum(np.arange(1, len(o) + 1), m)
            total = work + j * tmin + (m - j) * (x - r)
            best = max(best, int((r + -(-total // m)).max()))
    return best


def lower_bound(graph: TaskGraph, machine: Machine) -> int:
    """The best of the lower bounds, in ns."""
    return bounds(Context.of(graph, machine)).value
