"""List heuristics: valid, never below an optimum, deterministic on a large layer."""
from pathlib import Path

import numpy as np
import pytest

from hpdsl.benchdata import parse_stg, stg_optima
from hpdsl.cost import task_times
from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.settings import parse_settings
from hpdsl.schedule import check_schedule
from hpdsl.solvers import Options, run
from hpdsl.solvers.context import Context
from hpdsl.solvers.listsched import list_schedule
from solvers_graphs import BENCHDATA, explicit, stg

HEURISTICS = ("heft", "dispatch", "cp", "fifo", "random", "portfolio")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


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


@pytest.fixture(scope="module")
def layer():
    """A DeepSeek-V3 layer at 2 dies and 512 tokens: 13,312 tasks, sends, two core types."""
    g = generate(checked_target(load(str(EXAMPLES / "deepseek_moe.hpm")), "fine",
                                parse_settings(["devices=2", "tokens=512"])))
    return g, Machine.of(g.hardware, g.devices)


def _bounds(g, m) -> tuple[int, int]:
    """Two lower bounds worked out apart from the schedulers' own: the longest chain of
    task times (latencies left out), and the busiest (device, core type)'s work over its
    instances (on the A3 every kind runs on one core type)."""
    times = task_times(g, m)
    assert ((times >= 0).sum(axis=1) == 1).all()
    t = times.max(axis=1)
    core = times.argmax(axis=1)
    finish = np.zeros(g.n_tasks, np.int64)
    for v in g.topological_order().tolist():
        preds = g.predecessors(v)
        finish[v] = t[v] + (finish[preds].max() if len(preds) else 0)
    counts = np.array([c.count for c in g.hardware.cores])
    work = np.zeros((g.devices, len(counts)), np.int64)
    np.add.at(work, (g.device, core), t)
    return int(finish.max()), int(np.ceil(work / counts).max())


@pytest.mark.parametrize("name", ["heft", "fifo"])
def test_list_rules_on_a_large_layer_are_valid_deterministic_and_above_the_bounds(name, layer):
    """(Their speed is measured by benchmarks/bench_schedule.py, not here.)"""
    g, m = layer
    s = run(name, g, m, Options())
    check_schedule(g, m, s)
    again = run(name, g, m, Options())
    for a in ("worker", "start", "end"):
        assert np.array_equal(getattr(s, a), getattr(again, a)), a
    path, work = _bounds(g, m)
    assert s.makespan >= s.lower_bound >= max(path, work)
