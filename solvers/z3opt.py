"""`z3`: exact makespan minimization with Z3, warm-started from the heuristic portfolio.

Model (built in the order OR-Tools samples use):
  data      times, eligible workers, heads/tails, all divided by their common gcd;
  variables start s[t] (Int), presence x[t,w] (Bool, one per eligible worker), order
            b[i,j] (Bool) for each pair that may share a worker and is not already
            ordered by a path of dependencies, the makespan C;
  constraints
            exactly one x per task; end = start + the chosen core type's time;
            s[t] >= launch; precedence s[v] >= e[u] (+ the cross-worker latency unless
            both ends are on the same worker); no overlap: if i and j share a worker,
            b -> s[j] >= e[i] and not b -> s[i] >= e[j]; redundant head/tail bounds
            s[t] >= head[t], e[t] + tail[t] <= C; symmetry breaking between the
            identical instances of a core type: instance k+1 is first used after
            instance k (in task order); links: two sends to other devices that share a
            link out or a link in, and are not ordered by dependencies, hold it one
            after the other for bytes / bandwidth each (as the placer's link timelines);
  objective descend: check C <= UB - step under an assumption literal; sat gives a new
            UB (the model's makespan), unsat a proven bound and a smaller step; repeat
            until bound = UB (optimal) or the time limit (feasible, with the bound).
All constraints are difference constraints guarded by Booleans, which Z3's arithmetic
handles well. The start values of the warm start are given to Z3 as initial values.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import z3

from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.listsched import portfolio
from hpdsl.solvers.options import Options


def _reach(ctx: Context) -> list[int]:
    """Bitset per task of the tasks reachable from it (for n up to a few hundred)."""
    g = ctx.graph
    reach = [0] * ctx.n
    for lv in reversed(ctx.levels):
        for u in lv.tolist():
            r = 0
            for v in g.successors(u).tolist():
                r |= reach[v] | (1 << v)
            reach[u] = r
    return reach


def _worker_classes(ctx: Context) -> dict[int, tuple[int, ...]]:
    """worker -> the identical workers of its class (same device, core type and queue)."""
    by = {}
    for w in ctx.machine.workers:
        by.setdefault((w.device, w.core_index, w.queue), []).append(w.id)
    return {w: tuple(ws) for ws in by.values() for w in ws}


def z3opt(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    n = ctx.n
    if n > options.max_z3_tasks:
        raise UserError(f"graph '{ctx.graph.name}' has {n} tasks, more than the "
                        f"{options.max_z3_tasks} the exact scheduler 'z3' accepts; raise the "
                        f"limit (--max-z3-tasks) or use a heuristic such as 'portfolio'")
    t0 = time.perf_counter()
    warm = portfolio(graph, machine, replace(options, time_limit=min(options.time_limit / 10, 5.0)))
    lb = bounds(ctx).value
    best = warm
    ub = warm.makespan
    if n == 0 or ub <= lb:
        options.report(f"z3: the warm start ({ub} ns) meets the lower bound: optimal")
        return _result(best, "optimal", ub, t0, "warm start meets the lower bound")

    model = _Model(ctx, warm)
    solver, sc = model.solver, model.scale
    solver.set("random_seed", int(options.seed))
    # scaled: every optimal makespan is a multiple of the gcd (left-shifted schedules)
    lo, hi = -(-lb // sc), ub // sc
    solver.add(model.C <= hi)
    options.report(f"z3: {n} tasks, {len(model.pairs)} ordering pairs, start "
                   f"{ub} ns, bound {lb} ns")
    # descend in steps of ~0.1% of the makespan (1 unit for job shops in us) so that
    # nanosecond-grained graphs do not improve one ns per call; an unsat step is a proven
    # bound and the step shrinks until it is 1
    step = max(1, hi // 1000)
    while lo < hi:
        left = options.time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        solver.set("timeout", max(1, min(int(left * 1000), 2**32 - 1)))   # z3 takes a uint ms
        target = max(lo, hi - step)
        probe = z3.Bool(f"probe_{target}")
        solver.add(z3.Implies(probe, model.C <= target))
        r = solver.check(probe)
        if r == z3.sat:
            best = model.extract(solver.model())
            hi = best.makespan // sc
            solver.add(model.C <= hi)
            options.report(f"z3: makespan {best.makespan} ns, bound {lo * sc} ns, "
                           f"{time.perf_counter() - t0:.1f} s")
        elif r == z3.unsat:
            lo = target + 1
            step = max(1, step // 4)
            if lo < hi:
                options.report(f"z3: bound {lo * sc} ns, makespan {best.makespan} ns, "
                               f"{time.perf_counter() - t0:.1f} s")
        else:
            break
    ub = best.makespan
    lb = max(lb, min(lo * sc, ub))
    status = "optimal" if lb >= ub else "feasible"
    note = ("proved optimal" if status == "optimal"
            else f"time limit: best {ub} ns, proven bound {lb} ns")
    options.report(f"z3: {note}, {time.perf_counter() - t0:.1f} s")
    return _result(best, status, lb, t0, note)


def _result(s: Schedule, status: str, lb: int, t0: float, note: str) -> Schedule:
    return Schedule("z3", status, s.worker, s.start, s.end, lower_bound=int(lb),
                    solve_seconds=time.perf_counter() - t0, notes=(note,))


class _Model:
    """The Z3 variables and constraints for one graph; `extract` reads a model back."""

    def __init__(self, ctx: Context, warm: Schedule):
        self.ctx = ctx
        g, times, n = ctx.graph, ctx.times, ctx.n
        lat = ctx.pred_latency
        d_min = ctx.min_time
        head = ctx.head(d_min) + ctx.release
        tail = ctx.tail(d_min)
        # everything divides by the gcd of all constants: smaller numbers, same problem
        consts = [int(v) for v in np.unique(times[times > 0])] + \
            [int(v) for v in np.unique(lat)] + [ctx.release] + \
            [int(v) for v in np.unique(ctx.link_ns[ctx.link_ns > 0])]
        self.scale = sc = max(1, math.gcd(*consts)) if consts else 1
        self.solver = s = z3.SolverFor("QF_LIA")
        self.C = C = z3.Int("makespan")

        self.elig: list[dict[int, int]] = []      # task -> {worker: duration (scaled)}
        for t in range(n):
            ws = {}
            for ci, pool in ctx.pools_of(int(g.kind[t]), int(g.device[t])):
                for w in pool:
                    ws[w] = int(times[t, ci]) // sc
            self.elig.append(ws)
        self.start = [z3.Int(f"s_{t}") for t in range(n)]
        self.x: list[dict[int, z3.BoolRef]] = []
        self.end = []
        for t in range(n):
            ws = self.elig[t]
            xs = {w: (z3.BoolVal(True) if len(ws) == 1 else z3.Bool(f"x_{t}_{w}")) for w in ws}
            self.x.append(xs)
            durs = set(ws.values())
            if len(durs) == 1:
                e = self.start[t] + durs.pop()
            else:
                e = z3.Int(f"e_{t}")
                for w, d in ws.items():
                    s.add(z3.Implies(xs[w], e - self.start[t] == d))
            self.end.append(e)
            if len(ws) > 1:
                s.add(z3.Or(list(xs.values())))
                s.add(z3.AtMost(*xs.values(), 1))
            s.add(self.start[t] >= int(head[t]) // sc)
            s.add(e + int(tail[t]) // sc <= C)
            if g.succ_ptr[t + 1] == g.succ_ptr[t]:
                s.add(e <= C)
        self._precedence(lat // sc)
        self._no_overlap()
        self._links(sc)
        self._symmetry()
        for t in range(n):
            if int(warm.start[t]) % sc == 0:   # always, as starts are sums of constants
                s.set_initial_value(self.start[t], int(warm.start[t]) // sc)
            w = int(warm.worker[t])
            for ww, xv in self.x[t].items():
                if z3.is_const(xv) and not z3.is_true(xv):
                    s.set_initial_value(xv, ww == w)

    def _together(self, i: int, j: int, common: list[int]) -> z3.BoolRef:
        """True exactly when i and j are on one worker (relaxes a latency, so exact)."""
        xi, xj = self.x[i], self.x[j]
        return z3.simplify(z3.Or([z3.And(xi[w], xj[w]) for w in common]))

    def _same(self, i: int, j: int, common: list[int]) -> z3.BoolRef:
        """A literal forced true when i and j are on one worker (it may be true otherwise:
        it only switches a no-overlap constraint on, so a spurious true never helps)."""
        xi, xj = self.x[i], self.x[j]
        if len(common) == 1 and len(xi) == 1 and len(xj) == 1:
            return z3.BoolVal(True)
        lit = z3.Bool(f"same_{i}_{j}")
        for w in common:
            self.solver.add(z3.Or(z3.Not(xi[w]), z3.Not(xj[w]), lit))
        return lit

    def _precedence(self, lat: np.ndarray) -> None:
        g, s = self.ctx.graph, self.solver
        ptr = g.pred_ptr
        for v in range(self.ctx.n):
            for i in range(int(ptr[v]), int(ptr[v + 1])):
                u = int(g.pred[i])
                gap = self.start[v] - self.end[u]
                L = int(lat[i])
                common = [w for w in self.elig[u] if w in self.elig[v]]
                if L == 0 or not common:
                    s.add(gap >= (L if not common else 0))
                else:
                    s.add(gap >= 0)
                    s.add(z3.Or(self._together(u, v, common), gap >= L))

    def _no_overlap(self) -> None:
        s, n = self.solver, self.ctx.n
        reach = self._reach = _reach(self.ctx)
        self.pairs = []
        for i in range(n):
            for j in range(i + 1, n):
                if (reach[i] >> j) & 1 or (reach[j] >> i) & 1:
                    continue
                common = [w for w in self.elig[i] if w in self.elig[j]]
                if not common:
                    continue
                b = z3.Bool(f"b_{i}_{j}")
                self.pairs.append((i, j))
                same = self._same(i, j, common)
                s.add(z3.Or(z3.Not(same), z3.Not(b), self.start[j] - self.end[i] >= 0))
                s.add(z3.Or(z3.Not(same), b, self.start[i] - self.end[j] >= 0))

    def _links(self, sc: int) -> None:
        """Sends sharing a device's link out or in use it one after the other."""
        g, s = self.ctx.graph, self.solver
        xfer = self.ctx.link_ns // sc
        sends = np.flatnonzero(xfer > 0).tolist()
        reach = self._reach
        for a, i in enumerate(sends):
            for j in sends[a + 1:]:
                if (reach[i] >> j) & 1 or (reach[j] >> i) & 1:
                    continue   # ordered by a path: the first ends before the second starts
                if g.device[i] != g.device[j] and g.dst[i] != g.dst[j]:
                    continue
                c = z3.Bool(f"l_{i}_{j}")
                s.add(z3.Or(z3.Not(c), self.start[j] - self.start[i] >= int(xfer[i])))
                s.add(z3.Or(c, self.start[i] - self.start[j] >= int(xfer[j])))

    def _symmetry(self) -> None:
        """Instances of a class are numbered by first use in task order (value precedence)."""
        s = self.solver
        classes = {}
        for w, ws in _worker_classes(self.ctx).items():
            if len(ws) > 1:
                classes[ws] = True
        for ws in classes:
            tasks = [t for t in range(self.ctx.n) if ws[0] in self.elig[t]]
            used = [z3.BoolVal(False)] * len(ws)     # used[k]: an earlier task is on ws[k]
            for j, t in enumerate(tasks):
                xs = self.x[t]
                for k in range(1, len(ws)):
                    if k > j:
                        s.add(z3.Not(xs[ws[k]]))
                    else:
                        s.add(z3.Implies(xs[ws[k]], used[k - 1]))
                if j + 1 < len(tasks):
                    nxt = []
                    for k in range(len(ws)):
                        if k > j:
                            nxt.append(z3.BoolVal(False))
                            continue
                        u = z3.Bool(f"used_{ws[k]}_{j}")
                        s.add(u == z3.Or(used[k], xs[ws[k]]))
                        nxt.append(u)
                    used = nxt

    def extract(self, m: z3.ModelRef) -> Schedule:
        ctx, sc = self.ctx, self.scale
        n = ctx.n
        worker = np.empty(n, dtype=np.int32)
        start = np.empty(n, dtype=np.int64)
        for t in range(n):
            start[t] = m.eval(self.start[t], model_completion=True).as_long() * sc
            xs = self.x[t]
            worker[t] = next(w for w, xv in xs.items()
                             if z3.is_true(m.eval(xv, model_completion=True)))
        core = ctx.machine.worker_core[worker]
        end = start + ctx.times[np.arange(n), core]
        return Schedule("z3", "feasible", worker, start, end)
