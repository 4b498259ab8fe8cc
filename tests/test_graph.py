"""TaskGraph (arrays, CSR, dedup, order, networkx view) and the `hpdsl graph` command's
arguments (its outputs: test_export.py, test_graph_stats.py)."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Random graphs (duplicate edges and self-loops included) against plain-Python expectations:
# the edge set, each node's sorted neighbours both ways, and networkx's own cycle test.

@st.composite
def edge_lists(draw, acyclic=False):
    n = draw(st.integers(1, 12))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
    if acyclic:   # keep the edges that go up a random ranking: a DAG not in id order
        rank = draw(st.permutations(range(n)))
        pairs = [(u, v) for u, v in pairs if rank[u] < rank[v]]
    return n, pairs


@given(edge_lists())
@settings(max_examples=150, deadline=None)
def test_csr_both_ways_holds_each_distinct_edge_once_sorted(case):
    n, pairs = case
    g = small([u for u, _ in pairs], [v for _, v in pairs], n=n)
    distinct = sorted(set(pairs))
    assert g.n_edges == len(distinct)
    s, d = g.edges()
    assert list(zip(s.tolist(), d.tolist())) == distinct
    for t in range(n):
        assert g.successors(t).tolist() == sorted({v for u, v in distinct if u == t})
        assert g.predecessors(t).tolist() == sorted({u for u, v in distinct if v == t})
    ptr, idx = csr(n, np.array([u for u, _ in pairs], int), np.array([v for _, v in pairs], int))
    # csr() itself keeps duplicates: each (u, v) as often as given, sorted within u
    assert ptr.tolist() == [sum(1 for u, _ in pairs if u < t) for t in range(n + 1)]
    assert idx.tolist() == [v for _, v in sorted(pairs)]


@given(edge_lists())
@settings(max_examples=150, deadline=None)
def test_topological_order_exactly_when_networkx_finds_no_cycle(case):
    n, pairs = case
    g = small([u for u, _ in pairs], [v for _, v in pairs], n=n)
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    ref.add_edges_from(pairs)
    if nx.is_directed_acyclic_graph(ref):
        order = g.topological_order().tolist()
        assert sorted(order) == list(range(n))
        pos = {t: i for i, t in enumerate(order)}
        assert all(pos[u] < pos[v] for u, v in pairs)
    else:
        with pytest.raises(ValueError, match="cycle"):
            g.topological_order()


@given(edge_lists(acyclic=True))
@settings(max_examples=100, deadline=None)
def test_a_dag_not_in_id_order_still_sorts(case):
    n, pairs = case
    order = small([u for u, _ in pairs], [v for _, v in pairs], n=n).topological_order().tolist()
    pos = {t: i for i, t in enumerate(order)}
    assert sorted(order) == list(range(n)) and all(pos[u] < pos[v] for u, v in pairs)


@given(edge_lists())
@settings(max_examples=50, deadline=None)
def test_networkx_view_has_every_task_and_distinct_edge(case):
    n, pairs = case
    v = small([u for u, _ in pairs], [w for _, w in pairs], n=n).to_networkx()
    assert sorted(v.nodes) == list(range(n)) and set(v.edges) == set(pairs)
    assert v.number_of_edges() == len(set(pairs))
    for t in range(n):   # small() gives task t the fixed time t + 1 on core type C
        a = v.nodes[t]
        assert (a["fixed_ns"], a["op"], a["kind"], a["cores"], a["device"]) == (t + 1, "o", "C",
                                                                             ["C"], 0)
        assert a["label"] == "o[d0]"


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
