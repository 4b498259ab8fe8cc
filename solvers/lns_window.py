"""One window of `lns`: the tasks on a set of workers (one pool of a device) whose
starts fall in a time window, re-solved exactly with CP-SAT while everything else keeps
its worker and its order.

On each of these workers the window's tasks are one contiguous run of its order
(a worker's starts never decrease along its order), so the rest of the order is a
prefix that ends before the window and a suffix that follows it. The model, in ns:
  start s[t] >= the arrival from its dependencies and link predecessors outside the
            window (their current ends, plus the latency rule's value unless the
            dependency ran on the worker t is given), and on worker w after w's prefix;
  presence p[t,w] for t's own worker and the `choices - 1` other eligible workers of
            the set with the most slack (the shortest path through their suffix), an
            optional interval each, NoOverlap per worker;
  inside the window: precedence with the latency waived by a reified same-worker
            literal (as `cpsat`), and the link orders kept (s[b] >= s[a] + link time);
  Z >= each task's end plus the tail behind it outside the window (the current tails
            of its dependants, link successors and of the first suffix task of its
            worker); minimize Z.
The current solution is the hint. The heads and tails outside are the current ones, so
the model is exact only when no path leaves the window and comes back; `lns` therefore
evaluates every answer on the whole graph and keeps it only when the makespan does not
grow.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from ortools.sat.python import cp_model

from hpdsl.solvers.tabu_graph import Solution


def window(sol: Solution, tasks: list[int], centre: int, size: int) -> tuple[int, int]:
    """[T0, T1]: the start times spanned by the `size` of `tasks` starting nearest to
    `centre`'s start."""
    heads = sorted(sol.head[t] for t in tasks)
    i = bisect_left(heads, sol.head[centre])
    lo, hi = i, i   # heads[lo:hi] taken
    while hi - lo < min(size, len(heads)):
        if lo == 0 or (hi < len(heads) and heads[hi] - heads[i] <= heads[i] - heads[lo - 1]):
            hi += 1
        else:
            lo -= 1
    return heads[lo], heads[hi - 1]


class WindowModel:
    """The CP-SAT model of the tasks on `workers` starting in [t0, t1]; `solve` answers
    new worker orders for `Solution.change`, or None."""

    def __init__(self, sol: Solution, workers: list[int], t0: int, t1: int, choices: int):
        self.sol = sol
        self.cut, self.free = {}, {}
        for w in workers:
            ts = sol.seq.get(w, [])
            heads = [sol.head[x] for x in ts]
            lo, hi = self.cut[w] = (bisect_left(heads, t0), bisect_right(heads, t1))
            # the longest path through the worker's suffix (or its prefix's end when it has
            # none): the smaller, the more slack a task moved onto it may use
            self.free[w] = (sol.head[ts[hi]] + sol.reach[ts[hi]] if hi < len(ts) else
                            sol.head[ts[lo - 1]] + sol.d[ts[lo - 1]] if lo > 0 else sol.release)
        self.choices = choices
        self.tasks = [x for w in workers for x in sol.seq.get(w, [])[slice(*self.cut[w])]]
        self.inside = set(self.tasks)
        self.tog = {}
        self.m = cp_model.CpModel()
        self.Z = self.m.NewIntVar(0, sol.makespan, "Z")
        self.m.Minimize(self.Z)
        self._variables()
        self._edges()
        self._hint()

    def _variables(self) -> None:
        sol, m = self.sol, self.m
        self.s, self.e, self.p = {}, {}, {}
        per_worker = {}
        for t in self.tasks:
            s = self.s[t] = m.NewIntVar(sol.release, sol.makespan, f"s{t}")
            ps = self.p[t] = {w: m.NewBoolVar(f"p{t}_{w}") for w in self._workers_for(t)}
            m.AddExactlyOne(ps.values())
            self.e[t] = s + sum(sol.times[t][sol.core_of[w]] * p for w, p in ps.items())
            for w, p in ps.items():
                d = sol.times[t][sol.core_of[w]]
                per_worker.setdefault(w, []).append(
                    m.NewOptionalFixedSizeIntervalVar(s, d, p, f"i{t}_{w}"))
                lo, hi = self.cut[w]
                ts = sol.seq.get(w, [])
                if lo > 0:   # after the worker's prefix
                    m.Add(s >= sol.head[ts[lo - 1]] + sol.d[ts[lo - 1]]).OnlyEnforceIf(p)
                if hi < len(ts):   # and before its suffix, whose tail follows
                    m.Add(self.Z >= s + d + sol.reach[ts[hi]]).OnlyEnforceIf(p)
            m.Add(self.Z >= self.e[t])
        for ivs in per_worker.values():
            m.AddNoOverlap(ivs)

    def _workers_for(self, t: int) -> list[int]:
        """t's own worker and the `choices - 1` other eligible ones with the most slack
        (the shortest path through what follows the window on them): on pools of 24-48
        identical queues every worker is too many presence literals."""
        sol = self.sol
        others = sorted((self.free[w], w) for w in sol.elig[t]
                        if w in self.cut and w != sol.worker[t])
        return [sol.worker[t]] + [w for _, w in others[:self.choices - 1]]

    def _waived_unless(self, t: int, w: int, lhs, base, L: int) -> None:
        """lhs >= base + L, the latency L waived when t runs on worker w."""
        if L and w in self.p[t]:
            self.m.Add(lhs >= base + L).OnlyEnforceIf(self.p[t][w].Not())
            self.m.Add(lhs >= base)
        else:
            self.m.Add(lhs >= base + L)

    def _edges(self) -> None:
        sol, m, inside = self.sol, self.m, self.inside
        for t in self.tasks:
            for u, L in sol.pred[t]:
                if u not in inside:
                    self._waived_unless(t, sol.worker[u], self.s[t], sol.head[u] + sol.d[u], L)
                else:
                    self._internal(u, t, L)
            for u in sol.lpred(t):
                m.Add(self.s[t] >= (sol.head[u] + sol.xfer[u] if u not in inside
                                    else self.s[u] + sol.xfer[u]))
            for v, L in sol.succ[t]:
                if v not in inside:
                    self._waived_unless(t, sol.worker[v], self.Z, self.e[t] + sol.reach[v], L)
            for v in sol.lsucc(t):
                if v not in inside:
                    m.Add(self.Z >= self.s[t] + sol.xfer[t] + sol.reach[v])

    def _internal(self, u: int, v: int, L: int) -> None:
        gap = self.s[v] - self.e[u]
        self.m.Add(gap >= 0)
        if not L:
            return
        if not self.p[u].keys() & self.p[v].keys():
            self.m.Add(gap >= L)
            return
        tog = self.tog[(u, v)] = self.m.NewBoolVar(f"tog{u}_{v}")   # on one worker
        self.m.Add(sum(w * p for w, p in self.p[u].items())
                   == sum(w * p for w, p in self.p[v].items())).OnlyEnforceIf(tog)
        self.m.Add(gap >= L).OnlyEnforceIf(tog.Not())

    def _hint(self) -> None:
        sol, m = self.sol, self.m
        m.AddHint(self.Z, sol.makespan)
        for t in self.tasks:
            m.AddHint(self.s[t], sol.head[t])
            for w, p in self.p[t].items():
                m.AddHint(p, sol.worker[t] == w)
        for (u, v), tog in self.tog.items():
            m.AddHint(tog, sol.worker[u] == sol.worker[v])

    def solve(self, seconds: float, dtime: float, seed: int):
        """(new orders per worker, moved tasks) from CP-SAT's best answer, or None."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1   # deterministic with max_deterministic_time
        solver.parameters.random_seed = seed
        solver.parameters.max_time_in_seconds = max(0.01, seconds)
        solver.parameters.max_deterministic_time = dtime
        solver.parameters.catch_sigint_signal = False
        code = solver.Solve(self.m)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        sol = self.sol
        where = {t: next(w for w, p in self.p[t].items() if solver.Value(p)) for t in self.tasks}
        on = {w: [] for w in self.cut}
        for t in sorted(self.tasks, key=lambda t: (solver.Value(self.s[t]), sol.idx[t])):
            on[where[t]].append(t)
        seqs = {}
        for w, (lo, hi) in self.cut.items():
            ts, mid = sol.seq.get(w, []), on[w]
            if mid != ts[lo:hi]:
                seqs[w] = ts[:lo] + mid + ts[hi:]
        moved = {t: w for t, w in where.items() if w != sol.worker[t]}
        return seqs, moved
