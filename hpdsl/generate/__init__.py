"""Dependency-preserving generation: a tiling (or an explicit graph) becomes a `TaskGraph`.

Each op's tiles come from its kind in `hpdsl.ops`; an edge u -> v exists exactly when
tile v reads data tile u writes (a dispatch chunk "writes" the rows it delivers). No
operator-wide barriers. Edges are found per op pair by sorted sweeps, without all-pairs
loops (`hpdsl.ops.overlap`).

Before any per-task array is built the task count is computed in closed form from the
routed row counts, so an oversized spec is refused early. The input is a checked target
(`hpdsl.lang.checked_target`: a tiling whose workload carries any `--set` overrides, or
a graph); `chain` plans and counts the op chain, `arrays` builds the task arrays,
`explicit` turns a graph into tasks.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from hpdsl import progress
from hpdsl.errors import UserError
from hpdsl.graph import TaskGraph
from hpdsl.ops.base import Layer
from hpdsl.routing import route
from hpdsl.spec import Graph, Tiling

from .arrays import build
from .chain import Step, count_tasks, plan_chain
from .explicit import from_graph

__all__ = ["DEFAULT_MAX_TASKS", "MAX_ROUTED_CELLS", "MAX_ROUTED_ROWS", "Step", "count_tasks", "from_graph",
           "from_tiling", "generate", "plan_chain"]

DEFAULT_MAX_TASKS = 4_000_000
MAX_ROUTED_ROWS = 1 << 27      # devices x tokens x topk; the routing alone is 4 bytes a row
MAX_ROUTED_CELLS = 1 << 22     # devices x experts; the routing and counting take ~70 bytes a cell


def generate(target: Tiling | Graph, max_tasks: int = DEFAULT_MAX_TASKS) -> TaskGraph:
    """The task graph of a tiling (with its workload as overridden) or of a graph.

    >>> from hpdsl.lang import checked_target, load
    >>> generate(checked_target(load("examples/toy.hpm"), None)).n_tasks
    48
    """
    if isinstance(target, Graph):
        return from_graph(target)
    return from_tiling(target, max_tasks)


def _refuse(n: int, at_least: bool, max_tasks: int, name: str) -> UserError:
    what = "at least " if at_least else ""
    return UserError(f"target '{name}' would generate {what}{n:,} tasks, more than the limit of "
                     f"{max_tasks:,}; use coarser tiles, fewer devices or tokens, or raise "
                     f"--max-tasks")


def from_tiling(t: Tiling, max_tasks: int = DEFAULT_MAX_TASKS) -> TaskGraph:
    """Tiles and dependencies of `t.workload` (checked, overrides applied) split by `t`."""
    w = t.workload
    steps = plan_chain(t)
    base = dict(devices=w.devices, tokens=w.tokens, hidden=w.hidden, experts=w.experts,
                topk=w.topk, dtype_bytes=w.dtype_bytes, placement=w.placement)
    rows = w.devices * w.tokens * w.topk
    if w.devices * w.experts > MAX_ROUTED_CELLS:   # before any (devices, experts) table
        raise UserError(f"workload '{w.name}' routes to {w.devices * w.experts:,} (device, "
                        f"expert) pairs (devices x experts), more than the "
                        f"{MAX_ROUTED_CELLS:,} hpdsl generates", w.loc)
    # lower bound before routing: all rows in one (device, expert) pair packs tiles tightest
    lump = np.zeros((w.devices, w.experts), dtype=np.int64)
    lump[0, 0] = rows
    low = sum(count_tasks(steps, [Layer(counts=lump, **base)] * w.layers).values())
    if low > max_tasks:
        raise _refuse(low, True, max_tasks, t.name)
    if rows * w.layers > MAX_ROUTED_ROWS:
        per = " x layers" if w.layers > 1 else ""
        raise UserError(f"workload '{w.name}' routes {rows * w.layers:,} rows (devices x tokens "
                        f"x topk{per}), more than the {MAX_ROUTED_ROWS:,} hpdsl generates", w.loc)
    # steps of the bar: routing, each op's tiles and edges, assembling the graph
    with progress.counter(len(steps) + 2, f"generate {t.name}") as bar:
        layers = []
        for i in range(w.layers):   # each layer its own draw: seed + layer
            routed = route(replace(w.routing, seed=w.routing.seed + i), w.devices, w.tokens,
                           w.experts, w.topk)
            layers.append(Layer(counts=routed.counts, choices=routed.choices, **base))
        bar.advance()
        total = sum(count_tasks(steps, layers).values())
        if total > max_tasks:
            raise _refuse(total, False, max_tasks, t.name)
        return build(t, steps, layers, total, bar)
