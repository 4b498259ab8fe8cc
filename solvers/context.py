"""What every scheduler precomputes once: task times, worker pools, edge latencies, levels.

`Context.of(graph, machine)` builds it, or returns the one already built for the same two
objects, so schedulers that run one after another on a graph compute it once.

A *pool* is the set of interchangeable workers a task may use on one core type: the
queues of one core type on one device that do the task's capability. Tasks of one kind on
one device share their pools, so a list scheduler keeps one heap of free times per pool
instead of scanning workers. Workers are laid out device-major (see `hpdsl.machine`), so a
pool is the device's first worker id plus a fixed tuple of local offsets.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hpdsl.cost import floor_times, task_times
from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.latency import graph_latencies
from hpdsl.machine import Machine
from hpdsl.topology import routes, send_ns

# the contexts of the last few (graph, machine) pairs, matched by identity: schedulers run
# one after another on one pair (compare, the portfolio, z3's warm start) share one
# context; few, because each keeps its graph alive
_RECENT: deque = deque(maxlen=2)


def gather(ptr: np.ndarray, idx: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, slot): every CSR slot of `nodes` (owner repeats the node), vectorized."""
    lo, hi = ptr[nodes], ptr[nodes + 1]
    cnt = hi - lo
    total = int(cnt.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    owner = np.repeat(nodes, cnt)
    start = np.repeat(lo - np.concatenate(([0], np.cumsum(cnt)[:-1])), cnt)
    slot = start + np.arange(total)
    return owner, slot


def levels(graph: TaskGraph) -> list[np.ndarray]:
    """Tasks grouped by generation: level 0 has no predecessors, level i+1 only preds in <= i.

    One numpy pass per level, so graphs with few levels and millions of tasks stay fast.
    Raises ValueError on a cycle.
    """
    n = graph.n_tasks
    indeg = np.diff(graph.pred_ptr).astype(np.int64)
    frontier = np.flatnonzero(indeg == 0)
    out, seen = [], 0
    while len(frontier):
        out.append(frontier)
        seen += len(frontier)
        _, slot = gather(graph.succ_ptr, graph.succ, frontier)
        if len(slot) == 0:
            break
        tgt = graph.succ[slot]
        indeg -= np.bincount(tgt, minlength=n)
        cand = np.unique(tgt)
        frontier = cand[indeg[cand] == 0]
    if seen != n:
        raise ValueError("task graph has a cycle")
    return out


@dataclass(frozen=True, eq=False)
class Context:
    """Precomputed, read-only data for scheduling `graph` on `machine`."""

    graph: TaskGraph
    machine: Machine
    times: np.ndarray            # (n, core types) int64, -1 = cannot run

    @classmethod
    def of(cls, graph: TaskGraph, machine: Machine) -> "Context":
        """The context of `graph` on `machine`, computed once for the pair (see _RECENT)."""
        for ctx in _RECENT:
            if ctx.graph is graph and ctx.machine is machine:
                return ctx
        ctx = cls(graph, machine, task_times(graph, machine))
        _RECENT.appendleft(ctx)
        return ctx

    @property
    def n(self) -> int:
        return self.graph.n_tasks

    @property
    def release(self) -> int:
        """No task starts before the single kernel launch of a plan."""
        return int(self.machine.hardware.launch)

    @cached_property
    def workers_per_device(self) -> int:
        return len(self.machine.workers) // max(1, self.machine.devices)

    @cached_property
    def local_offsets(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """(kind, core type) -> worker offsets within a device that can run that kind there."""
        g, m = self.graph, self.machine
        out = {}
        dev0 = [w for w in m.workers if w.device == 0]
        for k, kind in enumerate(g.kinds):
            for ci in range(len(m.hardware.cores)):
                offs = tuple(w.id for w in dev0 if w.core_index == ci
                             and m.can_run(w.id, kind, g.cores[k]))
                if offs:
                    out[(k, ci)] = offs
        return out

    @cached_property
    def min_time(self) -> np.ndarray:
        """Fastest eligible time per task (int64)."""
        t = np.where(self.times >= 0, self.times, np.iinfo(np.int64).max)
        mn = t.min(axis=1) if t.shape[1] else np.zeros(self.n, np.int64)
        bad = np.flatnonzero(mn == np.iinfo(np.int64).max)
        if len(bad):
            t0 = int(bad[0])
            raise UserError(f"task {self.graph.label(t0)} needs '{self.graph.kind_name(t0)}', "
                            f"which no core type of hardware '{self.machine.hardware.name}' "
                            f"can run")
        return mn

    @cached_property
    def floor_times(self) -> np.ndarray:
        """(n, core types) int64: ns no emulation of a task can beat (`cost.floor_times`)."""
        return floor_times(self.graph, self.machine, self.times)

    @cached_property
    def mean_time(self) -> np.ndarray:
        """Mean time over eligible core types (HEFT's average cost), float64."""
        ok = self.times >= 0
        return np.where(ok, self.times, 0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)

    @cached_property
    def link_ns(self) -> np.ndarray:
        """int64 per task: ns a send to another device holds the links at full bandwidth
        (on a route of several resources: the slowest one's, `topology.send_ns`)."""
        g, hw = self.graph, self.machine.hardware
        if hw.package_link is not None or hw.fabric is not None:
            return np.ceil(send_ns(g, hw, np.arange(self.n))).astype(np.int64)
        if hw.link is None or not hw.link.bandwidth:
            return np.zeros(self.n, np.int64)
        remote = (g.dst >= 0) & (g.dst != g.device)
        return np.where(remote, np.ceil(g.bytes_sent / hw.link.bandwidth * 1e9), 0).astype(np.int64)

    @cached_property
    def route_ns(self) -> list[tuple[tuple[int, int], ...]]:
        """Per task, the link timelines its send holds and for how long: ((timeline, ns),
        ...), () for every other task. Timelines per device d: 6d + 0/1 the fabric link
        out/in, 2/3 the package link out/in, 4/5 the fabric port out/in (`topology`)."""
        g, hw = self.graph, self.machine.hardware
        out: list[tuple[tuple[int, int], ...]] = [()] * self.n
        if hw.package_link is None and hw.fabric is None:
            for t in np.flatnonzero(self.link_ns > 0).tolist():
                ns = int(self.link_ns[t])
                out[t] = ((6 * int(g.device[t]), ns), (6 * int(g.dst[t]) + 1, ns))
            return out
        t = np.flatnonzero(self.link_ns > 0)
        r = routes(g, hw, t)
        bw = np.where(r.package, hw.package_link.bandwidth if hw.package_link else 1.0,
                      hw.link.bandwidth if hw.link else 1.0)
        link = np.ceil(r.link_bytes / bw * 1e9).astype(np.int64).tolist()
        fab = hw.fabric.bandwidth if hw.fabric else 1.0
        port = np.ceil(r.port_bytes / fab * 1e9).astype(np.int64).tolist()
        for i, (u, pkg) in enumerate(zip(t.tolist(), r.package.tolist())):
            src, dst, k = 6 * int(g.device[u]), 6 * int(g.dst[u]), 2 if pkg else 0
            got = ((src + k, link[i]), (dst + k + 1, link[i])) if link[i] else ()
            if port[i]:
                got += ((src + 4, port[i]), (dst + 5, port[i]))
            out[u] = got
        return out

    @cached_property
    def ratr(self) -> np.ndarray:
        """int64 per task: a send's place in rank-aware tile reordering, else 0.

        HyperParallel-MoE's RATR: every rank walks its destinations starting from a
        different one, (i + rank) % ep, so at any moment the ranks send to distinct
        devices and no device's link in is a hot spot. Sorting sends by
        (dst - device) mod devices gives that order.
        """
        g = self.graph
        d = max(1, self.machine.devices)
        return np.where(g.dst >= 0, (g.dst.astype(np.int64) - g.device) % d, 0)

    def _latency(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Latency of edges u -> v when their two ends run on different workers."""
        return graph_latencies(self.graph, self.machine.hardware, u, v)

    @cached_property
    def pred_latency(self) -> np.ndarray:
        """Latency of each pred-CSR edge when its two ends run on different workers."""
        g = self.graph
        return self._latency(g.pred.astype(np.int64), np.repeat(np.arange(self.n), np.diff(g.pred_ptr)))

    @cached_property
    def succ_latency(self) -> np.ndarray:
        """The same latencies, aligned with the succ CSR."""
        g = self.graph
        return self._latency(np.repeat(np.arange(self.n), np.diff(g.succ_ptr)), g.succ.astype(np.int64))

    @cached_property
    def levels(self) -> list[np.ndarray]:
        try:
            return levels(self.graph)
        except ValueError:
            raise UserError(f"task graph '{self.graph.name}' has a cycle") from None

    def head(self, cost: np.ndarray, lat: bool = False) -> np.ndarray:
        """Longest path ending just before each task (top level), from `cost` per task."""
        g = self.graph
        top = np.zeros(self.n, dtype=cost.dtype)
        elat = self.pred_latency if lat else None
        for lv in self.levels[1:]:
            owner, slot = gather(g.pred_ptr, g.pred, lv)
            u = g.pred[slot]
            val = top[u] + cost[u] + (elat[slot] if lat else 0)
            np.maximum.at(top, owner, val)
        return top

    def tail(self, cost: np.ndarray, lat: bool = False) -> np.ndarray:
        """Longest path starting just after each task (bottom level minus own cost)."""
        g = self.graph
        bot = np.zeros(self.n, dtype=cost.dtype)
        elat = self.succ_latency if lat else None
        for lv in reversed(self.levels[:-1]):
            owner, slot = gather(g.succ_ptr, g.succ, lv)
            v = g.succ[slot]
            val = bot[v] + cost[v] + (elat[slot] if lat else 0)
            np.maximum.at(bot, owner, val)
        return bot

    def pools_of(self, kind: int, device: int) -> list[tuple[int, tuple[int, ...]]]:
        """[(core type, worker ids)] a task of `kind` on `device` may use."""
        base = device * self.workers_per_device
        return [(ci, tuple(base + o for o in offs))
                for (k, ci), offs in self.local_offsets.items() if k == kind]
