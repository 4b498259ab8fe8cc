"""`Schedule`: where and when every task runs, and the one checker every scheduler passes.

A schedule assigns each task a worker (see `hpdsl.machine`) and predicted start/end times
in integer ns. `kernel` (optional) groups tasks into host-launched kernels for baselines:
tasks of kernel k may start only after every task of kernels < k has ended and a launch
has been paid; plans lower it to barriers. A barrier is a host synchronization: when the
last queue reaches it every earlier task has ended and its data is visible, so a
dependency across kernels needs only start >= end (the launch stands for its sync).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hpdsl.cost import task_times
from hpdsl.graph import TaskGraph
from hpdsl.latency import edge_latency, max_latency
from hpdsl.machine import Machine

STATUSES = ("optimal", "feasible", "heuristic", "baseline")


@dataclass(frozen=True, eq=False)
class Schedule:
    scheduler: str
    status: str                    # one of STATUSES
    worker: np.ndarray             # int32 per task
    start: np.ndarray              # int64 ns per task
    end: np.ndarray                # int64 ns per task
    lower_bound: int = 0           # ns, proven lower bound on the makespan
    solve_seconds: float = 0.0
    kernel: np.ndarray | None = None   # int32 per task, baselines only
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown schedule status {self.status!r}")
        for a in (self.worker, self.start, self.end) + ((self.kernel,) if self.kernel is not None else ()):
            a.setflags(write=False)

    @property
    def makespan(self) -> int:
        return int(self.end.max()) if len(self.end) else 0


class ScheduleError(Exception):
    """A scheduler returned an invalid schedule: a bug in that scheduler."""


def check_schedule(graph: TaskGraph, machine: Machine, s: Schedule,
                   times: np.ndarray | None = None) -> None:
    """Raise ScheduleError unless `s` is valid for `graph` on `machine`.

    Valid: every task on a worker of its device whose core type can run it, for exactly its
    cost-model time; no two tasks overlap on a worker; every edge u->v has
    start[v] >= end[u] + edge latency (sync or link), or only start[v] >= end[u] when u is
    in an earlier kernel; kernel k (if any) starts at least `launch` after every task of
    kernels < k has ended.
    """
    n = graph.n_tasks
    if not (len(s.worker) == len(s.start) == len(s.end) == n):
        raise ScheduleError(f"{s.scheduler}: schedule covers {len(s.worker)} of {n} tasks")
    times = task_times(graph, machine) if times is None else times
    w = s.worker.astype(np.int64)
    if n and (w.min() < 0 or w.max() >= len(machine.workers)):
        raise ScheduleError(f"{s.scheduler}: worker id out of range")
    core = machine.worker_core[w]
    dur = times[np.arange(n), core]
    bad = np.flatnonzero((dur < 0) | (machine.worker_device[w] != graph.device))
    if len(bad):
        t = int(bad[0])
        raise ScheduleError(f"{s.scheduler}: task {graph.label(t)} placed on "
                            f"{machine.workers[w[t]].name}, which cannot run it")
    wrong = np.flatnonzero(s.end - s.start != dur)
    if len(wrong):
        t = int(wrong[0])
        raise ScheduleError(f"{s.scheduler}: task {graph.label(t)} lasts {s.end[t]-s.start[t]} ns, "
                            f"cost model says {dur[t]} ns")
    if n and s.start.min() < 0:
        raise ScheduleError(f"{s.scheduler}: negative start time")
    # by end too: a zero-time task at the instant another starts comes first, not inside
    order = np.lexsort((s.end, s.start, w))
    ws, st, en = w[order], s.start[order], s.end[order]
    clash = np.flatnonzero((ws[1:] == ws[:-1]) & (st[1:] < en[:-1]))
    if len(clash):
        a, b = int(order[clash[0]]), int(order[clash[0] + 1])
        raise ScheduleError(f"{s.scheduler}: tasks {graph.label(a)} and {graph.label(b)} "
                            f"overlap on {machine.workers[w[a]].name}")
    src, dst = graph.edges()
    early = np.flatnonzero(s.start[dst] < s.end[src])
    if len(early) == 0:
        # latencies only matter across workers inside one kernel (a barrier stands for
        # the sync of edges between kernels); check those edges one by one
        cross = w[src] != w[dst]
        if s.kernel is not None:
            cross &= s.kernel[src] == s.kernel[dst]
        cross = np.flatnonzero(cross)
        slack = s.start[dst[cross]] - s.end[src[cross]]
        max_lat = max_latency(machine.hardware)
        for i in cross[slack < max_lat]:
            u, v = int(src[i]), int(dst[i])
            if s.start[v] < s.end[u] + edge_latency(graph, machine, u, v, int(w[u]), int(w[v])):
                early = np.array([i])
                break
    if len(early):
        u, v = int(src[early[0]]), int(dst[early[0]])
        raise ScheduleError(f"{s.scheduler}: {graph.label(v)} starts at {s.start[v]} ns before "
                            f"its dependency {graph.label(u)} (ends {s.end[u]} ns) plus latency")
    if s.kernel is not None and n:
        k = s.kernel
        launch = machine.hardware.launch
        for kk in np.unique(k)[1:]:
            first, last = s.start[k == kk].min(), s.end[k < kk].max()
            if first < last:
                raise ScheduleError(f"{s.scheduler}: kernel {kk} starts before kernel {kk-1} ends")
            if first < last + launch:
                raise ScheduleError(f"{s.scheduler}: kernel {kk} starts at {first} ns, less than "
                                    f"the launch ({launch} ns) after the earlier kernels end "
                                    f"({last} ns)")
