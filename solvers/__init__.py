"""Schedulers by name, behind one signature, and the one entry point that checks them all.

A scheduler is a plain function `(TaskGraph, Machine, Options) -> Schedule`, registered by
name with a one-line description (`register`). `run` looks one up by name, times it,
attaches the lower bound (`bounds.py`, or the scheduler's own proven bound when larger)
and passes the result through `hpdsl.schedule.check_schedule`, so no unchecked schedule
leaves this package. What schedulers precompute (times, latencies, levels) is a
`context.Context`; `Context.of(graph, machine)` builds it once per graph and machine, so
schedulers run one after another share it.

    >>> from hpdsl.solvers import run, Options      # doctest: +SKIP
    >>> s = run("heft", graph, machine, Options())  # doctest: +SKIP
    >>> s.makespan >= s.lower_bound                 # doctest: +SKIP
    True
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

from hpdsl.errors import UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule, ScheduleError, check_schedule
from hpdsl.solvers import heft_ins, hpmoe, listsched, reuse, serial, tabu, z3opt
from hpdsl.solvers.bounds import bounds
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options

__all__ = ["REGISTRY", "Options", "Scheduler", "SchedulerInfo", "lookup", "register", "run"]

Scheduler = Callable[[TaskGraph, Machine, Options], Schedule]


@dataclass(frozen=True, slots=True)
class SchedulerInfo:
    name: str
    description: str
    function: Scheduler


REGISTRY: dict[str, SchedulerInfo] = {}


def register(name: str, description: str, function: Scheduler) -> SchedulerInfo:
    """Make `function` runnable by `name` (in `run`, `compare` and so `hpdsl.cli.main`);
    `description` is its line in `hpdsl schedulers`. A name is registered once."""
    if name in REGISTRY:
        raise ValueError(f"a scheduler named '{name}' is already registered")
    info = SchedulerInfo(name, description, function)
    REGISTRY[name] = info
    return info


register("serial", "kernel-by-kernel baseline: one kernel per op, launch and barrier between",
         serial.serial)
register("heft", "list schedule by HEFT upward rank, earliest-finish placement", listsched.heft)
register("heft-ins", "textbook HEFT: upward rank, earliest finish over every worker, with "
         "insertion into idle gaps", heft_ins.heft_ins)
register("heft-l2", "HEFT that earns weight reuse in L2: experts one after another (waves), "
         "rank-aware sends", reuse.heft_l2)
register("hpmoe", "HyperParallel-MoE's runtime: static strided per-queue task lists (24 "
         "cube, odd vector blocks), ops in order, rank-aware sends", hpmoe.hpmoe)
register("dispatch", "non-delay list schedule: earliest possible start first, HEFT rank "
         "breaks ties", listsched.dispatch)
register("cp", "non-delay list schedule, critical path (longest path through a task) first",
         listsched.cp)
register("fifo", "list schedule, earliest data arrival first, earliest-start placement",
         listsched.fifo)
register("random", "non-delay list schedule with random (seeded) priorities",
         listsched.random_priority)
register("portfolio", "runs heft, dispatch, cp, fifo and random restarts; keeps the shortest",
         listsched.portfolio)
register("z3", "exact: minimizes the makespan with Z3, warm-started by the portfolio",
         z3opt.z3opt)


def _cpsat(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    # OR-Tools takes most of a second to import: only when cpsat runs, not in every command
    from hpdsl.solvers.cpsat import cpsat

    return cpsat(graph, machine, options)


def _lns(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    from hpdsl.solvers.lns import lns

    return lns(graph, machine, options)


register("tabu", "tabu search (N5 swaps, N7 shifts, moves between pool workers) from the "
         "portfolio's or heft-l2's schedule", tabu.tabu)
register("cpsat", "exact: minimizes the makespan with OR-Tools CP-SAT, hinted by the portfolio",
         _cpsat)
register("lns", "large neighbourhoods: time windows of one device or pool re-solved with CP-SAT, "
         "from the portfolio's or heft-l2's schedule", _lns)


def lookup(name: str) -> SchedulerInfo:
    info = REGISTRY.get(name)
    if info is None:
        raise UserError(f"unknown scheduler '{name}'" + did_you_mean(name, REGISTRY))
    return info


def run(name: str, graph: TaskGraph, machine: Machine, options: Options | None = None) -> Schedule:
    """Run scheduler `name`, attach solve time and lower bound, check the result."""
    info = lookup(name)
    options = options or Options()
    ctx = Context.of(graph, machine)   # the scheduler's own Context.of returns this one
    ctx.min_time  # a task no core can run is a user error, raised before any solver runs
    if name in listsched.NONDELAY and graph.n_tasks > options.nondelay_max_tasks:
        # roughly tasks x waiting tasks: say so up front rather than look hung
        options.report(f"{name}: {graph.n_tasks:,} tasks; this non-delay list rule can take "
                         f"minutes to hours above {options.nondelay_max_tasks:,} tasks (heft and "
                         f"fifo take seconds)")
    t0 = time.perf_counter()
    s = info.function(graph, machine, options)
    seconds = time.perf_counter() - t0
    lb = max(s.lower_bound, bounds(ctx).value)
    s = replace(s, scheduler=name, lower_bound=lb, solve_seconds=seconds)
    check_schedule(graph, machine, s, ctx.times)
    if s.makespan < lb and graph.n_tasks:
        raise ScheduleError(f"{name}: makespan {s.makespan} ns is below the lower bound "
                            f"{lb} ns (a bound or the scheduler is wrong)")
    return s
