"""The disjunctive graph `tabu` searches: worker orders, heads, tails and the moves.

Edges u -> v with a weight w mean start[v] >= start[u] + w: a dependency weighs u's
time plus the latency rule's value when the two run on different workers; the worker
order weighs the earlier task's time; a link order weighs the earlier send's link time.
`heads` is the longest path from the launch to each task's start (a task's start in
the semi-active schedule), `reach` (tails) the longest path from a task's start to the
end; a task is critical when head + reach = makespan.
"""
from __future__ import annotations

import random
from bisect import bisect_left

import numpy as np

from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context


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
        self.lpred = [[] for _ in range(n)]
        self.lsucc = [[] for _ in range(n)]
        start = s.start.tolist()
        sends = [t for t in range(n) if self.xfer[t] > 0]
        for key in (g.device, g.dst):
            by = {}
            for t in sorted(sends, key=lambda t: (start[t], t)):
                by.setdefault(int(key[t]), []).append(t)
            for chain in by.values():
                for a, b in zip(chain, chain[1:]):
                    self.lpred[b].append(a)
                    self.lsucc[a].append(b)
        self.elig = [[w for _, pool in ctx.pools_of(int(g.kind[t]), int(g.device[t]))
                      for w in pool] for t in range(n)]
        self.worker = s.worker.tolist()
        self.seq: dict[int, list[int]] = {}
        for t in sorted(range(n), key=lambda t: (start[t], int(s.end[t]), t)):
            self.seq.setdefault(self.worker[t], []).append(t)
        self.pos = [0] * n
        for ts in self.seq.values():
            for i, t in enumerate(ts):
                self.pos[t] = i
        if not self.evaluate():
            raise ValueError("the start schedule's orders form a cycle")

    def dur(self, t: int) -> int:
        return self.times[t][self.core_of[self.worker[t]]]

    def _out(self, u: int):
        """(v, weight) of every edge out of u."""
        du, wu = self.dur(u), self.worker[u]
        for v, L in self.succ[u]:
            yield v, du + (L if self.worker[v] != wu else 0)
        ts = self.seq[wu]
        if self.pos[u] + 1 < len(ts):
            yield ts[self.pos[u] + 1], du
        for v in self.lsucc[u]:
            yield v, self.xfer[u]

    def evaluate(self) -> bool:
        """Heads, tails and the makespan (False, nothing changed, on a cycle)."""
        n = self.n
        indeg = [len(self.pred[t]) + len(self.lpred[t]) + (self.pos[t] > 0) for t in range(n)]
        head = [self.release] * n
        stack = [t for t in range(n) if indeg[t] == 0]
        order = []
        while stack:
            u = stack.pop()
            order.append(u)
            hu = head[u]
            for v, w in self._out(u):
                if hu + w > head[v]:
                    head[v] = hu + w
                indeg[v] -= 1
                if indeg[v] == 0:
                    stack.append(v)
        if len(order) < n:
            return False
        reach = [0] * n
        for u in reversed(order):
            r = self.dur(u)
            for v, w in self._out(u):
                if w + reach[v] > r:
                    r = w + reach[v]
            reach[u] = r
        self.head, self.reach = head, reach
        self.makespan = max(h + self.dur(t) for t, h in enumerate(head))
        return True

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        worker = np.array(self.worker, np.int32)
        start = np.array(self.head, np.int64)
        end = start + np.array([self.dur(t) for t in range(self.n)], np.int64)
        return worker, start, end

    # moves -----------------------------------------------------------------------------

    def critical(self, t: int) -> bool:
        return self.head[t] + self.reach[t] == self.makespan

    def blocks(self) -> list[list[int]]:
        """Maximal runs of critical tasks on one worker, each starting as the last ends."""
        out = []
        for ts in self.seq.values():
            run = [ts[0]]
            for a, b in zip(ts, ts[1:]):
                if (self.critical(a) and self.critical(b)
                        and self.head[a] + self.dur(a) == self.head[b]):
                    run.append(b)
                else:
                    if len(run) > 1:
                        out.append(run)
                    run = [b]
            if len(run) > 1:
                out.append(run)
        return out

    def _ready(self, t: int) -> int:
        """t's earliest start from its dependencies and link order alone."""
        r, wt = self.release, self.worker[t]
        for u, L in self.pred[t]:
            a = self.head[u] + self.dur(u) + (L if self.worker[u] != wt else 0)
            r = max(r, a)
        for u in self.lpred[t]:
            r = max(r, self.head[u] + self.xfer[u])
        return r

    def _rest(self, t: int) -> int:
        """Longest path from t's start to the end through its dependencies and links."""
        r, wt, d = self.dur(t), self.worker[t], self.dur(t)
        for v, L in self.succ[t]:
            r = max(r, d + (L if self.worker[v] != wt else 0) + self.reach[v])
        for v in self.lsucc[t]:
            r = max(r, self.xfer[t] + self.reach[v])
        return r

    def swap_estimate(self, u: int, v: int) -> int | None:
        """Taillard's estimate of the makespan after swapping u and v (u just before v on
        one worker); None when v depends on u directly."""
        if any(x == u for x, _ in self.pred[v]):
            return None
        ts, i = self.seq[self.worker[u]], self.pos[u]
        p = ts[i - 1] if i > 0 else None
        s = ts[i + 2] if i + 2 < len(ts) else None
        rv = max(self._ready(v), self.head[p] + self.dur(p) if p is not None else 0)
        ru = max(self._ready(u), rv + self.dur(v))
        qu = max(self._rest(u), self.dur(u) + self.reach[s] if s is not None else 0)
        qv = max(self._rest(v), self.dur(v) + qu)
        return max(rv + qv, ru + qu)

    def moves(self, rng: random.Random, pool_moves: int = 4) -> list[tuple]:
        """[(estimated makespan, tabu key, move)]: N5 swaps and a few pool moves."""
        out = []
        for b in self.blocks():
            pairs = {(b[0], b[1]), (b[-2], b[-1])}
            for u, v in sorted(pairs):
                est = self.swap_estimate(u, v)
                if est is not None:
                    out.append((est, (u, v), ("swap", u, v)))
        crit = [t for t in range(self.n) if len(self.elig[t]) > 1 and self.critical(t)]
        rng.shuffle(crit)
        for t in crit[:pool_moves]:
            others = [w for w in self.elig[t] if w != self.worker[t]]
            w2 = others[rng.randrange(len(others))]
            move = ("move", t, w2)
            if self.apply(move):
                out.append((self.makespan, (t,), move))
                self.undo()
        return out

    def apply(self, move: tuple) -> bool:
        """Make the move and re-evaluate; False (and nothing changed) on a cycle."""
        self._saved = (move, dict(self.seq), self.pos[:], self.worker[:], self.head,
                       self.reach, self.makespan)
        if move[0] == "swap":
            _, u, v = move
            w = self.worker[u]
            ts = self.seq[w] = self.seq[w][:]
            i = self.pos[u]
            ts[i], ts[i + 1] = v, u
            self.pos[u], self.pos[v] = i + 1, i
        else:
            _, t, w2 = move
            w = self.worker[t]
            old = self.seq[w] = [x for x in self.seq[w] if x != t]
            for i, x in enumerate(old):
                self.pos[x] = i
            new = self.seq[w2] = self.seq.get(w2, [])[:]
            at = bisect_left([self.head[x] for x in new], self.head[t])
            new.insert(at, t)
            for i, x in enumerate(new):
                self.pos[x] = i
            self.worker[t] = w2
            if not old:
                del self.seq[w]
        if self.evaluate():
            return True
        self.undo()
        return False

    def state(self) -> tuple:
        """What `restore` needs to come back to this solution."""
        return {w: ts[:] for w, ts in self.seq.items()}, self.worker[:]

    def restore(self, state: tuple) -> None:
        seq, worker = state
        self.seq = {w: ts[:] for w, ts in seq.items()}
        self.worker = worker[:]
        for ts in self.seq.values():
            for i, t in enumerate(ts):
                self.pos[t] = i
        self.evaluate()

    def undo(self) -> None:
        _, seq, pos, worker, head, reach, mk = self._saved
        self.seq, self.pos, self.worker = seq, pos, worker
        self.head, self.reach, self.makespan = head, reach, mk
