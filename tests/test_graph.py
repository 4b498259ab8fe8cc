"""TaskGraph (arrays, CSR, dedup, order, networkx view) and the `hpdsl graph` command's
arguments (its outputs: test_export.py, test_graph_stats.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hpdsl.cli import main
from hpdsl.graph import TaskGraph, csr
from hpdsl.spec import CoreType, Hardware, Queue

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HW = Hardware("H", cores=(CoreType("C", 1, (Queue("q", ("*",)),)),))


def small(src, dst, n=4):
    return TaskGraph.build(name="g", hardware=HW, devices=1, ops=("o",), kinds=("C",),
                           cores=(("C",),), op=np.zeros(n, np.int32), kind=np.zeros(n, np.int16),
                           device=np.zeros(n, np.int32), src=src, dst_edges=dst,
                           fixed_ns=np.arange(1, n + 1))


def test_build_dedups_and_sorts_edges_both_ways():
    g = small([2, 0, 0, 1, 0], [3, 2, 1, 3, 2])
    assert g.n_edges == 4
    s, d = g.edges()
    assert list(zip(s.tolist(), d.tolist())) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    assert g.predecessors(3).tolist() == [1, 2] and g.successors(0).tolist() == [1, 2]
    assert not g.succ.flags.writeable and not g.op.flags.writeable


def test_csr_unsorted_input():
    ptr, idx = csr(3, np.array([2, 0, 2, 0]), np.array([0, 2, 1, 1]))
    assert ptr.tolist() == [0, 2, 2, 4] and idx.tolist() == [1, 2, 0, 1]


def test_topological_order_and_cycle():
    g = small([0, 0, 1, 2], [1, 2, 3, 3])
    order = g.topological_order().tolist()
    pos = {t: i for i, t in enumerate(order)}
    assert all(pos[u] < pos[v] for u, v in [(0, 1), (0, 2), (1, 3), (2, 3)])
    with pytest.raises(ValueError, match="cycle"):
        small([0, 1], [1, 0], n=2).topological_order()


def test_networkx_view():
    g = small([0], [1], n=2)
    nx_g = g.to_networkx()
    assert list(nx_g.edges()) == [(0, 1)] and nx_g.nodes[1]["fixed_ns"] == 2


# ------------------------------------------------------------------ the command

def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_refuses_too_many_tasks(capsys):
    rc, _, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--max-tasks", "10")
    assert rc == 1 and "would generate at least 48 tasks, more than the limit of 10" in err


def test_settings_and_target_errors(capsys):
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--set", "devices=4",
                       "--set", "routing=zipf 1.5")
    assert rc == 0 and "4 device(s)" in out
    rc, _, err = run(capsys, "graph", str(EXAMPLES / "deepseek_moe.hpm"))
    assert rc == 1 and "choose one with --target (valid: 'coarse', 'fine')" in err
    rc, _, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--set", "colour=red")
    assert rc == 1 and "unknown setting 'colour'" in err
