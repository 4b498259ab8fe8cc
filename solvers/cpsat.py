"""`cpsat`: exact makespan minimization with OR-Tools CP-SAT, hinted by the portfolio.

Model (the constants divided by their gcd, `exact.scale`):
  start s[t] in [head, UB - tail - its shortest time], UB the portfolio's makespan;
  presence p[t,w] per eligible worker (exactly one), an optional interval of t's time on
            w's core type per worker, and NoOverlap per worker;
  worker index W[t] = sum w * p[t,w] (only for tasks on an edge that can stay on one
            worker);
  precedence u -> v: s[v] >= e[u]; with a cross-worker latency L (hpdsl.latency, the one
            rule): s[v] >= e[u] + L unless `together` (reified: together -> W[u] = W[v],
            so the latency is waived only when both run on one worker);
  links: per device one NoOverlap of its sends' link-out holds (start, bytes /
            bandwidth) and one of the link-in holds of the sends to it: every pair, as
            the placer's link timelines serialize every pair;
  C >= e[t] for the sinks only, as in the textbook model (a cut C >= e[t] + tail[t] per
            task is implied by the precedences; on la27 it doubled the linear rows, 380
            instead of 180 + 20, and the LP with it);
  zero-time tasks: CP-SAT's NoOverlap already keeps one out of the inside of another.
The portfolio's schedule is a complete hint (every variable); CP-SAT's proven bound is
merged with `bounds.py`'s. Status `optimal` when CP-SAT proves it, else `feasible`.
"""
from __future__ import annotations

import os

import numpy as np
from ortools.sat.python import cp_model

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers import exact
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options


def cpsat(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    exact.refuse_above(ctx, "cpsat", options.max_cpsat_tasks, "--max-cpsat-tasks")
    clock = exact.Clock(options.time_limit)
    warm = exact.warm_start(ctx, options)
    lb = bounds(ctx).value
    if ctx.n == 0 or warm.makespan <= lb:
        options.report(f"cpsat: the warm start ({warm.makespan} ns) meets the lower bound: optimal")
        return exact.result("cpsat", warm, "optimal", warm.makespan, clock,
                            "warm start meets the lower bound")
    model = _Model(ctx, warm, clock)
    if model.built is False:
        note = f"time limit while building the model: the portfolio's {warm.makespan} ns"
        options.report(f"cpsat: {note}")
        return exact.result("cpsat", warm, "feasible", lb, clock, note)
    workers = options.solver_workers or os.cpu_count() or 1
    options.report(f"cpsat: {ctx.n} tasks, {workers} search workers, start "
                   f"{warm.makespan} ns, bound {lb} ns, model built in {clock.elapsed:.1f} s")
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = int(options.seed)
    solver.parameters.interleave_search = options.deterministic
    solver.parameters.max_time_in_seconds = max(0.01, clock.left)
    solver.parameters.catch_sigint_signal = False   # Ctrl-C is Python's (exact.stop_on_ctrl_c)
    with exact.stop_on_ctrl_c(solver.StopSearch):
        code = solver.Solve(model.m, _Progress(options, model.scale, clock))
    if code == cp_model.MODEL_INVALID:
        raise AssertionError(f"cpsat: CP-SAT calls the model invalid: {model.m.Validate()}")
    status = solver.StatusName(code)
    best = warm
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        s = model.extract(solver)
        if s.makespan <= best.makespan:
            best = s
    proven = int(np.ceil(solver.BestObjectiveBound() - 1e-6)) * model.scale \
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0
    lb = best.makespan if code == cp_model.OPTIMAL else max(lb, min(proven, best.makespan))
    if code == cp_model.INFEASIBLE:
        raise AssertionError("cpsat: the model rejects the portfolio's valid schedule")
    state = "optimal" if lb >= best.makespan else "feasible"
    note = ("proved optimal" if state == "optimal"
            else f"{status.lower()} at the time limit: best {best.makespan} ns, proven bound {lb} ns")
    options.report(f"cpsat: {note}, {clock.elapsed:.1f} s")
    return exact.result("cpsat", best, state, lb, clock, note)


class _Progress(cp_model.CpSolverSolutionCallback):
    """Each improvement on stderr (Options.report): makespan, bound, seconds."""

    def __init__(self, options: Options, sc: int, clock: exact.Clock):
        super().__init__()
        self.options, self.sc, self.clock = options, sc, clock

    def on_solution_callback(self) -> None:
        self.options.report(f"cpsat: makespan {int(self.ObjectiveValue()) * self.sc} ns, bound "
                            f"{int(np.ceil(self.BestObjectiveBound() - 1e-6)) * self.sc} ns, "
                            f"{self.clock.elapsed:.1f} s")


class _Model:
    """The CP-SAT variables and constraints for one graph; `extract` reads a solution."""

    def __init__(self, ctx: Context, warm: Schedule, clock: exact.Clock):
        self.ctx, self.warm = ctx, warm
        self.scale = sc = exact.scale(ctx)
        self.m = m = cp_model.CpModel()
        self.elig = exact.eligible(ctx, sc)
        d_min = ctx.min_time
        self.head = (ctx.head(d_min) + ctx.release) // sc
        self.tail = ctx.tail(d_min) // sc
        self.ub = ub = warm.makespan // sc
        self.C = m.NewIntVar(0, ub, "makespan")
        m.Minimize(self.C)
        self.built = False
        groups = (self._tasks, self._precedence, self._links, self._hint)
        for step in groups:
            if clock.left <= 0:
                return
            step()
        self.built = True

    def _tasks(self) -> None:
        m, ctx = self.m, self.ctx
        self.start, self.end, self.p = [], [], []
        self.sink = np.diff(ctx.graph.succ_ptr) == 0
        per_worker: dict[int, list] = {}
        for t in range(ctx.n):
            ws = self.elig[t]
            lo, hi = int(self.head[t]), self.ub - int(self.tail[t]) - min(ws.values())
            s = m.NewIntVar(lo, max(lo, hi), f"s{t}")
            ps = {}
            for w, d in ws.items():
                if len(ws) == 1:   # one worker: a mandatory interval, no presence literal
                    ps[w] = None
                    iv = m.NewFixedSizeIntervalVar(s, d, f"i{t}_{w}")
                else:
                    ps[w] = m.NewBoolVar(f"p{t}_{w}")
                    iv = m.NewOptionalFixedSizeIntervalVar(s, d, ps[w], f"i{t}_{w}")
                per_worker.setdefault(w, []).append(iv)
            if len(ws) > 1:
                m.AddExactlyOne(ps.values())
            durs = set(ws.values())
            e = s + durs.pop() if len(durs) == 1 else s + sum(d * ps[w] for w, d in ws.items())
            if self.sink[t]:   # elsewhere C >= e + tail follows from the precedences
                m.Add(self.C >= e)
            self.start.append(s)
            self.end.append(e)
            self.p.append(ps)
        for ivs in per_worker.values():
            if len(ivs) > 1:
                m.AddNoOverlap(ivs)

    def _worker_index(self, t: int):
        """t's worker id: a linear expression of its presences, or the one worker."""
        ps = self.p[t]
        return sum(w * p for w, p in ps.items()) if len(ps) > 1 else next(iter(ps))

    def _precedence(self) -> None:
        g, m = self.ctx.graph, self.m
        lat = self.ctx.pred_latency // self.scale
        ptr = g.pred_ptr
        self.together = {}
        for v in range(self.ctx.n):
            for i in range(int(ptr[v]), int(ptr[v + 1])):
                u, L = int(g.pred[i]), int(lat[i])
                gap = self.start[v] - self.end[u]
                common = self.elig[u].keys() & self.elig[v].keys()
                if L == 0 or not common or len(self.p[u]) == len(self.p[v]) == 1:
                    # no latency, never together, or always together (one common worker)
                    m.Add(gap >= (0 if common else L))
                    continue
                m.Add(gap >= 0)
                tog = m.NewBoolVar(f"tog{u}_{v}")
                m.Add(self._worker_index(u) == self._worker_index(v)).OnlyEnforceIf(tog)
                m.Add(gap >= L).OnlyEnforceIf(tog.Not())
                self.together[(u, v)] = tog

    def _links(self) -> None:
        g, m = self.ctx.graph, self.m
        xfer = self.ctx.link_ns // self.scale
        out, into = {}, {}
        for t in np.flatnonzero(xfer > 0).tolist():
            iv = m.NewFixedSizeIntervalVar(self.start[t], int(xfer[t]), f"l{t}")
            out.setdefault(int(g.device[t]), []).append(iv)
            into.setdefault(int(g.dst[t]), []).append(iv)
        for ivs in list(out.values()) + list(into.values()):
            if len(ivs) > 1:
                m.AddNoOverlap(ivs)

    def _hint(self) -> None:
        """The warm start, every variable of it: CP-SAT starts from a complete solution."""
        m, sc, warm = self.m, self.scale, self.warm
        m.AddHint(self.C, self.ub)
        for t in range(self.ctx.n):
            m.AddHint(self.start[t], int(warm.start[t]) // sc)
            for w, p in self.p[t].items():
                if p is not None:
                    m.AddHint(p, int(warm.worker[t]) == w)
        for (u, v), tog in self.together.items():
            m.AddHint(tog, int(warm.worker[u]) == int(warm.worker[v]))

    def extract(self, solver: cp_model.CpSolver) -> Schedule:
        ctx, sc = self.ctx, self.scale
        n = ctx.n
        start = np.array([solver.Value(s) for s in self.start], dtype=np.int64) * sc
        worker = np.array([next(w for w, p in self.p[t].items()
                                if p is None or solver.Value(p)) for t in range(n)],
                           dtype=np.int32)
        core = ctx.machine.worker_core[worker]
        end = start + ctx.times[np.arange(n), core]
        return Schedule("cpsat", "feasible", worker, start, end)
