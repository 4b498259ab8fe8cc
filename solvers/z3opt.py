"""`z3`: exact makespan minimization with Z3, warm-started from the heuristic portfolio.

Model (built in the order OR-Tools samples use):
  data      times, eligible workers, heads/tails, all divided by their common gcd;
  variables start s[t] (Int), worker w[t] (Int, ranging over the eligible worker ids;
            a constant where there is one), order b[i,j] (Bool) for each pair that may
            share a worker and is not already ordered by a path of dependencies, the
            makespan C;
  constraints
            w[t] in its eligible set; end = start + the chosen core type's time;
            s[t] >= launch; precedence s[v] >= e[u] (+ the cross-worker latency unless
            both ends are on the same worker); no overlap: if i and j share a worker,
            w[i] = w[j] and b -> s[j] >= e[i], w[i] = w[j] and not b -> s[i] >= e[j]
            ("on one worker" is the single atom w[i] = w[j]); redundant head/tail bounds
            s[t] >= head[t], e[t] + tail[t] <= C; symmetry breaking between the
            identical instances of a core type: instance k+1 is first used after
            instance k (in task order); links: two sends to other devices that share a
            link out or a link in, and are not ordered by dependencies, hold it one
            after the other for bytes / bandwidth each (as the placer's link timelines);
  objective descend: check C <= UB - step under an assumption literal; sat gives a new
            UB (the model's makespan), unsat a proven bound and a smaller step; repeat
            until bound = UB (optimal) or the time limit (feasible, with the bound).
All atoms are difference constraints (x - y >= c, x = y, bounds), no sums: Z3's
difference-logic-friendly core handles them well. A Boolean presence per (task, worker)
with "same worker" clauses over every common worker, the earlier model, needed 64
clauses per pair on 64-worker pools (docs/solvers.md has the measurements). The warm
start's starts and workers are given to Z3 as initial values. The time limit counts
from the call: model building checks it between groups and every 256 steps inside one,
and returns the warm start (status feasible) when it passes.
"""
from __future__ import annotations

import numpy as np
import z3

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers import exact
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options


class _OutOfTime(Exception):
    """The time limit passed while the model was being built (the group it was in)."""


def z3opt(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    n = ctx.n
    exact.refuse_above(ctx, "z3", options.max_z3_tasks, "--max-z3-tasks")
    clock = exact.Clock(options.time_limit)
    warm = exact.warm_start(ctx, options)
    lb = bounds(ctx).value
    best = warm
    ub = warm.makespan
    if n == 0 or ub <= lb:
        options.report(f"z3: the warm start ({ub} ns) meets the lower bound: optimal")
        return exact.result("z3", best, "optimal", ub, clock, "warm start meets the lower bound")
    try:
        model = _Model(ctx, warm, clock, options)
    except _OutOfTime as e:
        note = (f"time limit while building the model ({e}, {clock.elapsed:.1f} s): the "
                f"portfolio's {ub} ns, bound {lb} ns")
        options.report(f"z3: {note}")
        return exact.result("z3", warm, "feasible", lb, clock, note)
    solver, sc = model.solver, model.scale
    solver.set("random_seed", int(options.seed))
    solver.set("ctrl_c", False)    # Ctrl-C is Python's (exact.stop_on_ctrl_c)
    # scaled: every optimal makespan is a multiple of the gcd (left-shifted schedules)
    lo, hi = -(-lb // sc), ub // sc
    solver.add(model.C <= hi)
    options.report(f"z3: {n} tasks, {len(model.pairs)} ordering pairs, start "
                   f"{ub} ns, bound {lb} ns, model built in {clock.elapsed:.1f} s")
    # descend in steps of ~0.1% of the makespan (1 unit for job shops in us) so that
    # nanosecond-grained graphs do not improve one ns per call; an unsat step is a proven
    # bound and the step shrinks until it is 1
    step = max(1, hi // 1000)
    while lo < hi:
        left = clock.left
        if left <= 0:
            break
        solver.set("timeout", max(1, min(int(left * 1000), 2**32 - 1)))   # z3 takes a uint ms
        target = max(lo, hi - step)
        probe = z3.Bool(f"probe_{target}", model.zc)
        solver.add(z3.Implies(probe, model.C <= target))
        with exact.stop_on_ctrl_c(solver.ctx.interrupt):
            r = solver.check(probe)
        if r == z3.sat:
            best = model.extract(solver.model())
            hi = best.makespan // sc
            solver.add(model.C <= hi)
            options.report(f"z3: makespan {best.makespan} ns, bound {lo * sc} ns, "
                           f"{clock.elapsed:.1f} s")
        elif r == z3.unsat:
            lo = target + 1
            step = max(1, step // 4)
            if lo < hi:
                options.report(f"z3: bound {lo * sc} ns, makespan {best.makespan} ns, "
                               f"{clock.elapsed:.1f} s")
        else:
            break
    ub = best.makespan
    lb = max(lb, min(lo * sc, ub))
    status = "optimal" if lb >= ub else "feasible"
    note = ("proved optimal" if status == "optimal"
            else f"time limit: best {ub} ns, proven bound {lb} ns")
    options.report(f"z3: {note}, {clock.elapsed:.1f} s")
    return exact.result("z3", best, status, lb, clock, note)


class _Model:
    """The Z3 variables and constraints for one graph; `extract` reads a model back.

    Each constraint group checks the clock (`_tick`) and raises _OutOfTime once the limit
    has passed: a 300-task graph with 64 workers per pool has ~45,000 ordering pairs.
    """

    def __init__(self, ctx: Context, warm: Schedule, clock: exact.Clock, options: Options):
        self.ctx, self.clock, self.options = ctx, clock, options
        g, n = ctx.graph, ctx.n
        d_min = ctx.min_time
        head = ctx.head(d_min) + ctx.release
        tail = ctx.tail(d_min)
        self.scale = sc = exact.scale(ctx)
        # a context of its own: in a shared one, the ids of earlier runs' terms change
        # Z3's choices, and the same input gave another optimal schedule
        self.zc = zc = z3.Context()
        self.solver = s = z3.SolverFor("QF_LIA", ctx=zc)
        self.C = C = z3.Int("makespan", self.zc)
        self.elig = exact.eligible(ctx, sc)     # task -> {worker: duration (scaled)}
        self.start = [z3.Int(f"s_{t}", self.zc) for t in range(n)]
        self.wk = []          # the worker of each task: an Int, or the one worker it can use
        self.end = []
        for t in range(n):
            self._tick("tasks", t)
            ws = self.elig[t]
            wk = z3.Int(f"w_{t}", self.zc) if len(ws) > 1 else z3.IntVal(next(iter(ws)), zc)
            self.wk.append(wk)
            if len(ws) > 1:
                s.add(_member(wk, ws))
            by_dur = {}
            for w, d in ws.items():
                by_dur.setdefault(d, []).append(w)
            if len(by_dur) == 1:
                e = self.start[t] + next(iter(by_dur))
            else:
                e = z3.Int(f"e_{t}", self.zc)
                for d, group in by_dur.items():
                    s.add(z3.Implies(_member(wk, group), e - self.start[t] == d))
            self.end.append(e)
            s.add(self.start[t] >= int(head[t]) // sc)
            s.add(e + int(tail[t]) // sc <= C)
            if g.succ_ptr[t + 1] == g.succ_ptr[t]:
                s.add(e <= C)
        self._precedence(ctx.pred_latency // sc)
        self._no_overlap()
        self._links(sc)
        self._symmetry()
        for t in range(n):
            s.set_initial_value(self.start[t], int(warm.start[t]) // sc)
            if len(self.elig[t]) > 1:
                s.set_initial_value(self.wk[t], int(warm.worker[t]))

    def _tick(self, group: str, i: int) -> None:
        """Every 256 steps of a group: stop when the time limit has passed."""
        if i % 256 == 0 and self.clock.left <= 0:
            raise _OutOfTime(f"in {group}")

    def _same(self, i: int, j: int) -> z3.BoolRef:
        """True exactly when i and j run on one worker: one difference atom."""
        return self.wk[i] == self.wk[j]

    def _precedence(self, lat: np.ndarray) -> None:
        g, s = self.ctx.graph, self.solver
        ptr = g.pred_ptr
        for v in range(self.ctx.n):
            self._tick("precedence", v)
            for i in range(int(ptr[v]), int(ptr[v + 1])):
                u = int(g.pred[i])
                gap = self.start[v] - self.end[u]
                L = int(lat[i])
                common = self.elig[u].keys() & self.elig[v].keys()
                if L == 0 or not common:
                    s.add(gap >= (L if not common else 0))
                else:
                    s.add(gap >= 0)
                    s.add(z3.Or(self._same(u, v), gap >= L))

    def _no_overlap(self) -> None:
        s, n = self.solver, self.ctx.n
        reach = self._reach = exact.reach(self.ctx)
        self.pairs = []
        k = 0
        for i in range(n):
            for j in range(i + 1, n):
                k += 1
                self._tick("no-overlap pairs", k)
                if (reach[i] >> j) & 1 or (reach[j] >> i) & 1:
                    continue
                if self.elig[i].keys().isdisjoint(self.elig[j].keys()):
                    continue
                b = z3.Bool(f"b_{i}_{j}", self.zc)
                self.pairs.append((i, j))
                apart = self.wk[i] != self.wk[j]
                s.add(z3.Or(apart, z3.Not(b), self.start[j] - self.end[i] >= 0))
                s.add(z3.Or(apart, b, self.start[i] - self.end[j] >= 0))

    def _links(self, sc: int) -> None:
        """Sends sharing a device's link out or in use it one after the other."""
        g, s = self.ctx.graph, self.solver
        xfer = self.ctx.link_ns // sc
        sends = np.flatnonzero(xfer > 0).tolist()
        reach = self._reach
        for a, i in enumerate(sends):
            self._tick("links", a)
            for j in sends[a + 1:]:
                if g.device[i] != g.device[j] and g.dst[i] != g.dst[j]:
                    continue
                # ordered by a path: the first starts first, but its link hold can outlast
                # its task time (a send of 0 ns), so the second still waits for the link
                if (reach[i] >> j) & 1 or (reach[j] >> i) & 1:
                    u, v = (i, j) if (reach[i] >> j) & 1 else (j, i)
                    s.add(self.start[v] - self.start[u] >= int(xfer[u]))
                    continue
                c = z3.Bool(f"l_{i}_{j}", self.zc)
                s.add(z3.Or(z3.Not(c), self.start[j] - self.start[i] >= int(xfer[i])))
                s.add(z3.Or(c, self.start[i] - self.start[j] >= int(xfer[j])))

    def _symmetry(self) -> None:
        """Instances of a class are numbered by first use in task order (value precedence):
        a task may take instance k+1 only if an earlier task of the class is on k."""
        s = self.solver
        classes = {ws for ws in exact.worker_classes(self.ctx).values() if len(ws) > 1}
        for ws in sorted(classes):
            tasks = [t for t in range(self.ctx.n) if ws[0] in self.elig[t]]
            used = [z3.BoolVal(False, self.zc)] * len(ws)     # used[k]: an earlier task is on ws[k]
            for j, t in enumerate(tasks):
                self._tick("symmetry", j)
                on = [self.wk[t] == w for w in ws]
                for k in range(1, len(ws)):
                    s.add(z3.Not(on[k]) if k > j else z3.Implies(on[k], used[k - 1]))
                if j + 1 < len(tasks):
                    nxt = []
                    for k in range(len(ws)):
                        if k > j:
                            nxt.append(z3.BoolVal(False, self.zc))
                            continue
                        u = z3.Bool(f"used_{ws[k]}_{j}", self.zc)
                        s.add(u == z3.Or(used[k], on[k]))
                        nxt.append(u)
                    used = nxt

    def extract(self, m: z3.ModelRef) -> Schedule:
        ctx, sc = self.ctx, self.scale
        n = ctx.n
        start = np.array([m.eval(self.start[t], model_completion=True).as_long() * sc
                          for t in range(n)], dtype=np.int64)
        worker = np.array([m.eval(self.wk[t], model_completion=True).as_long()
                           for t in range(n)], dtype=np.int32)
        core = ctx.machine.worker_core[worker]
        end = start + ctx.times[np.arange(n), core]
        return Schedule("z3", "feasible", worker, start, end)


def _member(wk, workers) -> z3.BoolRef:
    """wk is one of `workers`: one range when they are consecutive ids, else a disjunction."""
    ws = sorted(workers)
    if ws[-1] - ws[0] == len(ws) - 1:
        return z3.And(wk >= ws[0], wk <= ws[-1]) if len(ws) > 1 else wk == ws[0]
    return z3.Or([wk == w for w in ws])
