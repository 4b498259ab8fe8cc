"""`hpdsl graph SPEC`: generate a target's tile task graph; print statistics, JSON, DOT or SVG."""
from __future__ import annotations

import json
import shutil
import sys

import numpy as np

from hpdsl.commands.common import add_target_args, emit, load_graph
from hpdsl.errors import UserError
from hpdsl.fmt import duration, si

DRAW_LIMIT = 2000      # tasks; a drawing of more is a grey smear, not a picture
PALETTE = ("#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7",
           "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69")


def add_parser(sub) -> None:
    from hpdsl.generate import DEFAULT_MAX_TASKS

    p = sub.add_parser(
        "graph", help="generate a target's tile task graph",
        description="Generate the tile task graph of a tiling or graph. With --format, write "
                    "the graph (json, dot or svg) to -o FILE or stdout; with --stats, or with "
                    "no --format, print statistics (sent to stderr when the graph goes to stdout).")
    add_target_args(p)
    p.add_argument("--stats", action="store_true",
                   help="print tasks and edges per op, total work, critical path and work per "
                        "core type")
    p.add_argument("--format", choices=("json", "dot", "svg"), default=None,
                   help="write the graph in this format (default: none, statistics only)")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="file for the graph (default: stdout)")
    p.add_argument("--max-tasks", type=int, default=DEFAULT_MAX_TASKS, metavar="N",
                   help=f"refuse targets with more tasks than this (default: {DEFAULT_MAX_TASKS:,})")
    p.set_defaults(run=run)


def run(args) -> int:
    _, graph = load_graph(args, max_tasks=args.max_tasks)
    if args.format is not None:
        text = {"json": to_json, "dot": to_dot, "svg": to_svg}[args.format](graph)
        emit(text, args.output)
    if args.stats or args.format is None:
        out = sys.stderr if args.format is not None and args.output in (None, "-") else sys.stdout
        print(stats(graph), file=out)
    return 0


# ------------------------------------------------------------------ statistics


def stats(graph) -> str:
    """Tasks and edges per op, totals, critical path and work per core type, as text."""
    from hpdsl.cost import fastest_times, task_times
    from hpdsl.machine import Machine
    from hpdsl.solvers.context import Context

    machine = Machine.of(graph.hardware, graph.devices)
    times = task_times(graph, machine)
    best, core = fastest_times(graph, machine, times)
    if (best < 0).any():
        t = int(np.flatnonzero(best < 0)[0])
        raise UserError(f"task {graph.label(t)} needs '{graph.kind_name(t)}', which no core "
                        f"type of hardware '{graph.hardware.name}' can run")
    src, dst = graph.edges()
    edges_in = np.bincount(graph.op[dst], minlength=len(graph.ops)) if len(dst) else \
        np.zeros(len(graph.ops), np.int64)
    lines = [f"{graph.name}: {graph.n_tasks:,} tasks, {graph.n_edges:,} edges, "
             f"{graph.devices} device(s), hardware '{graph.hardware.name}'"]
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
    for r in [head] + rows:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    caps = list(dict.fromkeys(graph.kinds))
    per_cap = []
    for cap in caps:
        ks = [k for k, name in enumerate(graph.kinds) if name == cap]
        sel = np.isin(graph.kind, ks)
        e_in = int(np.isin(graph.kind[dst], ks).sum()) if len(dst) else 0
        per_cap.append(f"{cap} {int(sel.sum()):,} tasks / {e_in:,} edges in")
    lines.append("by kind: " + ", ".join(per_cap))
    lines.append(f"total: {si(graph.flops.sum(), 'FLOP')}, "
                 f"{si(graph.bytes_in.sum(), 'B')} read, {si(graph.bytes_out.sum(), 'B')} written, "
                 f"{si(graph.bytes_sent.sum(), 'B')} sent")
    ctx = Context(graph, machine, times)
    cp = int((ctx.head(best, lat=True) + best).max()) if graph.n_tasks else 0
    cp0 = int((ctx.head(best) + best).max()) if graph.n_tasks else 0
    lines.append(f"critical path: {duration(cp, digits=4)} with sync and link latencies, {duration(cp0, digits=4)} without "
                 f"(each task on its fastest eligible core type)")
    lines.append("work per core type (each task on its fastest eligible core type):")
    for ci, c in enumerate(graph.hardware.cores):
        work = float(best[core == ci].sum())
        workers = c.count * len(c.queues) * graph.devices
        lines.append(f"  {c.name}: {int((core == ci).sum()):,} tasks, {duration(work, digits=4)} of work, "
                     f"{duration(work / max(1, workers), digits=4)} per worker over {workers:,} workers")
    return "\n".join(lines)


# ------------------------------------------------------------------ JSON

def to_json(graph) -> str:
    """`{"tasks": [...], "edges": [[from, to], ...]}` (DESIGN §7), one task per line."""
    ops = [json.dumps(o) for o in graph.ops]
    kinds = [json.dumps(k) for k in graph.kinds]
    cores = [json.dumps(list(c)) for c in graph.cores]
    names = graph.task_names
    cols = [graph.op.tolist(), graph.kind.tolist(), graph.device.tolist(), graph.expert.tolist(),
            graph.row0.tolist(), graph.rows.tolist(), graph.col0.tolist(), graph.cols.tolist(),
            graph.flops.tolist(), graph.bytes_in.tolist(), graph.bytes_out.tolist(),
            graph.bytes_sent.tolist(), graph.dst.tolist(), graph.fixed_ns.tolist()]
    lines = []
    for t, (o, k, d, e, r0, r, c0, c, f, bi, bo, bs, dst, fx) in enumerate(zip(*cols)):
        name = f', "name": {json.dumps(names[t])}' if names is not None else ""
        lines.append(f'{{"id": {t}{name}, "op": {ops[o]}, "kind": {kinds[k]}, "device": {d}, '
                     f'"cores": {cores[k]}, "expert": {e}, "row0": {r0}, "rows": {r}, '
                     f'"col0": {c0}, "cols": {c}, "flops": {f:.0f}, "bytes_in": {bi:.0f}, '
                     f'"bytes_out": {bo:.0f}, "bytes_sent": {bs:.0f}, "dst": {dst}, '
                     f'"fixed_ns": {fx}}}')
    src, dst = graph.edges()
    edges = ", ".join(f"[{u}, {v}]" for u, v in zip(src.tolist(), dst.tolist()))
    return '{"tasks": [\n' + ",\n".join(lines) + '\n],\n"edges": [' + edges + "]}\n"


# ------------------------------------------------------------------ drawings

def _check_drawable(graph) -> None:
    if graph.n_tasks > DRAW_LIMIT:
        raise UserError(f"the graph has {graph.n_tasks:,} tasks; a drawing of more than "
                        f"{DRAW_LIMIT:,} is unreadable. Use --format json or --stats, or draw a "
                        f"smaller instance (e.g. --set devices=2 --set tokens=64, or coarser tiles)")


def to_dot(graph) -> str:
    """Graphviz DOT: one cluster per op, tasks coloured (and labelled) by device."""
    import graphviz

    _check_drawable(graph)
    g = graphviz.Digraph(graph.name, graph_attr={"rankdir": "LR", "fontname": "Helvetica"},
                         node_attr={"shape": "box", "style": "filled,rounded",
                                    "fontname": "Helvetica", "fontsize": "10"})
    for i, name in enumerate(graph.ops):
        with g.subgraph(name=f"cluster_{i}") as c:
            c.attr(label=name, style="dashed")
            for t in np.flatnonzero(graph.op == i).tolist():
                dev = int(graph.device[t])
                label = graph.label(t)
                if graph.fixed_ns[t] >= 0:
                    label += f"\\n{graph.kind_name(t)} {duration(int(graph.fixed_ns[t]), digits=4)}"
                c.node(str(t), label=label, fillcolor=PALETTE[dev % len(PALETTE)],
                       tooltip=f"device {dev}, {graph.kind_name(t)}")
    src, dst = graph.edges()
    for u, v in zip(src.tolist(), dst.tolist()):
        g.edge(str(u), str(v))
    return g.source


def to_svg(graph) -> str:
    import graphviz

    text = to_dot(graph)
    if shutil.which("dot") is None:
        raise UserError("--format svg needs the 'dot' program of Graphviz, which is not "
                        "installed; use --format dot and render it elsewhere")
    return graphviz.Source(text).pipe(format="svg").decode()
