"""The exact scheduler: proven optima, refusal of large graphs, time limits."""
import pytest

from hpdsl.benchdata import parse_jobshop
from hpdsl.errors import UserError
from hpdsl.solvers import Options, run
from solvers_graphs import BENCHDATA, explicit, jobshop


def test_z3_proves_ft06_optimum():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06")
    g, m = jobshop(js)
    s = run("z3", g, m, Options(time_limit=60))
    assert s.status == "optimal"
    assert s.makespan == 55_000 == s.lower_bound


def test_z3_refuses_a_graph_above_the_size_limit_before_modelling():
    g, m = explicit("big", [("A", 2)], [("A", 1, [])] * 11)
    with pytest.raises(UserError, match=r"graph 'big' has 11 tasks, more than the 10 the exact "
                                        r"scheduler 'z3' accepts; raise the limit "
                                        r"\(--max-z3-tasks\) or use a heuristic such as "
                                        r"'portfolio'"):
        run("z3", g, m, Options(max_z3_tasks=10))


def test_latency_is_paid_only_across_workers():
    # a -> b, 1 us sync latency, two identical workers: optimal keeps b on a's worker
    g, m = explicit("lat", [("A", 2)], [("A", 100, []), ("A", 100, [0])], sync_latency=1000)
    s = run("z3", g, m)
    assert s.status == "optimal" and s.makespan == 200
    assert s.worker[0] == s.worker[1]


def test_parallelism_beats_latency_when_it_pays():
    # a -> (b, c) of 5 us each; latency 1 us; two workers: 2+5+... c goes to the other worker
    g, m = explicit("par", [("A", 2)], [("A", 2000, []), ("A", 5000, [0]), ("A", 5000, [0])],
                    sync_latency=1000)
    s = run("z3", g, m)
    assert s.makespan == 2000 + 1000 + 5000
    assert s.status == "optimal"


def test_cross_device_edges_pay_the_link_latency():
    g, m = explicit("dev", [("A", 1)], [("A", 100, [], 0), ("A", 100, [0], 1)],
                    sync_latency=10, devices=2, link_latency=500)
    s = run("z3", g, m)
    assert s.makespan == 100 + 510 + 100
    assert list(m.worker_device[s.worker]) == [0, 1]


def test_time_limit_gives_feasible_schedule_with_a_bound_or_a_proof():
    # 14 independent tasks on 3 identical workers: hard-ish for a tiny time limit
    times = [97, 89, 83, 79, 73, 71, 67, 61, 59, 53, 47, 43, 41, 37]
    g, m = explicit("tl", [("A", 3)], [("A", t, []) for t in times])
    s = run("z3", g, m, Options(time_limit=0.05))
    assert s.status in ("feasible", "optimal")
    assert s.lower_bound <= s.makespan
    assert s.lower_bound >= -(-sum(times) // 3)


def test_time_limit_holds_while_the_model_is_built_on_wide_pools():
    # 300 tasks that may share 128 workers: ~45,000 ordering pairs, many seconds to build
    import time

    tasks = [("A|B" if i % 3 else "A", 1000 + (i * 7919) % 3001,
              ([i - 1] if i % 4 else []) + ([i - 37] if i >= 37 and i % 4 else []))
             for i in range(300)]
    g, m = explicit("wide", [("A", 64), ("B", 64)], tasks, sync_latency=700)
    msgs = []
    t0 = time.perf_counter()
    s = run("z3", g, m, Options(time_limit=1.0, progress=msgs.append))
    assert time.perf_counter() - t0 < 1.0 * 1.1 + 0.5
    assert s.status == "feasible" and s.lower_bound <= s.makespan
    assert "time limit while building the model (in " in s.notes[0]
    assert any("time limit while building the model" in msg for msg in msgs)
