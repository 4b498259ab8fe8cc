"""Identical input, identical schedule: every scheduler, run twice, without a time limit
being reached (the portfolio's restarts are counted; cpsat's search is interleaved)."""
import numpy as np
import pytest

from hpdsl.benchdata import parse_jobshop
from hpdsl.solvers import REGISTRY, Options, run
from solvers_graphs import BENCHDATA, explicit, jobshop


def graphs():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06")
    yield jobshop(js)
    tasks = [("A|B" if i % 3 else "A", 300 + (i * 37) % 500, [i - 1] if i % 4 else [], i % 2)
             for i in range(24)]
    yield explicit("two", [("A", 2), ("B", 2)], tasks, sync_latency=50, devices=2,
                   link_latency=100)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_scheduler_repeats_itself(name):
    for g, m in graphs():
        opts = Options(time_limit=60, solver_workers=2, tabu_iterations=300)
        a = run(name, g, m, opts)
        b = run(name, g, m, opts)
        assert a.status == b.status and a.lower_bound == b.lower_bound, name
        assert np.array_equal(a.worker, b.worker) and np.array_equal(a.start, b.start), name
