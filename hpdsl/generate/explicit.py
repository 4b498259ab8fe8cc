"""An explicit `graph` as a `TaskGraph`: one task per `task`, with the time it is given."""
from __future__ import annotations

import numpy as np

from hpdsl.errors import Diagnostic, Names, UserError, did_you_mean
from hpdsl.graph import TaskGraph
from hpdsl.spec import Graph


def from_graph(g: Graph) -> TaskGraph:
    """An explicit graph: one task per `task`, fixed times, kind = the core type it names."""
    names = [task.name for task in g.tasks]
    index = {nm: i for i, nm in enumerate(names)}
    kinds = list(dict.fromkeys(task.core for task in g.tasks))
    core_names = {c.name for c in g.hardware.cores}
    near_core, near = Names(core_names), Names(index)   # one each for all the mistakes
    diags = []
    src, dst = [], []
    for i, task in enumerate(g.tasks):
        if task.core not in core_names:
            diags.append(Diagnostic(task.loc, f"unknown core type '{task.core}' in hardware "
                                    f"'{g.hardware.name}'{did_you_mean(task.core, near_core)}"))
        for a in task.after:
            if a not in index:
                diags.append(Diagnostic(task.loc, f"task '{task.name}' comes after '{a}', which "
                                        f"is not a task of graph '{g.name}'{did_you_mean(a, near)}"))
                continue
            src.append(index[a])
            dst.append(i)
    if diags:
        raise UserError(diags)
    n = len(g.tasks)
    graph = TaskGraph.build(
        name=g.name, hardware=g.hardware, devices=1, ops=(g.name,), kinds=tuple(kinds),
        cores=tuple((k,) for k in kinds), op=np.zeros(n, dtype=np.int32),
        kind=np.array([kinds.index(task.core) for task in g.tasks], dtype=np.int16),
        device=np.zeros(n, dtype=np.int32), src=np.array(src, dtype=np.int64),
        dst_edges=np.array(dst, dtype=np.int64),
        fixed_ns=np.array([task.time for task in g.tasks], dtype=np.int64),
        task_names=tuple(names), op_kinds=("graph",))
    try:
        graph.topological_order()
    except ValueError:
        raise UserError(f"graph '{g.name}' has a cycle: its tasks cannot all run", g.loc) from None
    return graph
