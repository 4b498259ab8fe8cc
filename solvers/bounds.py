"""Lower bounds on the makespan, reported with every schedule.

Each bound holds for every valid schedule (see `hpdsl.schedule.check_schedule`), so a
heuristic's distance from optimal is visible even where no exact answer is possible:

- critical path: the longest chain of tasks, each at its fastest eligible core type, with
  zero latency, after the kernel launch;
- work: for a device and a set S of core types, the tasks that can run *only* on S must
  fit on the workers of S. With m such workers, each worker's busy time lies between the
  head (earliest start) of its first task and the makespan minus the tail of its last, so
  m * C >= sum of times + the m smallest heads + the m smallest tails (an idle worker
  is covered by a pigeonhole argument, see `_work_bound`). Every subset S of core types is
  tried (there are few core types), which handles tasks eligible for several.

Example:
    >>> from hpdsl.solvers.bounds import lower_bound   # doctest: +SKIP
    >>> lower_bound(graph, machine)                    # doctest: +SKIP
    55000
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

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


def bounds(ctx: Context) -> Bounds:
    """Both lower bounds (ns) for the context's graph and machine."""
    n = ctx.n
    if n == 0:
        return Bounds(0, 0)
    d = ctx.min_time
    head = ctx.head(d) + ctx.release
    tail = ctx.tail(d)
    cp = int((head + d + tail).max())
    return Bounds(cp, _work_bound(ctx, head, tail))


def _work_bound(ctx: Context, head: np.ndarray, tail: np.ndarray) -> int:
    g, times = ctx.graph, ctx.times
    ncore = times.shape[1]
    elig = times >= 0
    # a task's eligible core types as a bit mask; tasks grouped by (device, mask)
    mask = (elig * (1 << np.arange(ncore))).sum(axis=1)
    best = 0
    kinds_by_core = {}
    for (k, ci), offs in ctx.local_offsets.items():
        kinds_by_core.setdefault(ci, {})[k] = offs
    for dev in np.unique(g.device):
        on_dev = g.device == dev
        for r in range(1, ncore + 1):
            for subset in combinations(range(ncore), r):
                s_mask = sum(1 << c for c in subset)
                sel = np.flatnonzero(on_dev & ((mask & ~s_mask) == 0))
                if len(sel) == 0:
                    continue
                # workers of S that can run at least one of these tasks
                present = set(np.unique(g.kind[sel]).tolist())
                workers = set()
                for c in subset:
                    for k, offs in kinds_by_core.get(c, {}).items():
                        if k in present:
                            workers.update(offs)
                m = len(workers)
                if m == 0:
                    continue
                t = np.where(elig[sel][:, list(subset)], times[sel][:, list(subset)],
                             np.iinfo(np.int64).max).min(axis=1)
                # pigeonhole: for j <= (n+1)/2 some task has both head >= the j-th
                # smallest head and tail >= the j-th smallest tail, so an idle worker
                # still accounts for C >= h_(j) + t_(j); beyond that use the smallest pair
                k = min(m, (len(sel) + 1) // 2)
                hs, ts = np.sort(head[sel]), np.sort(tail[sel])
                total = int(t.sum()) + int(hs[:k].sum()) + int(ts[:k].sum()) \
                    + (m - k) * int(hs[0] + ts[0])
                best = max(best, -(-total // m))
    return best


def lower_bound(graph: TaskGraph, machine: Machine) -> int:
    """The best of the lower bounds, in ns."""
    return bounds(Context.of(graph, machine)).value
