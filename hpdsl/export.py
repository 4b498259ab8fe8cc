"""A task graph written out: JSON (the interchange format of DESIGN §7), Graphviz DOT, SVG."""
from __future__ import annotations

import json
import shutil

import numpy as np

from hpdsl.errors import UserError
from hpdsl.fmt import duration
from hpdsl.graph import TaskGraph

DRAW_LIMIT = 2000      # tasks; a drawing of more is a grey smear, not a picture
PALETTE = ("#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7",
           "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69")


def to_json(graph: TaskGraph) -> str:
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

def _check_drawable(graph: TaskGraph) -> None:
    if graph.n_tasks > DRAW_LIMIT:
        raise UserError(f"the graph has {graph.n_tasks:,} tasks; a drawing of more than "
                        f"{DRAW_LIMIT:,} is unreadable. Use --format json or --stats, or draw a "
                        f"smaller instance (e.g. --set devices=2 --set tokens=64, or coarser tiles)")


def to_dot(graph: TaskGraph) -> str:
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


def to_svg(graph: TaskGraph) -> str:
    """The DOT drawing rendered by Graphviz's `dot` program (UserError where it is missing)."""
    import graphviz

    text = to_dot(graph)
    if shutil.which("dot") is None:
        raise UserError("--format svg needs the 'dot' program of Graphviz, which is not "
                        "installed; use --format dot and render it elsewhere")
    return graphviz.Source(text).pipe(format="svg").decode()
