"""The CP-SAT scheduler: proofs, the latency rule, links, refusal, time limits, progress."""
import time

import numpy as np
import pytest

from hpdsl.benchdata import parse_jobshop
from hpdsl.errors import UserError
from hpdsl.solvers import Options, run
from solvers_graphs import BENCHDATA, explicit, jobshop
from test_placer import sends


def test_cpsat_proves_ft06_optimum():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06")
    g, m = jobshop(js)
    s = run("cpsat", g, m, Options(time_limit=30, solver_workers=1))
    assert s.status == "optimal"
    assert s.makespan == 55_000 == s.lower_bound


def test_cpsat_refuses_a_graph_above_its_size_limit_before_modelling():
    g, m = explicit("big", [("A", 2)], [("A", 1, [])] * 11)
    with pytest.raises(UserError, match=r"graph 'big' has 11 tasks, more than the 10 the exact "
                                        r"scheduler 'cpsat' accepts; raise the limit "
                                        r"\(--max-cpsat-tasks\) or use a heuristic such as "
                                        r"'portfolio'"):
        run("cpsat", g, m, Options(max_cpsat_tasks=10))


def test_cpsat_size_cap_is_higher_than_z3s():
    assert Options().max_cpsat_tasks > Options().max_z3_tasks


def test_latency_is_waived_only_on_one_worker():
    g, m = explicit("lat", [("A", 2)], [("A", 100, []), ("A", 100, [0])], sync_latency=1000)
    s = run("cpsat", g, m)
    assert s.status == "optimal" and s.makespan == 200
    assert s.worker[0] == s.worker[1]


def test_parallelism_beats_latency_when_it_pays():
    g, m = explicit("par", [("A", 2)], [("A", 2000, []), ("A", 5000, [0]), ("A", 5000, [0])],
                    sync_latency=1000)
    s = run("cpsat", g, m)
    assert s.status == "optimal" and s.makespan == 2000 + 1000 + 5000
    assert s.worker[1] != s.worker[2]


def test_cross_device_edges_pay_the_link_latency():
    g, m = explicit("dev", [("A", 1)], [("A", 100, [], 0), ("A", 100, [0], 1)],
                    sync_latency=10, devices=2, link_latency=500)
    s = run("cpsat", g, m)
    assert s.makespan == 100 + 510 + 100


def test_sends_sharing_a_link_hold_it_one_after_another():
    # three sends of 1000 ns link time each out of device 0 (four workers to run them):
    # the link out serializes them, as the placer's timelines do
    ctx = sends([(0, 1), (0, 2), (0, 1)])
    s = run("cpsat", ctx.graph, ctx.machine)
    starts = sorted(s.start.tolist())
    assert all(b - a >= 1000 for a, b in zip(starts, starts[1:]))


def test_time_limit_gives_a_feasible_schedule_and_a_bound():
    times = [97, 89, 83, 79, 73, 71, 67, 61, 59, 53, 47, 43, 41, 37, 31, 29, 23, 19, 17, 13]
    g, m = explicit("tl", [("A", 3)], [("A", t, []) for t in times])
    s = run("cpsat", g, m, Options(time_limit=0.2, solver_workers=1))
    assert s.status in ("feasible", "optimal")
    assert -(-sum(times) // 3) <= s.lower_bound <= s.makespan


def test_wide_pools_keep_the_time_limit_and_report_progress():
    # 300 tasks in chains of three, 64 identical workers: model building and search
    # both stay within the limit
    tasks = [("A", 1000 + 7 * (i % 13), [i - 1] if i % 3 else []) for i in range(300)]
    g, m = explicit("wide", [("A", 64)], tasks, sync_latency=100)
    msgs = []
    t0 = time.perf_counter()
    s = run("cpsat", g, m, Options(time_limit=3, solver_workers=1, progress=msgs.append))
    assert time.perf_counter() - t0 < 3 * 1.1 + 1.0
    assert s.lower_bound <= s.makespan
    assert any(msg.startswith("cpsat: 300 tasks") for msg in msgs)


def test_zero_time_tasks_are_never_inside_another_task():
    g, m = explicit("zero", [("A", 1)], [("A", 500, []), ("A", 0, []), ("A", 300, [1])])
    s = run("cpsat", g, m)     # run() checks the schedule: no task inside another
    assert s.status == "optimal" and s.makespan == 800
    assert np.all(s.end >= s.start)


def test_cli_passes_the_cpsat_options(capsys):
    from pathlib import Path

    from hpdsl.cli import main

    spec = str(Path(__file__).resolve().parents[1] / "examples" / "diamond.hpm")
    assert main(["schedule", spec, "-s", "cpsat", "--max-cpsat-tasks", "2"]) == 1
    assert "more than the 2 the exact scheduler 'cpsat' accepts" in capsys.readouterr().err
    assert main(["schedule", spec, "-s", "cpsat", "--solver-workers", "1", "--json"]) == 0
    assert '"status": "optimal"' in capsys.readouterr().out
