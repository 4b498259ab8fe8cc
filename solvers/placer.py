"""Greedy placement of one task at a time: the inner loop of every list scheduler.

The caller picks the next task (by rank, by arrival, by kernel); the placer puts it on a
worker at the earliest time its data and the worker allow, and never revisits it (no
insertion into idle gaps). Per pool, a heap of (free time, worker) gives the earliest-free
worker in O(log W); heaps are lazy: an entry is stale when its time no longer equals the
worker's free time, and is dropped when it reaches the top.

Approximation of earliest-finish-time (EFT) placement: the candidates are the
earliest-free worker of each eligible pool plus the worker of the predecessor whose data
arrives last (where the task can avoid that edge's latency). Other workers that hold a
predecessor are not examined; for them the latency is charged as if they did not, which is
safe (never too early) and at most one sync latency late.

Links: a send to another device also needs its device's link out (injection) and the
destination's link in (ejection) for `bytes_sent / link bandwidth` ns, and on a route
through a package link or a fabric the resources of that route, each for its own time
(`Context.route_ns`, `hpdsl.topology`). Per device the placer keeps the busy intervals of
each (`links.Timeline`), and a send starts at the first time all are free for that long: sends are serialized per link at full bandwidth,
which is what fair sharing gives in aggregate (k sends sharing a link each take k times
as long). The send still occupies its worker for its cost-model time; only its start
moves. Unlike the workers, links are back-filled (see `links`).
"""
from __future__ import annotations

import heapq

import numpy as np

from hpdsl.solvers.context import Context
from hpdsl.solvers.links import Timeline, fit_route


class Placer:
    """Mutable placement state for one scheduling run (not shared between runs)."""

    def __init__(self, ctx: Context, kernel: np.ndarray | None = None,
                 queues: dict[int, int] | None = None):
        """`kernel`: per-task kernel numbers of a baseline; an edge between kernels pays no
        latency (the barrier and the next launch stand for it). `queues`: task kind ->
        how many workers of each pool its tasks may use (the first ones; default all)."""
        g = ctx.graph
        self.ctx = ctx
        self.queues = queues or {}
        n = ctx.n
        self.kind = g.kind.tolist()
        self.dev = g.device.tolist()
        self.pred_ptr = g.pred_ptr.tolist()
        self.pred = g.pred.tolist()
        plat, slat = ctx.pred_latency, ctx.succ_latency
        if kernel is not None:
            pv = np.repeat(np.arange(n), np.diff(g.pred_ptr))
            plat = np.where(kernel[g.pred] == kernel[pv], plat, 0)
            su = np.repeat(np.arange(n), np.diff(g.succ_ptr))
            slat = np.where(kernel[su] == kernel[g.succ], slat, 0)
        self.plat = plat.tolist()
        self.succ_ptr = g.succ_ptr.tolist()
        self.succ = g.succ.tolist()
        self.slat = slat.tolist()
        self.times_by_core = [ctx.times[:, c].tolist() for c in range(ctx.times.shape[1])]
        self.worker = [-1] * n
        self.start = [0] * n
        self.end = [0] * n
        self.arrival = [0] * n          # latest (pred end + cross-worker latency) so far
        self.arrival_worker = [-1] * n  # the worker of the pred that set `arrival`
        self.free = [0] * len(ctx.machine.workers)
        self.dst = g.dst.tolist()
        # per device 6 link timelines (Context.route_ns); per remote send the ones it holds
        self.timelines = [Timeline() for _ in range(6 * max(1, ctx.machine.devices))]
        tl = self.timelines
        self.held = [tuple((tl[i], ns) for i, ns in r) for r in ctx.route_ns]
        self.heaps: list[list[tuple[int, int]]] = []
        self.members: list[frozenset[int]] = []
        self.pools_of_worker: dict[int, list[int]] = {}
        self._pool_ids: dict[tuple[int, ...], int] = {}
        self._task_pools: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def _pools(self, kind: int, dev: int) -> list[tuple[int, int]]:
        key = (kind, dev)
        got = self._task_pools.get(key)
        if got is None:
            got = []
            for ci, ws in self.ctx.pools_of(kind, dev):
                ws = ws[:self.queues.get(kind, len(ws))]
                pid = self._pool_ids.get(ws)
                if pid is None:
                    pid = len(self.heaps)
                    self._pool_ids[ws] = pid
                    self.heaps.append([(self.free[w], w) for w in ws])
                    heapq.heapify(self.heaps[pid])
                    self.members.append(frozenset(ws))
                    for w in ws:
                        self.pools_of_worker.setdefault(w, []).append(pid)
                got.append((ci, pid))
            self._task_pools[key] = got
        return got

    def earliest(self, t: int, not_before: int) -> int:
        """A cheap estimate of t's earliest start: data arrival vs the earliest-free worker."""
        free = self.free
        f_min = None
        for _, pid in self._pools(self.kind[t], self.dev[t]):
            heap = self.heaps[pid]
            while heap[0][0] != free[heap[0][1]]:
                heapq.heappop(heap)
            if f_min is None or heap[0][0] < f_min:
                f_min = heap[0][0]
        return self.link_fit(t, max(self.arrival[t], not_before, f_min))

    def link_fit(self, t: int, st: int) -> int:
        """The first start >= st at which a remote send finds its route's links free."""
        held = self.held[t]
        return fit_route(held, st) if held else st

    def _ready_on(self, t: int, w: int, not_before: int) -> int:
        """Exact data-ready time of t on worker w (same-worker edges pay no latency)."""
        r = not_before
        worker, end, plat, pred = self.worker, self.end, self.plat, self.pred
        for i in range(self.pred_ptr[t], self.pred_ptr[t + 1]):
            u = pred[i]
            a = end[u] if worker[u] == w else end[u] + plat[i]
            if a > r:
                r = a
        return r

    def place(self, t: int, not_before: int, earliest_start: bool = False) -> int:
        """Place task t (all its preds placed) and return its end time.

        Chooses the candidate with the earliest finish (or earliest start when
        `earliest_start`), ties broken by the lower worker id.
        """
        arr = max(self.arrival[t], not_before)
        w1 = self.arrival_worker[t]
        fit = self.link_fit
        free = self.free
        best = None
        for ci, pid in self._pools(self.kind[t], self.dev[t]):
            d = self.times_by_core[ci][t]
            heap = self.heaps[pid]
            while heap[0][0] != free[heap[0][1]]:
                heapq.heappop(heap)
            f, w = heap[0]
            st = fit(t, arr if arr > f else f)
            key = (st, st + d, w) if earliest_start else (st + d, st, w)
            if best is None or key < best[0]:
                best = (key, w, st, d)
            if w1 >= 0 and w1 != w and w1 in self.members[pid]:
                r = self._ready_on(t, w1, not_before)
                st = fit(t, r if r > free[w1] else free[w1])
                key = (st, st + d, w1) if earliest_start else (st + d, st, w1)
                if key < best[0]:
                    best = (key, w1, st, d)
            elif w1 == w and w1 >= 0:
                r = self._ready_on(t, w1, not_before)
                st = fit(t, r if r > f else f)
                key = (st, st + d, w) if earliest_start else (st + d, st, w)
                if key < best[0]:
                    best = (key, w, st, d)
        _, w, st, d = best
        return self._commit(t, w, st, d)

    def place_on(self, t: int, w: int, core: int, not_before: int) -> int:
        """Place task t (all its preds placed) on worker w, of core type index `core`, at
        the earliest time its data, w and its route's links allow; return its end time
        (a scheduler that fixes the worker itself: `hpmoe`)."""
        r = self._ready_on(t, w, not_before)
        st = self.link_fit(t, r if r > self.free[w] else self.free[w])
        return self._commit(t, w, st, self.times_by_core[core][t])

    def _commit(self, t: int, w: int, st: int, d: int) -> int:
        free = self.free
        fin = st + d
        self.worker[t], self.start[t], self.end[t] = w, st, fin
        for tl, ns in self.held[t]:
            tl.add(st, ns)
        if fin != free[w]:
            free[w] = fin
            for pid in self.pools_of_worker.get(w, ()):
                heapq.heappush(self.heaps[pid], (fin, w))
        # pass the data-arrival time on to the successors
        arrival, aw, succ, slat = self.arrival, self.arrival_worker, self.succ, self.slat
        for i in range(self.succ_ptr[t], self.succ_ptr[t + 1]):
            v = succ[i]
            a = fin + slat[i]
            if a > arrival[v]:
                arrival[v] = a
                aw[v] = w
        return fin

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.array(self.worker, dtype=np.int32), np.array(self.start, dtype=np.int64),
                np.array(self.end, dtype=np.int64))
