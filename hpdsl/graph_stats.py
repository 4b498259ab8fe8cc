"""`hpdsl graph --stats`: a task graph in numbers, per op and per core type, as text.

Times take each task on its fastest eligible core type (`hpdsl.cost.fastest_times`).
"""
from __future__ import annotations

import numpy as np

from hpdsl.cost import fastest_times
from hpdsl.errors import UserError
from hpdsl.fmt import duration, si
from hpdsl.generate.chain import layer_of
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.solvers.context import Context


def stats(graph: TaskGraph) -> str:
    """Tasks and edges per op, totals, critical path and work per core type, as text."""
    ctx = Context.of(graph, Machine.of(graph.hardware, graph.devices))
    best, core = fastest_times(graph, ctx.machine, ctx.times)
    if (best < 0).any():
        t = int(np.flatnonzero(best < 0)[0])
        raise UserError(f"task {graph.label(t)} needs '{graph.kind_name(t)}', which no core "
                        f"type of hardware '{graph.hardware.name}' can run")
    lines = [f"{graph.name}: {graph.n_tasks:,} tasks, {graph.n_edges:,} edges, "
             f"{graph.devices} device(s), hardware '{graph.hardware.name}'"]
    lines += _op_table(graph)
    lines += _layer_table(graph)
    lines.append("by kind: " + ", ".join(_per_kind(graph)))
    lines.append(f"total: {si(graph.flops.sum(), 'FLOP')}, "
                 f"{si(graph.bytes_in.sum(), 'B')} read, {si(graph.bytes_out.sum(), 'B')} written, "
                 f"{si(graph.bytes_sent.sum(), 'B')} sent")
    cp = int((ctx.head(best, lat=True) + best).max()) if graph.n_tasks else 0
    cp0 = int((ctx.head(best) + best).max()) if graph.n_tasks else 0
    lines.append(f"critical path: {duration(cp, digits=4)} with sync and link latencies, "
                 f"{duration(cp0, digits=4)} without (each task on its fastest eligible core type)")
    lines.append("work per core type (each task on its fastest eligible core type):")
    for ci, c in enumerate(graph.hardware.cores):
        work = float(best[core == ci].sum())
        workers = c.count * len(c.queues) * graph.devices
        lines.append(f"  {c.name}: {int((core == ci).sum()):,} tasks, {duration(work, digits=4)} "
                     f"of work, {duration(work / max(1, workers), digits=4)} per worker over "
                     f"{workers:,} workers")
    return "\n".join(lines)


def _op_table(graph: TaskGraph) -> list[str]:
    """One row per op: its kind, the capabilities it needs, tasks, edges in and work."""
    _, dst = graph.edges()
    edges_in = np.bincount(graph.op[dst], minlength=len(graph.ops)) if len(dst) else \
        np.zeros(len(graph.ops), np.int64)
    head = ("op", "kind", "needs", "tasks", "edges in", "flops", "bytes r+w", "bytes sent")
    rows = []
    for i, name in enumerate(graph.ops):
        sel = graph.op == i
        needs = sorted({graph.kinds[k] for k in np.unique(graph.kind[sel])})
        rows.append((name, graph.op_kinds[i] if i < len(graph.op_kinds) else "", ",".join(needs),
                     f"{int(sel.sum()):,}", f"{int(edges_in[i]):,}",
                     si(graph.flops[sel].sum(), "FLOP"),
                     si((graph.bytes_in[sel] + graph.bytes_out[sel]).sum(), "B"),
                     si(graph.bytes_sent[sel].sum(), "B")))
    widths = [max(len(r[c]) for r in rows + [head]) for c in range(len(head))]
    return ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in [head] + rows]


def _layer_table(graph: TaskGraph) -> list[str]:
    """'by layer:' and one row per layer of a workload of `layers N` (none for one layer)."""
    layer = np.array([layer_of(name) or 0 for name in graph.ops], np.int64)
    if len(layer) == 0 or layer.max() == 0:
        return []
    per_task = layer[graph.op]
    _, dst = graph.edges()
    lines = ["by layer:"]
    for i in range(1, int(layer.max()) + 1):
        sel = per_task == i
        e_in = int((per_task[dst] == i).sum()) if len(dst) else 0
        lines.append(f"  layer {i}: {int(sel.sum()):,} tasks, {e_in:,} edges in, "
                     f"{si(graph.flops[sel].sum(), 'FLOP')}, {si(graph.bytes_sent[sel].sum(), 'B')} sent")
    return lines


def _per_kind(graph: TaskGraph) -> list[str]:
    """'send 32 tasks / 0 edges in' per capability, in the graph's kind order."""
    _, dst = graph.edges()
    out = []
    for cap in dict.fromkeys(graph.kinds):
        ks = [k for k, name in enumerate(graph.kinds) if name == cap]
        sel = np.isin(graph.kind, ks)
        e_in = int(np.isin(graph.kind[dst], ks).sum()) if len(dst) else 0
        out.append(f"{cap} {int(sel.sum()):,} tasks / {e_in:,} edges in")
    return out
