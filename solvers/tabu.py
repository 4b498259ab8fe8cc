"""`tabu`: tabu search on the disjunctive graph, from the shorter of the portfolio's and
heft-l2's schedules (`reuse.best_start`).

A solution is a worker per task, an order per worker and an order of the sends on each
link (out of a device, into a device), first the start schedule's. Its schedule
is semi-active: every task starts at the longest path to it (`Solution.head`) through the
dependencies (with the latency rule of `hpdsl.latency`: 0 on one worker), the worker
orders (the previous task's time) and the link orders (the previous send's link time),
after the launch. So the start schedule is never made worse: the search keeps the best
solution it met, and the first one is the start's own orders.

Neighbourhoods, on one critical path (`tabu_moves`): N5 swaps at the ends of critical
blocks and N7 shifts inside them (both estimated from heads and tails), moves of a
critical task to another eligible worker and reorderings of a critical link block's
sends (both evaluated exactly, a few per iteration).
The best non-tabu move is taken (a tabu move only when it beats the best so far); the
reverse swap, or the moved task, is tabu for a tenure drawn from the seeded generator.
Heads and tails are updated incrementally (`tabu_graph`): a move costs the part of the
graph whose heads or tails it changes. A move that would close a cycle is rejected.

After 1,000 iterations without a new best the search goes back to the best solution and
makes three random moves from it (a restart that keeps what was learnt).

Deterministic for a given iteration budget (`Options.tabu_iterations`) and seed; the
time limit stops it earlier.
"""
from __future__ import annotations

import random
import time

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options
from hpdsl.solvers.reuse import best_start
from hpdsl.solvers.tabu_graph import Solution
from hpdsl.solvers.tabu_moves import apply, moves, path_steps


STALL = 1000     # iterations without a new best before the search jumps back to it


def _shake(sol: Solution, rng: random.Random, k: int = 3) -> None:
    """k random moves of the solution's own neighbourhood, whatever they cost."""
    for _ in range(k):
        found = moves(sol, rng, pool_moves=1, shift_moves=1, link_moves=1)
        if found:
            apply(sol, found[rng.randrange(len(found))][2])


def tabu(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    t0 = time.perf_counter()
    start = best_start(graph, machine, options)
    if ctx.n == 0:
        return Schedule("tabu", "heuristic", start.worker, start.start, start.end)
    lb = bounds(ctx).value
    sol = Solution(ctx, start)
    t1 = time.perf_counter()
    best_mk, best, best_state = sol.makespan, sol.snapshot(), sol.state()
    first = best_mk
    rng = random.Random(options.seed)
    tabu_until: dict[tuple, int] = {}
    it, stall, why = 0, 0, "iteration budget spent"
    budget = options.tabu_iterations or None
    deadline = t0 + options.time_limit
    report_at = t0 + 1.0
    while budget is None or it < budget:
        if time.perf_counter() > deadline:
            why = "time limit"
            break
        if best_mk <= lb:
            why = "the lower bound is met"
            break
        it += 1
        # exact evaluations (pool and link moves) cost the part of the graph they change:
        # none once the limit is near (swaps and shifts are estimated, almost free)
        near = time.perf_counter() + 5 * (time.perf_counter() - t1) / max(it, 1) > deadline
        found = moves(sol, rng, pool_moves=0 if near else options.tabu_pool_moves,
                      shift_moves=0 if near else options.tabu_shift_moves,
                      link_moves=0 if near else options.tabu_link_moves)
        if not found:
            why = "no move on the critical path (every critical task is alone on its worker)"
            break
        chosen = None
        for est, key, move in sorted(found, key=lambda m: (m[0], m[1])):
            if tabu_until.get(key, 0) >= it and est >= best_mk:
                continue
            if apply(sol, move):
                chosen = (key, move)
                break
        if chosen is None:   # every move tabu or closing a cycle: forget the tabu list
            tabu_until.clear()
            continue
        tabu_until[chosen[0][::-1] if len(chosen[0]) == 2 else chosen[0]] = \
            it + rng.randint(8, 14)
        if sol.makespan < best_mk:
            best_mk, best, best_state, stall = sol.makespan, sol.snapshot(), sol.state(), 0
        else:
            stall += 1
        if stall >= STALL:
            # back to the best solution, shaken by a few random swaps on its critical path
            sol.restore(best_state)
            tabu_until.clear()
            _shake(sol, rng)
            stall = 0
        if time.perf_counter() > report_at:
            options.report(f"tabu: iteration {it}, makespan {sol.makespan} ns, best {best_mk} ns")
            report_at = time.perf_counter() + 1.0
    worker, st, end = best
    spent = time.perf_counter() - t1
    note = (f"{it} iterations in {time.perf_counter() - t0:.1f} s ({why}): "
            f"{first} -> {best_mk} ns")
    if best_mk >= start.makespan:
        sol.restore(best_state)
        note += (f", no improvement over the start, which is {start.makespan / lb - 1:.1%} "
                 f"above the lower bound; an iteration took {spent / max(it, 1):.2g} s on "
                 f"{ctx.n:,} tasks" if lb else ", no improvement over the start")
        note += f"; {path_steps(sol)}"
    options.report(f"tabu: {note}")
    return Schedule("tabu", "heuristic", worker, st, end, notes=(note,))

