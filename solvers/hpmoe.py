"""`hpmoe`: HyperParallel-MoE's runtime as written, as a schedule of the tiles given.

The runtime (docs/reproduction.md, "hpmoe"; the reference reading of its
`worker_kernel.h`, `scheduler.py` and `tasks/*.py`) builds, per rank, two static task
lists and runs them in one launch:

- the cube list: GMM1 then GMM2 tasks, expert by expert (24 slices per local expert);
- the vector list: dispatch puts, SwiGLU tiles, combine puts, in op order, the puts in
  rank-aware order (RATR: each rank starts at a different destination, `Context.ratr`),
  then by expert and row;
- cube worker w walks `cube[w], cube[w + 24], ...`; only the odd AIV blocks work, and
  vector worker w walks `vector[w], vector[w + 24], ...` (static strided lists: a worker
  never takes another's task, and runs its own in list order, waiting for each one's
  dependencies).

This scheduler places every task on the worker and in the order the runtime would, at
the earliest time its data, its worker and its route's links allow (`Placer.place_on`).
The per-expert event counters (a GMM slice waits for all senders' chunks of its expert,
SwiGLU for all 24 slices, ...) are the dependencies of the `hpmoe` tiling of
`examples/deepseek_superpod.hpm` (GMM tiles of all an expert's rows x 1/24 of the
columns, SwiGLU tiles of 128 rows x all columns); on finer tiles the lists are the same
and each task waits only for the data it reads. Its plan is an ordinary one: lowering
turns the dependencies into per-queue counters (docs/plans.md) rather than per-expert
ones, which waits for the same tasks. What it leaves out: capacity-sized no-op tiles
(hpdsl's graph holds the routed rows only) and the polling quanta beyond the hardware's
one sync latency. On an explicit graph the "ops" are its waves (`serial.kernels`).
"""
from __future__ import annotations

import numpy as np

from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options
from hpdsl.solvers.placer import Placer
from hpdsl.solvers.serial import kernels


def task_lists(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(worker, core type index, global order) per task: the runtime's static strided
    lists, one per device and core type, walked in op order."""
    g = ctx.graph
    stage = kernels(ctx).astype(np.int64)          # ops in dependency order
    send = g.dst >= 0
    ratr = np.where(send, ctx.ratr, 0)
    order = np.lexsort((np.arange(ctx.n), g.col0, g.row0, g.expert, ratr, stage))
    worker = np.full(ctx.n, -1, np.int64)
    core = np.full(ctx.n, -1, np.int64)
    pos = np.zeros(ctx.n, np.int64)
    lists: dict[tuple[int, int], list[int]] = {}
    pools: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}
    kind, dev = g.kind.tolist(), g.device.tolist()
    for t in order.tolist():
        key = (kind[t], dev[t])
        pool = pools.get(key)
        if pool is None:
            ci, ws = ctx.pools_of(kind[t], dev[t])[0]
            if g.kinds[kind[t]] != "matmul" and len(ws) > 1:
                ws = ws[1::2]               # only the odd vector blocks work
            pool = pools[key] = (ci, ws)
        ci, ws = pool
        lst = lists.setdefault((dev[t], ci), [])
        worker[t], core[t], pos[t] = ws[len(lst) % len(ws)], ci, len(lst)
        lst.append(t)
    # a task's place in its list, op by op: each worker's tasks in its list order, and
    # every dependency (from an earlier op) placed before its consumer
    return worker, core, np.lexsort((pos, stage))


def hpmoe(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    worker, core, order = task_lists(ctx)
    p = Placer(ctx)
    release = ctx.release
    w, c = worker.tolist(), core.tolist()
    for t in order.tolist():
        p.place_on(t, w[t], c[t], release)
    worker, start, end = p.arrays()
    return Schedule("hpmoe", "heuristic", worker, start, end)
