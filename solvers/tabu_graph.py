"""The disjunctive graph `tabu` searches: worker orders, heads and tails, kept up to date
incrementally after each move.

Edges u -> v with a weight w mean start[v] >= start[u] + w: a dependency weighs u's
time plus the latency rule's value when the two run on different workers; the worker
order weighs the earlier task's time; a link order weighs the earlier send's link time.
`head` is the longest path from the launch to each task's start (its start in the
semi-active schedule), `reach` (the tail) the longest path from its start to the end.

A move changes a few worker orders (and maybe one task's worker). `change` then
- keeps a topological order of the graph (`order`, `idx`) valid, edge by new edge, as
  Pearce and Kelly's dynamic topological sort does (a DFS bounded by the two endpoints'
  indices reorders only the tasks between them that must move; reaching the edge's tail
  means a cycle, and the move is rejected);
- recomputes heads forward from the tasks whose incoming edges changed, in topological
  order, and only where a head changed goes on to the successors; tails the same way
  backwards;
- journals every value it overwrites, so `undo` puts the previous solution back exactly.
So a move costs what it changes, not a pass over the graph (one pass is 3-5 s on the
200k tasks of an MoE layer at 16 dies).
"""
from __future__ import annotations

import heapq

import numpy as np

from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context

_MISSING = object()


class Solution:
    """Mutable: a worker and an order per worker, the link orders, heads and tails."""

    def __init__(self, ctx: Context, s: Schedule):
        g, m = ctx.graph, ctx.machine
        n = self.n = ctx.n
        self.release = ctx.release
        self.core_of = m.worker_core.tolist()
        self.times = ctx.times.tolist()
        v_of = np.repeat(np.arange(n), np.diff(g.pred_ptr)).tolist()
        lat = ctx.pred_latency.tolist()
        self.pred = [[] for _ in range(n)]
        self.succ = [[] for _ in range(n)]
        for u, v, L in zip(g.pred.tolist(), v_of, lat):
            self.pred[v].append((u, L))
            self.succ[u].append((v, L))
        self.xfer = ctx.link_ns.tolist()
        # link orders: per device a chain of its sends out (key 2d) and of those into it
        # (key 2d + 1), in the start's order; a send is in two chains
        start = s.start.tolist()
        sends = [t for t in range(n) if self.xfer[t] > 0]
        lseq: dict[int, list[int]] = {}
        for t in sorted(sends, key=lambda t: (start[t], t)):
            lseq.setdefault(2 * int(g.device[t]), []).append(t)
            lseq.setdefault(2 * int(g.dst[t]) + 1, []).append(t)
        self.elig = [[w for _, pool in ctx.pools_of(int(g.kind[t]), int(g.device[t]))
                      for w in pool] for t in range(n)]
        worker = s.worker.tolist()
        seq: dict[int, list[int]] = {}
        for t in sorted(range(n), key=lambda t: (start[t], int(s.end[t]), t)):
            seq.setdefault(worker[t], []).append(t)
        self._log: list = []
        self.restore((seq, worker, lseq))

    def dur(self, t: int) -> int:
        return self.d[t]

    def lpred(self, t: int) -> list[int]:
        """The sends before t on its links (out of its device, into its destination)."""
        return [self.lseq[k][i - 1] for k, i in self.lpos[t].items() if i > 0]

    def lsucc(self, t: int) -> list[int]:
        return [self.lseq[k][i + 1] for k, i in self.lpos[t].items() if i + 1 < len(self.lseq[k])]

    def ins(self, v: int) -> list[tuple[int, int]]:
        """(u, weight) of every edge into v."""
        worker, d = self.worker, self.d
        wv = worker[v]
        out = [(u, d[u] + (L if worker[u] != wv else 0)) for u, L in self.pred[v]]
        if self.pos[v] > 0:
            u = self.seq[wv][self.pos[v] - 1]
            out.append((u, d[u]))
        if self.lpos[v]:
            out += [(u, self.xfer[u]) for u in self.lpred(v)]
        return out

    def outs(self, u: int) -> list[tuple[int, int]]:
        """(v, weight) of every edge out of u."""
        worker = self.worker
        du, wu = self.d[u], worker[u]
        out = [(v, du + (L if worker[v] != wu else 0)) for v, L in self.succ[u]]
        ts = self.seq[wu]
        if self.pos[u] + 1 < len(ts):
            out.append((ts[self.pos[u] + 1], du))
        if self.lpos[u]:
            out += [(v, self.xfer[u]) for v in self.lsucc(u)]
        return out

    # full evaluation ----------------------------------------------------------------

    def restore(self, state: tuple) -> None:
        """Set the worker orders, workers and link orders, then heads, tails and the
        topological order from scratch."""
        seq, worker, lseq = state
        self.seq = {w: ts[:] for w, ts in seq.items()}
        self.worker = worker[:]
        self.d = [self.times[t][self.core_of[w]] for t, w in enumerate(self.worker)]
        self.pos = [0] * self.n
        for ts in self.seq.values():
            for i, t in enumerate(ts):
                self.pos[t] = i
        self.lseq = {k: ch[:] for k, ch in lseq.items()}
        self.lpos: list[dict[int, int]] = [{} for _ in range(self.n)]
        for k, ch in self.lseq.items():
            for i, t in enumerate(ch):
                self.lpos[t][k] = i
        if not self._evaluate():
            raise ValueError("the start schedule's orders form a cycle")
        self._log = []

    def _evaluate(self) -> bool:
        """Heads, tails, the topological order and the makespan (False on a cycle)."""
        n = self.n
        indeg = [len(self.ins(t)) for t in range(n)]
        head = [self.release] * n
        stack = [t for t in range(n) if indeg[t] == 0]
        order = []
        while stack:
            u = stack.pop()
            order.append(u)
            hu = head[u]
            for v, w in self.outs(u):
                if hu + w > head[v]:
                    head[v] = hu + w
                indeg[v] -= 1
                if indeg[v] == 0:
                    stack.append(v)
        if len(order) < n:
            return False
        self.head, self.reach, self.order = head, [0] * n, order
        for u in reversed(order):
            self.reach[u] = self._tail_of(u)
        self.idx = [0] * n
        for i, t in enumerate(order):
            self.idx[t] = i
        self.makespan = self._makespan()
        return True

    def _head_of(self, v: int) -> int:
        h = self.release
        head = self.head
        for u, w in self.ins(v):
            if head[u] + w > h:
                h = head[u] + w
        return h

    def _tail_of(self, u: int) -> int:
        r = self.d[u]
        reach = self.reach
        for v, w in self.outs(u):
            if w + reach[v] > r:
                r = w + reach[v]
        return r

    def _makespan(self) -> int:
        # a task without successors is last on its worker: the makespan is one of theirs
        return max(self.head[ts[-1]] + self.dur(ts[-1]) for ts in self.seq.values() if ts)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        worker = np.array(self.worker, np.int32)
        start = np.array(self.head, np.int64)
        end = start + np.array([self.dur(t) for t in range(self.n)], np.int64)
        return worker, start, end

    def state(self) -> tuple:
        """What `restore` needs to come back to this solution."""
        return ({w: ts[:] for w, ts in self.seq.items() if ts}, self.worker[:],
                {k: ch[:] for k, ch in self.lseq.items()})

    # incremental change ----------------------------------------------------------------

    def _set(self, obj, key, value) -> None:
        old = obj.get(key, _MISSING) if isinstance(obj, dict) else obj[key]
        self._log.append((obj, key, old))
        obj[key] = value

    def undo(self) -> None:
        """Back to the solution before the last `change`."""
        for obj, key, old in reversed(self._log):
            if old is _MISSING:
                del obj[key]
            else:
                obj[key] = old
        self._log = []

    def change(self, seqs: dict[int, list[int]], moved: dict[int, int] | None = None,
               tails: bool = True, links: dict[int, list[int]] | None = None) -> bool:
        """New orders for the workers in `seqs` (and each task of `moved` onto its
        worker there) and for the link chains in `links`; heads, the makespan and (with
        `tails`) the tails follow. False, with nothing changed, when the new orders close
        a cycle. A trial that is undone needs no tails: the makespan comes from heads."""
        self._log = []
        into, out_of, added = set(), set(), []
        for t, w2 in (moved or {}).items():
            into.update(v for v, _ in self.outs(t))   # t's time and latencies change
            out_of.update(u for u, _ in self.ins(t))
            into.add(t)
            out_of.add(t)
        for t, w2 in (moved or {}).items():
            self._set(self.worker, t, w2)
            self._set(self.d, t, self.times[t][self.core_of[w2]])
        for w, new in seqs.items():
            added += self._resequence(self.seq, w, new, into, out_of,
                                      lambda t, i: self._set(self.pos, t, i))
        for k, new in (links or {}).items():
            added += self._resequence(self.lseq, k, new, into, out_of,
                                      lambda t, i, k=k: self._set(self.lpos[t], k, i))
        for a, b in added:
            if self.idx[a] > self.idx[b] and not self._reorder(a, b):
                self.undo()
                return False
        self._propagate(into, out_of if tails else ())
        return True

    def _resequence(self, store: dict, key: int, new: list[int], into: set, out_of: set,
                    set_pos) -> list[tuple[int, int]]:
        """store[key] = new (journaled, positions through `set_pos`); the ends of the
        order edges that changed join `into`/`out_of`; returns the added edges."""
        old = store.get(key, [])
        lo = 0
        while lo < min(len(old), len(new)) and old[lo] == new[lo]:
            lo += 1
        s = 0
        while s < min(len(old), len(new)) - lo and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
            s += 1
        ea = {(old[i], old[i + 1]) for i in range(max(lo - 1, 0), len(old) - s - (s == 0))}
        eb = {(new[i], new[i + 1]) for i in range(max(lo - 1, 0), len(new) - s - (s == 0))}
        for a, b in ea ^ eb:
            out_of.add(a)
            into.add(b)
        self._set(store, key, new)
        for i in range(lo, len(new) if len(new) != len(old) else len(new) - s):
            set_pos(new[i], i)
        return sorted(eb - ea)

    def _reorder(self, a: int, b: int) -> bool:
        """Make the order valid for a new edge a -> b (idx[a] > idx[b]); False on a cycle."""
        idx, lo, hi = self.idx, self.idx[b], self.idx[a]
        fwd, stack, seen = [], [b], {b}
        while stack:
            x = stack.pop()
            fwd.append(x)
            for y, _ in self.outs(x):
                if y == a:
                    return False
                if y not in seen and idx[x] < idx[y] < hi:   # idx[x] < idx[y]: an edge
                    seen.add(y)                               # the order already holds
                    stack.append(y)
        back, stack = [], [a]
        seen.add(a)
        while stack:
            x = stack.pop()
            back.append(x)
            for y, _ in self.ins(x):
                if y not in seen and lo < idx[y] < idx[x]:
                    seen.add(y)
                    stack.append(y)
        nodes = sorted(back, key=idx.__getitem__) + sorted(fwd, key=idx.__getitem__)
        slots = sorted(idx[x] for x in nodes)
        for i, x in zip(slots, nodes):
            self._set(self.order, i, x)
            self._set(idx, x, i)
        return True

    def _propagate(self, into, out_of) -> None:
        """Heads forward from `into`, tails backward from `out_of`, then the makespan."""
        self._wave(into, self.head, self._head_of, self.outs, 1)
        self._wave(out_of, self.reach, self._tail_of, self.ins, -1)
        self._set(self.__dict__, "makespan", self._makespan())

    def _wave(self, seeds, values: list[int], recompute, onward, sign: int) -> None:
        """Recompute `values` from `seeds` on, in topological order (`sign` 1) or its
        reverse (-1); a value that does not change stops the wave there. A task is
        queued once: those queued later all come after the one being settled."""
        idx = self.idx
        heap = [(sign * idx[x], x) for x in seeds]
        heapq.heapify(heap)
        queued = set(seeds)
        while heap:
            x = heapq.heappop(heap)[1]
            v = recompute(x)
            if v != values[x]:
                self._set(values, x, v)
                for y, _ in onward(x):
                    if y not in queued:
                        queued.add(y)
                        heapq.heappush(heap, (sign * idx[y], y))
