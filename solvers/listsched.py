"""List schedulers: a priority picks the next ready task, the placer puts it down.

All run in O((tasks + edges) log workers) Python steps over plain lists, which keeps a
million-task graph within seconds to tens of seconds:

- `heft`: upward rank (mean time over eligible core types plus cross-worker latency on
  every edge), ready tasks strictly in rank order (ties: data arrival, then the rank-aware
  send order), placement at the earliest finish time (see `placer` for the approximation);
- `dispatch`: the same rank, but non-delay: the ready task that can start first goes
  first, rank breaks ties (for job shop: the "most work remaining" dispatching rule);
- `cp`: critical-path first, non-delay — priority is the length of the longest path
  through the task (top level + bottom level with the fastest core types), then the
  bottom level;
- `fifo`: the task whose data arrives first goes first (ties: lower task id), placed at
  the earliest start — a dynamic, non-delay list schedule;
- `random`: random priorities (seeded), non-delay; with `Options.seeds` > 1 the best of
  that many consecutive seeds (the first of equals);
- `portfolio`: runs the others, then `Options.random_restarts` (8) more random seeds,
  and keeps the shortest (counted, not clocked: deterministic).

Cost: `heft` and `fifo` take each ready task once. The non-delay ones re-queue a task
each time its start estimate rises, which on wide graphs (thousands of tasks waiting for
the same busy pool) grows towards tasks x waiting tasks: 50k tasks take about a minute
where `heft` takes a second. The portfolio therefore skips them above
`Options.nondelay_max_tasks` (default 20,000) and says so in its notes.

Priorities only choose among *ready* tasks (all predecessors placed), so any priority
gives a valid schedule, zero-time tasks included.
"""
from __future__ import annotations

import heapq
import time

import numpy as np

from hpdsl import progress
from hpdsl.errors import UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options
from hpdsl.solvers.placer import Placer


def list_schedule(ctx: Context, key: np.ndarray | None, name: str,
                  earliest_start: bool = False, tie: np.ndarray | None = None,
                  queues: dict[int, int] | None = None, placer=Placer) -> Schedule:
    """Schedule with a static priority `key` (smaller first; None: by data arrival).

    Ready tasks are taken in key order, whether or not they could start now (classic
    HEFT order; fast, but a high-priority task that must wait leaves its worker idle).
    With `tie`, equal keys go by data arrival (known once all predecessors are placed),
    then by `tie`, then by task id: among equals, the task whose data lands first goes
    first, so a worker is not made to wait for a late tile while an early one is ready.
    `queues` limits the workers a task kind may use (`Placer`); `placer` is the placement
    policy (`Placer`'s interface; `heft_ins.InsertionPlacer` fills idle gaps).
    """
    g = ctx.graph
    n = ctx.n
    p = placer(ctx, queues=queues)
    release = ctx.release
    indeg = np.diff(g.pred_ptr).tolist()
    # a key may be a row of several columns per task, compared in order
    keys = None if key is None else key.tolist() if key.ndim == 1 else list(map(tuple, key.tolist()))
    ties = tie.tolist() if tie is not None else None
    arrival = p.arrival

    def entry(t):
        if keys is None:
            return (max(arrival[t], release), t)
        if ties is None:
            return (keys[t], t)
        return (keys[t], max(arrival[t], release), ties[t], t)

    ready = [entry(t) for t in range(n) if indeg[t] == 0]
    heapq.heapify(ready)
    succ, sp = p.succ, p.succ_ptr
    done = 0
    with progress.counter(n, f"schedule {name}") as bar:
        while ready:
            t = heapq.heappop(ready)[-1]
            p.place(t, release, earliest_start)
            done += 1
            bar.advance()
            for i in range(sp[t], sp[t + 1]):
                v = succ[i]
                indeg[v] -= 1
                if indeg[v] == 0:
                    heapq.heappush(ready, entry(v))
    if done != n:
        raise ValueError("task graph has a cycle")
    worker, start, end = p.arrays()
    return Schedule(name, "heuristic", worker, start, end)


def nondelay_schedule(ctx: Context, key: np.ndarray, name: str) -> Schedule:
    """Non-delay dispatching: the ready task that can start first goes first; among tasks
    that can start at the same time, the smaller `key` wins.

    Start estimates only grow (workers only get busier), so a popped entry whose estimate
    went up is pushed back with the new value (lazy re-evaluation): the task taken is
    always one with the earliest current estimate, as in Giffler-Thompson's rule.
    """
    g = ctx.graph
    n = ctx.n
    p = Placer(ctx)
    release = ctx.release
    indeg = np.diff(g.pred_ptr).tolist()
    keys = key.tolist()
    ready = [(p.earliest(t, release), keys[t], t) for t in range(n) if indeg[t] == 0]
    heapq.heapify(ready)
    succ, sp = p.succ, p.succ_ptr
    done = 0
    with progress.counter(n, f"schedule {name}") as bar:
        while ready:
            e, k, t = heapq.heappop(ready)
            e2 = p.earliest(t, release)
            if e2 > e:
                heapq.heappush(ready, (e2, k, t))
                continue
            p.place(t, release)
            done += 1
            bar.advance()
            for i in range(sp[t], sp[t + 1]):
                v = succ[i]
                indeg[v] -= 1
                if indeg[v] == 0:
                    heapq.heappush(ready, (p.earliest(v, release), keys[v], v))
    if done != n:
        raise ValueError("task graph has a cycle")
    worker, start, end = p.arrays()
    return Schedule(name, "heuristic", worker, start, end)


def upward_rank(ctx: Context) -> np.ndarray:
    """HEFT's rank_u: mean own time plus the longest (time + latency) path below."""
    mean = ctx.mean_time
    return mean + ctx.tail(mean, lat=True)


def heft(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    # ties in rank (symmetric experts, tiles of one expert) by data arrival, then in the
    # rank-aware send order (Context.ratr)
    return list_schedule(ctx, -upward_rank(ctx), "heft", tie=ctx.ratr)


def cp(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    d = ctx.min_time.astype(np.float64)
    bottom = d + ctx.tail(d, lat=True)
    through = ctx.head(d, lat=True) + bottom
    # one float key: path length first, bottom level as the tie-break
    scale = float(bottom.max()) + 1.0 if len(bottom) else 1.0
    return nondelay_schedule(ctx, -(through * scale + bottom), "cp")


def dispatch(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    return nondelay_schedule(ctx, -upward_rank(ctx), "dispatch")


def fifo(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    return list_schedule(Context.of(graph, machine), None, "fifo", earliest_start=True)


def random_priority(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    if options.seeds <= 1:
        return _random(ctx, options.seed)
    last = options.seed + options.seeds - 1
    best, kept = None, options.seed
    with progress.counter(options.seeds, "random seeds") as bar:
        for seed in range(options.seed, last + 1):
            s = _random(ctx, seed)
            if best is None or s.makespan < best.makespan:
                best, kept = s, seed
            bar.advance()
    return Schedule("random", "heuristic", best.worker, best.start, best.end,
                    notes=(f"best of seeds {options.seed}..{last}: seed {kept}, makespan "
                           f"{best.makespan} ns",))


def _random(ctx: Context, seed: int) -> Schedule:
    rng = np.random.default_rng(seed)
    return nondelay_schedule(ctx, rng.random(ctx.n), "random")


NONDELAY = ("dispatch", "cp", "random")
MEMBERS = {"heft": heft, "dispatch": dispatch, "cp": cp, "fifo": fifo,
           "random": random_priority}


def portfolio(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    """Run each member once, then `Options.random_restarts` more random seeds: counted,
    not clocked, so the same input gives the same schedule on any machine."""
    ctx = Context.of(graph, machine)   # the members' Context.of returns this one
    best, tried = None, []
    big = ctx.n > options.nondelay_max_tasks
    for name in options.portfolio:
        if name not in MEMBERS:
            raise UserError(f"unknown portfolio member '{name}'" + did_you_mean(name, MEMBERS))
        if big and name in NONDELAY:
            tried.append(f"{name} skipped ({ctx.n} tasks)")
            continue
        s = MEMBERS[name](graph, machine, options)
        tried.append(f"{name} {s.makespan} ns")
        if best is None or s.makespan < best.makespan:
            best = s
    seed = options.seed + 1
    for _ in range(0 if big else options.random_restarts):
        s = _random(ctx, seed)
        seed += 1
        if s.makespan < best.makespan:
            best = s
            tried.append(f"random seed {seed - 1} {s.makespan} ns")
    return Schedule("portfolio", "heuristic", best.worker, best.start, best.end,
                    notes=(f"best of: {', '.join(tried)}; kept {best.scheduler}",))
