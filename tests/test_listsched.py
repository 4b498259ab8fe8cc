"""List heuristics: valid, never below an optimum, and fast on large graphs."""
import time

import numpy as np
import pytest

from hpdsl.benchdata import parse_stg, stg_optima
from hpdsl.graph import TaskGraph
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run
from hpdsl.solvers.context import Context
from hpdsl.solvers.listsched import list_schedule
from hpdsl.spec import CoreType, Hardware, Queue
from solvers_graphs import BENCHDATA, explicit, stg

HEURISTICS = ("heft", "dispatch", "cp", "fifo", "random", "portfolio")
needs_data = pytest.mark.skipif(not BENCHDATA.exists(), reason="benchmark data set absent")


@needs_data
@pytest.mark.parametrize("procs", [2, 4])
@pytest.mark.parametrize("inst", ["rand0000", "rand0007", "rand0042"])
def test_stg_heuristics_are_valid_and_never_beat_the_optimum(inst, procs):
    s = parse_stg((BENCHDATA / f"stg/50/{inst}.stg").read_text(), inst)
    lb, ub = stg_optima(BENCHDATA / f"stg/optimal/Case50_{procs}_OPT.csv")[f"50/{inst}.stg"]
    g, m = stg(s, procs)
    for name in HEURISTICS:
        r = run(name, g, m)
        assert r.makespan >= lb * 1000, name
        assert r.lower_bound <= lb * 1000


def test_heft_prefers_the_faster_core_type():
    g, m = explicit("f", [("A", 1), ("B", 1)], [("A|B", 10, [])])
    times = np.array([[10, 3]])   # the cost model gives equal times; check the placer's choice
    ctx = Context(g, m, times)
    s = list_schedule(ctx, np.zeros(1), "heft")
    assert m.workers[int(s.worker[0])].core == "B" and s.end[0] == 3


def test_successor_stays_on_its_predecessors_worker_to_skip_the_latency():
    g, m = explicit("s", [("A", 2)], [("A", 100, []), ("A", 100, [0])], sync_latency=1000)
    for name in HEURISTICS:
        assert run(name, g, m).makespan == 200, name


def _layered(n_layers, width, fan, devices=4):
    """A wide layered graph over two core types, `fan` edges into each task."""
    rng = np.random.default_rng(1)
    n = n_layers * width
    layer = np.arange(n) // width
    src, dst = [], []
    for L in range(1, n_layers):
        v = np.arange(L * width, (L + 1) * width)
        for _ in range(fan):
            src.append(rng.integers((L - 1) * width, L * width, size=width))
            dst.append(v)
    hw = Hardware("Big", (CoreType("X", 8, (Queue("q", ("*",)),)),
                          CoreType("Y", 16, (Queue("q", ("*",)),))))
    kind = (layer % 2).astype(np.int16)
    g = TaskGraph.build(name="big", hardware=hw, devices=devices, ops=("big",),
                        kinds=("X", "Y"), cores=(("X",), ("Y",)), op=np.zeros(n, np.int32),
                        kind=kind, device=(np.arange(n) % devices).astype(np.int32),
                        src=np.concatenate(src), dst_edges=np.concatenate(dst),
                        fixed_ns=rng.integers(1, 1000, n))
    return g, Machine.of(hw, devices)


def test_heft_is_fast_on_a_large_graph():
    g, m = _layered(10, 5000, 3)       # 50k tasks, 135k edges
    t0 = time.perf_counter()
    s = run("heft", g, m, Options())
    assert time.perf_counter() - t0 < 20
    assert s.makespan >= s.lower_bound
