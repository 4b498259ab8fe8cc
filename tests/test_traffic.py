"""Traffic as people read it: ratios, experts in flight, the re-read why line, the table."""
from __future__ import annotations

import numpy as np
from test_memory import ONE, traffic

from hpdsl.generate import generate
from hpdsl.graph import TaskGraph
from hpdsl.lang import checked_target, loads
from hpdsl.machine import Machine
from hpdsl.traffic import in_flight, op_lines, ratio, reread_lines, table, weights_of


def test_ratio_and_lines():
    t = traffic(300, 100, 50, 7)
    assert ratio(t, 200) == 2.0 and ratio(t, 0) is None
    line = op_lines({"up": t}, {"up": 200})[0]
    assert line == ("up        HBM read 400 B = 2.00x compulsory (weights 300 B, activations "
                    "100 B), written back 50 B, L2 hits 7 B")
    rows = table([("a", {"up": t}), ("b", {})], {"up": 200})
    assert rows[0].split() == ["HBM", "reads", "up", "total"]
    assert rows[1].split() == ["a", "400", "B", "2.00x", "400", "B", "2.00x"] and len(rows) == 3


def _graph(experts):
    """One up-like op: tiles of `experts` experts on device 0 (expert e, 2 tiles each)."""
    n = 2 * len(experts)
    return TaskGraph.build(name="g", hardware=None, devices=1, ops=("up",), kinds=("mm",),
                           cores=(("A",),), op=np.zeros(n, np.int32), kind=np.zeros(n),
                           device=np.zeros(n), src=[], dst_edges=[],
                           expert=np.repeat(experts, 2))


def test_experts_in_flight_count_overlapping_expert_spans():
    g = _graph([0, 1, 2])
    # expert 0 runs 0..10 and 20..30 (in flight 0..30); expert 1 10..20; expert 2 30..40
    start = np.array([0, 20, 10, 15, 30, 35])
    end = np.array([10, 30, 15, 20, 35, 40])
    assert in_flight(g, start, end, 0) == 2
    # one ending as another starts is not overlap
    assert in_flight(g, np.array([0, 5, 10, 15, 20, 25]), np.array([5, 10, 15, 20, 25, 30]), 0) == 1


def test_the_reread_line_names_experts_in_flight_and_what_l2_holds():
    g = generate(checked_target(loads(ONE.format(l2="6 KiB"), "one.hpm"), None))
    m = Machine.of(g.hardware)
    total, per = weights_of(g)
    assert total.tolist() == [4 * 4096] and per.tolist() == [4 * 4096]   # one owner: device 0
    start = np.arange(g.n_tasks) * 10
    lines = reread_lines(g, m, {"mm": traffic(4 * 16384, 0, 0, 0)}, start, start + 10)
    assert lines == ["mm re-read its weights 4x: 1 expert in flight, L2 holds 0"]
    assert reread_lines(g, m, {"mm": traffic(16384, 0, 0, 0)}, start, start + 10) == []
