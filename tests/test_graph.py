"""TaskGraph (arrays, CSR, dedup, order, networkx view) and the `hpdsl graph` command."""
from __future__ import annotations

import json
import shutil
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


def test_stats_default(capsys):
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"))
    assert rc == 0, err
    assert out.startswith("tiny: 48 tasks, 48 edges, 2 device(s), hardware 'Toy'")
    lines = out.splitlines()
    up = next(line for line in lines if line.strip().startswith("up "))
    assert up.split()[:5] == ["up", "grouped_matmul", "matmul", "16", "16"]
    assert "critical path:" in out and "MX: 24 tasks" in out and "VX: 24 tasks" in out
    assert ("by kind: send 16 tasks / 8 edges in, matmul 24 tasks / 24 edges in, "
            "vector 8 tasks / 16 edges in") in out


def test_stats_critical_path_of_explicit_graph(capsys):
    rc, out, _ = run(capsys, "graph", str(EXAMPLES / "diamond.hpm"), "--stats")
    # load 2 -> left 5 -> merge 1 = 8 us; the Duo machine has no latencies
    assert rc == 0 and "critical path: 8 us with sync and link latencies" in out


def test_json(capsys, tmp_path):
    path = tmp_path / "g.json"
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--format", "json", "-o", str(path))
    assert rc == 0 and "tiny: 48 tasks" not in err
    data = json.loads(path.read_text())
    assert len(data["tasks"]) == 48 and len(data["edges"]) == 48
    t = data["tasks"][8]
    assert {"id", "op", "kind", "device", "cores"} <= set(t)
    assert (t["op"], t["kind"], t["cores"]) == ("up", "matmul", ["MX"])
    ids = {tk["id"]: tk for tk in data["tasks"]}
    for u, v in data["edges"]:
        assert ids[u]["op"] != ids[v]["op"]
    rc, out, err = run(capsys, "graph", str(EXAMPLES / "diamond.hpm"), "--format", "json", "--stats")
    data = json.loads(out)
    assert [t["name"] for t in data["tasks"]] == ["load", "left", "right", "side", "merge"]
    assert data["tasks"][1]["kind"] == "ACC" and data["tasks"][1]["fixed_ns"] == 5000
    assert "diamond: 5 tasks" in err            # stats go to stderr when the graph is on stdout


def test_dot_and_svg(capsys, tmp_path):
    rc, out, _ = run(capsys, "graph", str(EXAMPLES / "toy.hpm"), "--format", "dot")
    assert rc == 0 and out.count("subgraph cluster_") == 5 and out.count("->") >= 48
    assert "#a6cee3" in out and "#b2df8a" in out        # two devices, two colours
    if shutil.which("dot"):
        rc, _, _ = run(capsys, "graph", str(EXAMPLES / "diamond.hpm"), "--format", "svg",
                       "-o", str(tmp_path / "d.svg"))
        assert rc == 0 and "<svg" in (tmp_path / "d.svg").read_text()


def test_refuses_big_drawing_and_too_many_tasks(capsys):
    rc, _, err = run(capsys, "graph", str(EXAMPLES / "deepseek_moe.hpm"), "-t", "coarse",
                     "--format", "dot")
    assert rc == 1
    # the coarse tiling of the spec: 16 devices x 4096 tokens, 256 experts, top-8, hidden
    # 7168, expert FFN 2048 (up: n 4096). Balanced routing gives each (device, expert) pair
    # 4096 * 8 / 256 = 128 rows, each expert 16 * 128 = 2048 rows: one chunk (4096 rows) per
    # pair and way, one 4096-row block per expert, cut into 4096 / 256 = 16 up tiles,
    # 2048 / 2048 = 1 act tile and 7168 / 512 = 14 down tiles
    sends = 2 * 16 * 256                     # dispatch and combine
    tiles = 256 * (4096 // 256 + 2048 // 2048 + 7168 // 512)
    assert f"error: the graph has {sends + tiles:,} tasks; a drawing of more than 2,000 is " \
           "unreadable" in err
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
