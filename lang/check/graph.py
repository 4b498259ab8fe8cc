"""Checks of an explicit `graph`: its tasks, their core types and predecessors, cycles."""
from __future__ import annotations

from hpdsl.errors import Diagnostic, Names, did_you_mean
from hpdsl.spec import Graph

from .common import duplicates, not_negative


def check_graph(g: Graph) -> list[Diagnostic]:
    d: list[Diagnostic] = []
    if not g.tasks:
        d.append(Diagnostic(g.loc, f"graph '{g.name}' has no tasks"))
    duplicates(d, g.tasks, "task", f"graph '{g.name}'")
    cores = {c.name for c in g.hardware.cores}
    names = {t.name for t in g.tasks}
    near_core, near = Names(cores), Names(names)   # one each for all the graph's mistakes
    for t in g.tasks:
        if t.core not in cores:
            d.append(Diagnostic(t.loc, f"task '{t.name}' runs on unknown core type '{t.core}'"
                                       + did_you_mean(t.core, near_core)))
        not_negative(d, t.loc, f"the time of task '{t.name}'", t.time, " ns")
        for a in t.after:
            if a not in names:
                d.append(Diagnostic(t.loc, f"task '{t.name}' comes after unknown task '{a}'"
                                           + did_you_mean(a, near)))
    cycle = find_cycle(g)
    if cycle:
        first = next(t for t in g.tasks if t.name == cycle[0])
        d.append(Diagnostic(first.loc, f"graph '{g.name}' has a dependency cycle: "
                                       + " -> ".join(cycle + [cycle[0]])))
    return d


def find_cycle(g: Graph) -> list[str]:
    """Task names of one dependency cycle (in order: each after the previous), or []."""
    tasks = {}
    for t in g.tasks:
        tasks.setdefault(t.name, t)
    preds = {n: [a for a in t.after if a in tasks] for n, t in tasks.items()}
    indeg = {n: len(p) for n, p in preds.items()}
    succs: dict[str, list[str]] = {n: [] for n in tasks}
    for n, ps in preds.items():
        for p in ps:
            succs[p].append(n)
    ready = [n for n, k in indeg.items() if k == 0]
    while ready:   # Kahn: what stays unreached lies on or behind a cycle
        n = ready.pop()
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    left = {n for n, k in indeg.items() if k > 0}
    if not left:
        return []
    # Walk predecessors inside the unreached set until a task repeats.
    order = [t.name for t in g.tasks if t.name in left]
    path, pos, n = [], {}, order[0]
    while n not in pos:
        pos[n] = len(path)
        path.append(n)
        n = next(p for p in preds[n] if p in left)
    cycle = path[pos[n]:]
    cycle.reverse()   # predecessors were walked: reverse to read in execution order
    rank = {n: i for i, n in enumerate(order)}
    first = min(range(len(cycle)), key=lambda i: rank[cycle[i]])
    return cycle[first:] + cycle[:first]   # start at the task declared first
