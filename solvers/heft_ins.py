"""`heft-ins`: textbook HEFT (Topcuoglu, Hariri and Wu 2002) — insertion into idle gaps.

Tasks go in decreasing upward rank (`listsched.upward_rank`: mean time over the eligible
core types plus the longest time-and-latency path below); ties go to the rank-aware send
order, then the lower task id. Each task is placed on the worker where it *finishes*
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

import heapq

import numpy as np

from hpdsl import progress
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.links import Timeline, fit_all
from hpdsl.solvers.listsched import upward_rank
from hpdsl.solvers.options import Options

SLOW_TASKS = 50_000   # above this, say that the scan of every worker takes a while


class _Run:
    """Placement state of one heft-ins run: per worker its busy intervals, per device its
    link timelines, per task where and when it runs."""

    def __init__(self, ctx: Context):
        g, n = ctx.graph, ctx.n
        self.ctx = ctx
        self.pred_ptr, self.pred = g.pred_ptr.tolist(), g.pred.tolist()
        self.plat = ctx.pred_latency.tolist()
        self.kind, self.dev, self.dst = g.kind.tolist(), g.device.tolist(), g.dst.tolist()
        self.xfer = ctx.link_ns.tolist()
        self.times = [ctx.times[:, c].tolist() for c in range(ctx.times.shape[1])]
        self.busy = [Timeline() for _ in ctx.machine.workers]
        devices = max(1, ctx.machine.devices)
        self.link_out = [Timeline() for _ in range(devices)]
        self.link_in = [Timeline() for _ in range(devices)]
        self.worker, self.start, self.end = [-1] * n, [0] * n, [0] * n
        self.pools = {}

    def ready(self, t: int) -> tuple[int, dict[int, int]]:
        """Data-ready time of t on a worker holding none of its predecessors, and the
        (earlier or equal) times on the workers that hold some: O(predecessors)."""
        release = self.ctx.release
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

    def place(self, t: int) -> None:
        key = (self.kind[t], self.dev[t])
        pools = self.pools.get(key)
        if pools is None:
            pools = self.pools[key] = self.ctx.pools_of(*key)
        far, near = self.ready(t)
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


def heft_ins(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    n = ctx.n
    if n > SLOW_TASKS:
        options.report(f"heft-ins: {n:,} tasks; it scans every eligible worker and its idle "
                       f"gaps for each task, which takes minutes here (heft takes seconds)")
    rank = (-upward_rank(ctx)).tolist()
    ratr = ctx.ratr.tolist()
    r = _Run(ctx)
    indeg = np.diff(graph.pred_ptr).tolist()
    succ_ptr, succ = graph.succ_ptr.tolist(), graph.succ.tolist()
    # rank order, taken among ready tasks: the same order wherever ranks fall along edges,
    # and still a valid one where zero-time tasks tie with their successors
    ready = [(rank[t], ratr[t], t) for t in range(n) if indeg[t] == 0]
    heapq.heapify(ready)
    done = 0
    with progress.counter(n, "schedule heft-ins") as bar:
        while ready:
            t = heapq.heappop(ready)[-1]
            r.place(t)
            done += 1
            bar.advance()
            for i in range(succ_ptr[t], succ_ptr[t + 1]):
                v = succ[i]
                indeg[v] -= 1
                if indeg[v] == 0:
                    heapq.heappush(ready, (rank[v], ratr[v], v))
    if done != n:
        raise ValueError("task graph has a cycle")
    return Schedule("heft-ins", "heuristic", np.array(r.worker, np.int32),
                    np.array(r.start, np.int64), np.array(r.end, np.int64))
