"""Schedulers by name, behind one signature, and the one entry point that checks them all.

A scheduler is a function `(TaskGraph, Machine, Options) -> Schedule`. `run` looks one
up by name, times it, attaches the lower bound (`bounds.py`, or the scheduler's own proven
bound when larger) and passes the result through `hpdsl.schedule.check_schedule`, so no
unchecked schedule leaves this package.

    >>> from hpdsl.solvers import run, Options      # doctest: +SKIP
    >>> s = run("heft", graph, machine, Options())  # doctest: +SKIP
    >>> s.makespan >= s.lower_bound                 # doctest: +SKIP
    True
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from typing import Callable

from hpdsl.errors import UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule, ScheduleError, check_schedule


@dataclass(frozen=True, slots=True)
class Options:
    """Knobs shared by all schedulers; each reads the ones it needs."""

    time_limit: float = 60.0        # seconds, for z3 and the portfolio's extra restarts
    seed: int = 0                   # random priorities
    max_z3_tasks: int = 400         # z3 refuses larger graphs before building a model
    progress: Callable[[str], None] | bool = False   # True: messages on stderr
    portfolio: tuple[str, ...] = ("heft", "dispatch", "cp", "fifo", "random")
    random_restarts: int = 8        # extra random-priority runs in the portfolio
    nondelay_max_tasks: int = 20_000   # the portfolio skips its slower members above this
    warm_start: str = "portfolio"   # heuristic whose schedule z3 starts from

    def report(self, msg: str) -> None:
        if self.progress is True:
            print(f"hpdsl: {msg}", file=sys.stderr, flush=True)
        elif callable(self.progress):
            self.progress(msg)


@dataclass(frozen=True, slots=True)
class SchedulerInfo:
    name: str
    description: str
    function: Callable[[TaskGraph, Machine, Options], Schedule]


def _wrap(fn):
    """Adapt a context-taking scheduler to the public (graph, machine, options) signature."""
    def scheduler(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
        from hpdsl.solvers.context import Context
        return fn(Context.of(graph, machine), options)
    scheduler.__name__ = fn.__name__
    scheduler.__doc__ = fn.__doc__
    scheduler.with_context = fn
    return scheduler


def _registry() -> dict[str, SchedulerInfo]:
    from hpdsl.solvers import listsched, serial, z3opt

    entries = [
        ("serial", "kernel-by-kernel baseline: one kernel per op, launch and barrier between",
         serial.serial),
        ("heft", "list schedule by HEFT upward rank, earliest-finish placement", listsched.heft),
        ("dispatch", "non-delay list schedule: earliest possible start first, HEFT rank "
         "breaks ties", listsched.dispatch),
        ("cp", "non-delay list schedule, critical path (longest path through a task) first",
         listsched.cp),
        ("fifo", "list schedule, earliest data arrival first, earliest-start placement",
         listsched.fifo),
        ("random", "non-delay list schedule with random (seeded) priorities",
         listsched.random_priority),
        ("portfolio", "runs heft, dispatch, cp, fifo and random restarts; keeps the shortest",
         listsched.portfolio),
        ("z3", "exact: minimizes the makespan with Z3, warm-started by the portfolio",
         z3opt.z3opt),
    ]
    return {name: SchedulerInfo(name, desc, _wrap(fn)) for name, desc, fn in entries}


REGISTRY: dict[str, SchedulerInfo] = _registry()


def lookup(name: str) -> SchedulerInfo:
    info = REGISTRY.get(name)
    if info is None:
        raise UserError(f"unknown scheduler '{name}'" + did_you_mean(name, REGISTRY))
    return info


def run(name: str, graph: TaskGraph, machine: Machine, options: Options | None = None,
        ctx=None) -> Schedule:
    """Run scheduler `name`, attach solve time and lower bound, check the result."""
    from hpdsl.solvers.bounds import bounds
    from hpdsl.solvers.context import Context

    info = lookup(name)
    options = options or Options()
    ctx = ctx or Context.of(graph, machine)
    ctx.min_time  # a task no core can run is a user error, raised before any solver runs
    from hpdsl.solvers.listsched import NONDELAY
    if name in NONDELAY and graph.n_tasks > options.nondelay_max_tasks:
        # roughly tasks x waiting tasks: say so up front rather than look hung
        options.report(f"{name}: {graph.n_tasks:,} tasks; this non-delay list rule can take "
                         f"minutes to hours above {options.nondelay_max_tasks:,} tasks (heft and "
                         f"fifo take seconds)")
    t0 = time.perf_counter()
    s = info.function.with_context(ctx, options)
    seconds = time.perf_counter() - t0
    lb = max(s.lower_bound, bounds(ctx).value)
    s = replace(s, scheduler=name, lower_bound=lb, solve_seconds=seconds)
    check_schedule(graph, machine, s, ctx.times)
    if s.makespan < lb and graph.n_tasks:
        raise ScheduleError(f"{name}: makespan {s.makespan} ns is below the lower bound "
                            f"{lb} ns (a bound or the scheduler is wrong)")
    return s
