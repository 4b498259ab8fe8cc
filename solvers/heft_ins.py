"""`heft-ins`: textbook HEFT (Topcuoglu, Hariri and Wu 2002) — insertion into idle gaps.

Tasks go in decreasing upward rank (`listsched.upward_rank`: mean time over the eligible
core types plus the longest time-and-latency path below), taken by heft's rule (the
same `listsched.list_schedule`: ties by data arrival, then the rank-aware send order,
then task id; the paper leaves ties open). Each task is placed on the worker where it *finishes*
earliest, over every eligible worker of its device, and may start in any idle gap of that
worker that is long enough (the insertion policy), not only after the worker's last task.
That is the difference from `heft`, whose placer appends to a worker's stream and looks
at two candidate workers per pool (see `placer`): on a graph where a short task fits a
gap that an earlier-ranked long task left, `heft-ins` fills the gap and `heft` does not.

A task's data is ready on worker w at the latest end of its predecessors, plus the edge
latency for those on other workers. Sends to another device also need both links free
for their link time (`links.Timeline`, as in `placer`).

Cost: every task scans every eligible worker, and on each the gaps after its data-ready
time: O(tasks x workers x gaps) steps, where `heft` takes O(tasks log workers). Seconds
on thousands of tasks; a 0.8M-task layer takes many minutes (it says so up front).
"""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.links import Timeline, fit_all
from hpdsl.solvers.listsched import list_schedule, upward_rank
from hpdsl.solvers.options import Options

SLOW_TASKS = 50_000   # above this, say that the scan of every worker takes a while


class InsertionPlacer:
    """Placement with insertion, behind `placer.Placer`'s interface (`place`, `arrival`,
    `succ`, `succ_ptr`, `arrays`), so `listsched.list_schedule` drives it in heft's order:
    per worker its busy intervals, per device its link timelines, per task where and when
    it runs and when its data arrives (for the ready queue's tie-break)."""

    def __init__(self, ctx: Context, queues: dict[int, int] | None = None):
        # `queues` (Placer's limit on the workers a kind may use) is not used: textbook
        # HEFT looks at every worker
        g, n = ctx.graph, ctx.n
        self.ctx = ctx
        self.pred_ptr, self.pred = g.pred_ptr.tolist(), g.pred.tolist()
        self.succ_ptr, self.succ = g.succ_ptr.tolist(), g.succ.tolist()
        self.plat, self.slat = ctx.pred_latency.tolist(), ctx.succ_latency.tolist()
        self.kind, self.dev, self.dst = g.kind.tolist(), g.device.tolist(), g.dst.tolist()
        self.xfer = ctx.link_ns.tolist()
        self.times = [ctx.times[:, c].tolist() for c in range(ctx.times.shape[1])]
        self.busy = [Timeline() for _ in ctx.machine.workers]
        devices = max(1, ctx.machine.devices)
        self.link_out = [Timeline() for _ in range(devices)]
        self.link_in = [Timeline() for _ in range(devices)]
        self.worker, self.start, self.end = [-1] * n, [0] * n, [0] * n
        self.arrival = [0] * n          # latest (pred end + cross-worker latency) so far
        self.pools = {}

    def ready(self, t: int, release: int) -> tuple[int, dict[int, int]]:
        """Data-ready time of t on a worker holding none of its predecessors, and the
        (earlier or equal) times on the workers that hold some: O(predecessors)."""
        far, near = {}, {}      # per pred worker: latest end + latency, latest end
        for i in range(self.pred_ptr[t], self.pred_ptr[t + 1]):
            u = self.pred[i]
            w, e = self.worker[u], self.end[u]
            far[w] = max(far.get(w, release), e + self.plat[i])
            near[w] = max(near.get(w, release), e)
        top = sorted(far.items(), key=lambda kv: -kv[1])[:2]
        if not top:
            return release, {}
        out = {}
        for w, e in near.items():   # the latency counts for the other workers' preds only
            other = next((v for x, v in top if x != w), release)
            out[w] = max(e, other)
        return top[0][1], out

    def place(self, t: int, not_before: int, earliest_start: bool = False) -> int:
        """Put t (all its predecessors placed) where it finishes first; return its end.
        (Always earliest finish: `earliest_start` is the Placer's option for fifo.)"""
        key = (self.kind[t], self.dev[t])
        pools = self.pools.get(key)
        if pools is None:
            pools = self.pools[key] = self.ctx.pools_of(*key)
        far, near = self.ready(t, not_before)
        links = ((self.link_out[self.dev[t]], self.link_in[self.dst[t]]) if self.xfer[t]
                 else ())
        best = None
        for ci, ws in pools:
            d = self.times[ci][t]
            for w in ws:
                st = fit_all((self.busy[w],), near.get(w, far), d)
                if links:   # the worker's gap and both links, all free for their times
                    while True:
                        s2 = fit_all(links, st, self.xfer[t])
                        if s2 == st:
                            break
                        st = fit_all((self.busy[w],), s2, d)
                cand = (st + d, st, w)
                if best is None or cand < best:
                    best = cand
        fin, st, w = best
        self.worker[t], self.start[t], self.end[t] = w, st, fin
        self.busy[w].add(st, fin - st)
        for tl in links:
            tl.add(st, self.xfer[t])
        for i in range(self.succ_ptr[t], self.succ_ptr[t + 1]):
            v = self.succ[i]
            self.arrival[v] = max(self.arrival[v], fin + self.slat[i])
        return fin

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.array(self.worker, np.int32), np.array(self.start, np.int64),
                np.array(self.end, np.int64))


def heft_ins(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    if ctx.n > SLOW_TASKS:
        options.report(f"heft-ins: {ctx.n:,} tasks; it scans every eligible worker and its idle "
                       f"gaps for each task, which takes minutes here (heft takes seconds)")
    # heft's rule for the order (ties by data arrival, then the send order), so that the
    # two differ in placement only; arrival depends on placement, so orders may still part
    return list_schedule(ctx, -upward_rank(ctx), "heft-ins", tie=ctx.ratr,
                         placer=InsertionPlacer)
