"""The generator on explicit graphs: one task per `task`, fixed times, located errors."""
from __future__ import annotations

import pytest

from generate_cases import edge_set
from hpdsl.errors import UserError
from hpdsl.generate import generate
from hpdsl.spec import CoreType, Graph, Hardware, Queue, Task


def diamond():
    hw = Hardware("Duo", cores=(CoreType("CPU", 1, (Queue("q", ("*",)),)),
                                CoreType("ACC", 1, (Queue("q", ("*",)),))))
    tasks = (Task("load", "CPU", 2000), Task("left", "ACC", 5000, ("load",)),
             Task("right", "CPU", 3000, ("load",)), Task("side", "ACC", 4000),
             Task("merge", "CPU", 1000, ("left", "right", "side")))
    return Graph("diamond", hw, tasks)


def test_explicit_graph():
    g = generate(diamond())
    assert g.task_names == ("load", "left", "right", "side", "merge")
    assert g.kinds == ("CPU", "ACC") and g.cores == (("CPU",), ("ACC",))
    assert g.fixed_ns.tolist() == [2000, 5000, 3000, 4000, 1000]
    assert g.ops == ("diamond",) and g.devices == 1
    assert edge_set(g) == {(0, 1), (0, 2), (1, 4), (2, 4), (3, 4)}


def test_explicit_graph_errors():
    d = diamond()
    bad = Graph("diamond", d.hardware, d.tasks[:4] + (Task("merge", "CPU", 1, ("lft",)),))
    with pytest.raises(UserError, match=r"task 'merge' comes after 'lft', which is not a task of "
                                        r"graph 'diamond' \(did you mean 'left'\?"):
        generate(bad)
    cyc = Graph("c", d.hardware, (Task("a", "CPU", 1, ("b",)), Task("b", "CPU", 1, ("a",))))
    with pytest.raises(UserError, match=r"graph 'c' has a cycle: its tasks cannot all run"):
        generate(cyc)
    bad = Graph("g", d.hardware, (Task("a", "GPU", 1),))
    with pytest.raises(UserError, match=r"unknown core type 'GPU' in hardware 'Duo'"):
        generate(bad)
