"""Graph statistics (hpdsl.graph_stats), through `hpdsl graph --stats`."""
from __future__ import annotations

from pathlib import Path

from hpdsl.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


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
