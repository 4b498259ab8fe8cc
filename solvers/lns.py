"""`lns`: large neighbourhood search for big graphs, windows re-solved with CP-SAT.

From the better of the portfolio's and heft-l2's schedules, kept as worker orders on the
disjunctive graph `tabu` uses (`tabu_graph.Solution`: its semi-active schedule is never
later than the start), each iteration
- picks a task on a critical path (seeded), and on its device's workers (even windows)
  or on the workers that can run it (odd windows: its pool, so the same number of tasks
  spans a longer time) the `Options.lns_window` tasks starting nearest to it;
- frees them (their workers and their order; everything else keeps its worker and
  order) and re-solves them exactly with CP-SAT (`lns_window.WindowModel`), minimizing
  the longest path through the window with the heads and tails around it fixed;
- applies the answer to the whole graph (heads and tails incrementally) and keeps it
  unless the makespan grew.
Each window gets `Options.lns_window_dtime` of CP-SAT's deterministic time on one search
worker, so with an iteration budget (`Options.lns_iterations`) the same input gives the
same schedule; the time limit (the whole call, start included) can stop it earlier.
"""
from __future__ import annotations

import random

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers import exact
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.lns_window import WindowModel, window
from hpdsl.solvers.options import Options
from hpdsl.solvers.reuse import best_start
from hpdsl.solvers.tabu_graph import Solution
from hpdsl.solvers.tabu_moves import critical_path, path_steps


def lns(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    clock = exact.Clock(options.time_limit)
    start = best_start(graph, machine, options)
    lb = bounds(ctx).value
    if ctx.n == 0 or start.makespan <= lb:
        return Schedule("lns", "heuristic", start.worker, start.start, start.end,
                        notes=("the start meets the lower bound",))
    sol = Solution(ctx, start)
    device = graph.device.tolist()
    workers: dict[int, list[int]] = {}
    for w in machine.workers:
        workers.setdefault(w.device, []).append(w.id)
    rng = random.Random(options.seed)
    first, it, kept, why = sol.makespan, 0, 0, "iteration budget spent"
    report_at = clock.elapsed + 10
    options.report(f"lns: {ctx.n:,} tasks, start {first} ns, bound {lb} ns, windows of "
                   f"{options.lns_window} tasks")
    while not options.lns_iterations or it < options.lns_iterations:
        if clock.left <= 0:
            why = "time limit"
            break
        if sol.makespan <= lb:
            why = "the lower bound is met"
            break
        if clock.elapsed > report_at:
            options.report(f"lns: window {it}, makespan {sol.makespan} ns, {kept} improved, "
                           f"{clock.elapsed:.0f} s")
            report_at = clock.elapsed + 10
        it += 1
        path = critical_path(sol)
        c = path[rng.randrange(len(path))]
        # odd windows: c's pool only, so the same number of tasks spans a longer time
        pool = sorted(sol.elig[c]) if it % 2 else workers[device[c]]
        t0, t1 = window(sol, [x for w in pool for x in sol.seq.get(w, [])], c,
                        options.lns_window)
        model = WindowModel(sol, pool, t0, t1, options.lns_choices)
        answer = model.solve(clock.left, options.lns_window_dtime, rng.randrange(2**31))
        if answer is None or not (answer[0] or answer[1]):
            continue
        before = sol.makespan
        if not sol.change(*answer):
            continue   # the new orders close a cycle through tasks outside the window
        if sol.makespan > before:
            sol.undo()
        elif sol.makespan < before:
            kept += 1
            options.report(f"lns: window {it} ({len(model.tasks)} tasks on device "
                           f"{device[c]}): {before} -> {sol.makespan} ns, {clock.elapsed:.1f} s")
    worker, st, end = sol.snapshot()
    note = (f"{it} windows in {clock.elapsed:.1f} s ({why}), {kept} improved: "
            f"{start.makespan} -> {sol.makespan} ns ({start.scheduler}'s start)")
    if sol.makespan >= start.makespan:
        note += f"; {path_steps(sol)}"
    options.report(f"lns: {note}")
    assert np.all(end <= sol.makespan)
    return Schedule("lns", "heuristic", worker, st, end, notes=(note,))
