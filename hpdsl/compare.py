"""`compare`: run several schedulers on one task graph, emulate each plan, explain the difference.

This is hpdsl's main job as a stage function: `TaskGraph -> Comparison`. For every
scheduler it runs `solvers.run` (which checks the schedule), lowers the schedule to a
plan, emulates the plan, and measures why it took as long as it did (`hpdsl.explain`).
A scheduler that refuses the graph (a `UserError`, e.g. a plan needing more sync flags
than the hardware has) becomes a failed run with its message; bugs still raise.

    >>> from hpdsl.compare import compare, CompareOptions           # doctest: +SKIP
    >>> c = compare(graph, machine, CompareOptions(schedulers=("serial", "heft")))  # doctest: +SKIP
    >>> [r.scheduler for r in c.runs], c.to_dict()["results"][0]["makespan_ns"]     # doctest: +SKIP
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from hpdsl.errors import UserError
from hpdsl.fmt import change, duration
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.records import comparison_record

# Graph sizes above which a default run leaves a scheduler out (with a note). The slow
# list rules are quadratic in the ready-set size: ~3 minutes each at 200k tasks, where
# serial, heft and fifo solve in about a second and emulate in about 10 s each.
BIG_GRAPH_TASKS = 20_000
FAST = ("serial", "heft-l2", "heft")
SMALL_EXTRA = ("fifo", "dispatch", "cp")


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """`schedulers=None` picks a default list for the graph's size (see `choose`)."""

    schedulers: tuple[str, ...] | None = None
    time_limit: float = 10.0        # seconds z3 may search
    seed: int = 0
    seeds: int = 1                  # random: the best of this many seeds from `seed`
    max_z3_tasks: int = 400         # z3 refuses larger graphs (solvers.Options)
    max_cpsat_tasks: int = 5000     # so does cpsat
    solver_workers: int = 0         # cpsat's search threads; 0: one per CPU core
    lns_window: int = 100           # tasks lns re-solves at a time (solvers.Options)
    deterministic: bool = True      # cpsat's repeatable search (solvers.Options)
    z3_default_tasks: int = 200     # z3 joins the default list up to this many tasks
    emulate: bool = True
    progress: Callable[[str], None] | None = None

    def report(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg)


@dataclass(frozen=True, eq=False)
class Run:
    """One scheduler's outcome: its schedule, plan and emulation, or why it has none."""

    scheduler: str
    schedule: object = None         # hpdsl.schedule.Schedule
    plan: object = None             # hpdsl.plan.Plan
    result: object = None           # hpdsl.emulator.Result
    error: str | None = None
    lower_seconds: float = 0.0
    emulate_seconds: float = 0.0
    kernels: int = 1
    why: tuple[str, ...] = ()
    activity: object = None         # hpdsl.explain.Activity
    predicted_ns: int | None = None   # a plan file's header makespan (`plan_run`)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def predicted(self) -> int | None:
        """The scheduler's predicted makespan: its schedule's, or a plan file's header's."""
        if self.predicted_ns is not None:
            return self.predicted_ns
        return None if self.schedule is None else int(self.schedule.makespan)

    @property
    def makespan(self) -> int | None:
        """The emulated makespan (the predicted one when emulation was skipped)."""
        if self.result is not None:
            return int(self.result.makespan)
        return None if self.schedule is None else int(self.schedule.makespan)


@dataclass(frozen=True, eq=False)
class Comparison:
    graph: TaskGraph
    machine: Machine
    runs: tuple[Run, ...]
    skipped: tuple[tuple[str, str], ...] = ()     # (scheduler, reason)
    generate_seconds: float = 0.0
    summary: tuple[str, ...] = field(default=())  # cross-run "why" sentences

    def run(self, name: str) -> Run | None:
        return next((r for r in self.runs if r.scheduler == name), None)

    def speedup(self, r: Run) -> float | None:
        """serial's emulated makespan over this run's; None without a valid serial run."""
        base = self.run("serial")
        if base is None or not base.ok or not r.ok:
            return None
        return speedup(base.makespan, r.makespan)

    def to_dict(self) -> dict:
        """The `--json` object (DESIGN §7): graph facts plus one result per scheduler."""
        return comparison_record(self)


def speedup(base_ns: int | None, ns: int | None) -> float | None:
    """The baseline's makespan over a run's: how many times faster the run is (None
    without both makespans)."""
    return base_ns / ns if base_ns and ns else None


def scheduler_names(names) -> tuple[str, ...]:
    """Deduplicated, checked scheduler names; an unknown one is a UserError."""
    from hpdsl.solvers import lookup

    out = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not out:
        raise UserError("--schedulers needs at least one scheduler name")
    for n in out:
        lookup(n)
    return out


def choose(graph: TaskGraph, options: CompareOptions) -> tuple[tuple[str, ...], tuple]:
    """The schedulers to run and the ones left out with a reason.

    Default: serial, heft-l2 (the tile-level plan that earns its weight reuse) and heft
    always; fifo, dispatch and cp up to BIG_GRAPH_TASKS tasks; z3 up to
    `z3_default_tasks` tasks.
    """
    if options.schedulers is not None:
        return scheduler_names(options.schedulers), ()
    n = graph.n_tasks
    names, skipped = list(FAST), []
    if n <= BIG_GRAPH_TASKS:
        names += SMALL_EXTRA
    else:
        skipped += [(s, f"{n:,} tasks: this list rule takes minutes above "
                        f"{BIG_GRAPH_TASKS:,} tasks (ask for it with --schedulers)")
                    for s in SMALL_EXTRA]
    if n <= min(options.z3_default_tasks, options.max_z3_tasks):
        names.append("z3")
    else:
        skipped.append(("z3", f"{n:,} tasks: more than the exact solver is run on by default "
                              f"({options.z3_default_tasks}; ask for it with --schedulers)"))
    return tuple(names), tuple(skipped)


def _kernels(schedule) -> int:
    k = getattr(schedule, "kernel", None)
    return int(len(np.unique(k))) if k is not None and len(k) else 1


def run_one(name: str, graph: TaskGraph, machine: Machine, options: CompareOptions) -> Run:
    """Solve, lower and emulate with one scheduler (see the module docstring)."""
    from hpdsl.emulator import emulate
    from hpdsl.plan import lower
    from hpdsl.solvers import Options
    from hpdsl.solvers import run as solve

    sopt = Options(time_limit=options.time_limit, seed=options.seed, seeds=options.seeds,
                   max_z3_tasks=options.max_z3_tasks, max_cpsat_tasks=options.max_cpsat_tasks,
                   solver_workers=options.solver_workers, deterministic=options.deterministic,
                   lns_window=options.lns_window, progress=options.progress or False)
    try:
        s = solve(name, graph, machine, sopt)
    except UserError as e:
        options.report(f"{name}: no schedule: {e}")
        return Run(name, error=str(e))
    options.report(f"{name}: {s.status} schedule, predicted makespan "
                   f"{s.makespan / 1000:,.1f} us, solved in {s.solve_seconds:.2f} s")
    kernels = _kernels(s)
    t0 = time.perf_counter()
    try:
        plan = lower(graph, machine, s)
    except UserError as e:
        options.report(f"{name}: no plan: {e}")
        return Run(name, schedule=s, error=str(e), kernels=kernels)
    t1 = time.perf_counter()
    if not options.emulate:
        return Run(name, schedule=s, plan=plan, lower_seconds=t1 - t0, kernels=kernels)
    res = emulate(graph, machine, plan)
    t2 = time.perf_counter()
    options.report(f"{name}: emulated makespan {res.makespan / 1000:,.1f} us, "
                   f"{len(res.errors)} violation(s), lowered in {t1 - t0:.2f} s, "
                   f"emulated in {t2 - t1:.2f} s")
    return explained(Run(name, schedule=s, plan=plan, result=res, lower_seconds=t1 - t0,
                         emulate_seconds=t2 - t1, kernels=kernels), graph, machine)


def explained(r: Run, graph: TaskGraph, machine: Machine) -> Run:
    """`r` (with its schedule's workers and its emulation) with the why lines and activity."""
    from hpdsl.explain import activity, why
    from hpdsl.traffic import reread_lines

    res = r.result
    act = activity(graph, machine, res.start, res.end, r.schedule.worker, res.makespan)
    lines = why(r.scheduler, graph, machine, act, kernels=r.kernels,
                exposed_comm=res.exposed_comm, starved=res.starved,
                prediction_error=res.prediction_error, errors=len(res.errors),
                traffic=tuple(reread_lines(graph, machine, res.traffic, res.start, res.end)))
    return replace(r, why=tuple(lines), activity=act)


def plan_run(graph: TaskGraph, machine: Machine, plan, res) -> Run:
    """The `Run` of a plan read from a file and its emulation `res` (`hpdsl emulate
    --report`): workers from the plan's queues, times from the emulation, the scheduler's
    claims (status, predicted makespan, bound) from the plan's header."""
    from hpdsl.plan import BARRIER
    from hpdsl.schedule import Schedule

    h, n = plan.header, graph.n_tasks
    kernel = plan.exec_kernel(n) if (plan.code == BARRIER).any() else None
    s = Schedule(h.scheduler, h.status, plan.exec_queue(n).astype(np.int32), res.start.copy(),
                 res.end.copy(), lower_bound=int(h.lower_bound_ns),
                 solve_seconds=float(h.solve_seconds),
                 kernel=None if kernel is None else kernel.astype(np.int32))
    return explained(Run(h.scheduler, schedule=s, plan=plan, result=res,
                         kernels=_kernels(s), predicted_ns=int(h.makespan_ns)), graph, machine)


def compare(graph: TaskGraph, machine: Machine, options: CompareOptions | None = None,
            generate_seconds: float = 0.0) -> Comparison:
    """Run every chosen scheduler on `graph` and explain how they differ.

    The schedulers share one `Context` (times, latencies, levels): `Context.of` keeps it
    for the graph and machine."""
    options = options or CompareOptions()
    names, skipped = choose(graph, options)
    for s, reason in skipped:
        options.report(f"{s}: skipped: {reason}")
    runs = tuple(run_one(n, graph, machine, options) for n in names)
    c = Comparison(graph, machine, runs, skipped, generate_seconds)
    return Comparison(graph, machine, runs, skipped, generate_seconds, tuple(contrast(c)))


def contrast(c: Comparison) -> list[str]:
    """Cross-run sentences: the best run against serial and against the lower bound."""
    good = [r for r in c.runs if r.ok and r.result is not None and r.result.ok]
    if not good:
        return []
    # ties: a proven optimum first (it says more), then the first in run order
    best = min(good, key=lambda r: (r.makespan, r.schedule.status != "optimal"))
    lines = []
    base = c.run("serial")
    if base is not None and base in good and best.makespan == base.makespan:
        ties = [r.scheduler for r in good if r.makespan == base.makespan and r is not base]
        lines.append("no scheduler beats serial here" + (
            f": {', '.join(ties)} tie{'s' if len(ties) == 1 else ''} with it" if ties else ""))
    elif base is not None and base in good:
        sp = c.speedup(best)
        parts = []
        dk = base.kernels - best.kernels
        if dk > 0 and c.machine.hardware.launch:
            parts.append(f"{dk} fewer kernel launch{'es' if dk != 1 else ''} "
                         f"(-{duration(dk * c.machine.hardware.launch)})")
        ba, bb = base.activity, best.activity
        if ba.comm_ns and bb.comm_ns:
            parts.append("exposed communication " + change(base.result.exposed_comm / ba.comm_ns,
                                                         best.result.exposed_comm / bb.comm_ns))
        for core in c.machine.core_types:
            if abs(ba.idle[core] - bb.idle[core]) >= 0.02:
                parts.append(f"{core} idle {change(ba.idle[core], bb.idle[core])}")
        verb = "faster" if sp >= 1 else "slower"
        lines.append(f"{best.scheduler} vs. serial: {sp:.2f}x {verb} "
                     f"({duration(best.makespan)} vs. {duration(base.makespan)})"
                     + (": " + ", ".join(parts) if parts else ""))
    lb = int(best.schedule.lower_bound)
    if lb:
        # the cost-model bound holds for predictions; an emulation can beat cost-model
        # times (L2 hits), so the emulated makespan is measured against the floor bound
        from hpdsl.solvers.bounds import bounds
        from hpdsl.solvers.context import Context

        elb = bounds(Context.of(c.graph, c.machine), emulated=True).value
        pred = best.predicted
        emu = (f"emulated {best.makespan / elb - 1:+.0%}" if elb == lb else
               f"emulated {best.makespan / elb - 1:+.0%} over {duration(elb)}, the bound on "
               f"any emulation")
        lines.append(f"best: {best.scheduler}, emulated {duration(best.makespan)}; lower bound "
                     f"{duration(lb)} ({emu}, predicted {pred / lb - 1:+.0%}"
                     + (", proven optimal" if best.schedule.status == "optimal" else "") + ")")
    bad = [r.scheduler for r in c.runs if r.result is not None and not r.result.ok]
    if bad:
        lines.append("plans with violations (not comparable): " + ", ".join(bad))
    return lines
