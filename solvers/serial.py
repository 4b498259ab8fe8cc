"""`serial`: the kernel-by-kernel baseline of today's frameworks.

Each op is one kernel: all its tiles are spread over the workers of their core types, the
kernel ends at a barrier when its last tile ends, and the next kernel starts after a
further `hardware.launch` (the first kernel starts after one launch, like every plan).
Communication ops (dispatch, combine) are host-driven collectives: the sends of all
devices form one kernel, and because the host synchronizes them they pay the launch too.
Kernels follow the ops in dependency order (ops in graph order where the data allows).

Within a kernel tiles go, in order, to the worker that finishes them first among the
earliest-free worker of each eligible core type (greedy). A matmul kernel takes its
tiles as a grouped-GEMM library does: expert by expert, the row blocks of a column
slice together (each weight block is read once and reused from L2 by its rows). The
sends of a collective go in rank-aware order (each device starts with a different
destination, as a well-built all-to-all does; `Context.ratr`), and the placer
serializes them per link, so a collective kernel lasts at least its busiest link's
bytes / link bandwidth.

A barrier is a host synchronization: once the last queue reaches it every earlier task has
ended and its data is visible, so a dependency across kernels pays no sync or link
latency (the launch stands for it); dependencies inside a kernel pay theirs as usual.

Explicit graphs have no ops: there, each *wave* of tasks is a kernel — wave 0 holds the
tasks without predecessors, wave i+1 the tasks whose predecessors are all in waves <= i
(bulk-synchronous execution, as a framework that launches whatever is ready and waits).
"""
from __future__ import annotations

import numpy as np

from hpdsl import progress
from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.ops import KINDS
from hpdsl.schedule import Schedule
from hpdsl.solvers.context import Context
from hpdsl.solvers.options import Options
from hpdsl.solvers.placer import Placer


def kernels(ctx: Context) -> np.ndarray:
    """int32 per task: its kernel index (0, 1, ...)."""
    g = ctx.graph
    kernel = np.empty(ctx.n, dtype=np.int32)
    if g.task_names is not None or set(g.op_kinds) <= {"graph"}:   # an explicit graph
        for i, lv in enumerate(ctx.levels):
            kernel[lv] = i
        return kernel
    # op-level dependency graph, ordered topologically with ties by op index
    src, dst = g.edges()
    pairs = set(zip(g.op[src].tolist(), g.op[dst].tolist()))
    ops = sorted(set(g.op.tolist()))
    preds = {o: {a for a, b in pairs if b == o and a != o} for o in ops}
    order, placed = [], set()
    while len(order) < len(ops):
        ready = [o for o in ops if o not in placed and preds[o] <= placed]
        if not ready:
            left = [g.ops[o] for o in ops if o not in placed]
            raise UserError(f"ops {', '.join(left)} depend on each other in a cycle; "
                            f"the serial baseline cannot order them into kernels")
        order.append(ready[0])
        placed.add(ready[0])
    index = {o: i for i, o in enumerate(order)}
    lut = np.zeros(max(ops) + 1, dtype=np.int32)
    for o, i in index.items():
        lut[o] = i
    kernel[:] = lut[g.op]
    return kernel


def library_order(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expert, first column, first row) per matmul tile, zeros elsewhere: the order a
    grouped-GEMM library walks its tiles in (expert by expert, a column slice's row blocks
    together, so each weight block is read once and reused from L2 by all its rows)."""
    g = ctx.graph
    weights = np.array([getattr(KINDS.get(k), "has_weights", False) for k in g.op_kinds], bool)
    mm = weights[g.op] if len(weights) else np.zeros(ctx.n, bool)
    return tuple(np.where(mm, a, 0).astype(np.int64) for a in (g.expert, g.col0, g.row0))


def serial(graph: TaskGraph, machine: Machine, options: Options) -> Schedule:
    ctx = Context.of(graph, machine)
    kernel = kernels(ctx)
    topo = np.concatenate(ctx.levels) if ctx.n else np.empty(0, np.int64)
    # kernel first, then the rank-aware send order, then a matmul kernel's library order;
    # stable: topological order otherwise
    e, c, r = library_order(ctx)
    order = topo[np.lexsort((r[topo], c[topo], e[topo], ctx.ratr[topo], kernel[topo]))]
    p = Placer(ctx, kernel)
    launch = ctx.release
    k_start, k_cur, k_end = launch, 0, launch
    with progress.counter(ctx.n, "schedule serial") as bar:
        for t in order.tolist():
            k = int(kernel[t])
            if k != k_cur:
                k_start = k_end + launch
                k_cur = k
            k_end = max(k_end, p.place(t, k_start))
            bar.advance()
    worker, start, end = p.arrays()
    return Schedule("serial", "baseline", worker, start, end, kernel=kernel)

