"""lns: windows re-solved with CP-SAT; never worse than its start, deterministic for an
iteration budget, and the window is the tasks starting nearest the chosen one."""
import numpy as np
from hypothesis import given, settings

from hpdsl.benchdata import parse_jobshop
from hpdsl.schedule import Schedule
from hpdsl.solvers import Options, run
from hpdsl.solvers.context import Context
from hpdsl.solvers.reuse import best_start
from hpdsl.solvers.lns_window import WindowModel, window
from hpdsl.solvers.tabu_graph import Solution
from solvers_graphs import BENCHDATA, explicit, jobshop
from test_tabu_graph import graphs


def ft06():
    return jobshop(parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06"))


def test_a_window_over_the_whole_job_shop_reaches_the_ft06_optimum():
    g, m = ft06()
    s = run("lns", g, m, Options(lns_iterations=20))
    assert s.makespan == 55_000 and "59000 -> 55000 ns" in s.notes[0]


def test_an_iteration_budget_gives_the_same_schedule_twice():
    js = parse_jobshop((BENCHDATA / "jsplib/instances/la16").read_text(), "la16")
    g, m = jobshop(js)
    a, b = (run("lns", g, m, Options(lns_iterations=15, lns_window=30)) for _ in range(2))
    assert np.array_equal(a.start, b.start) and np.array_equal(a.worker, b.worker)
    assert a.makespan < run("portfolio", g, m).makespan


def test_the_window_is_the_tasks_starting_nearest_the_chosen_one():
    g, m = explicit("w", [("A", 1)], [("A", 100, [])] * 6)   # one chain of 6 on A
    ctx = Context.of(g, m)
    worker = np.zeros(6, np.int32)
    start = np.arange(6, dtype=np.int64) * 100
    sol = Solution(ctx, Schedule("x", "heuristic", worker, start, start + 100))
    assert window(sol, list(range(6)), 3, 3) == (200, 400)
    assert window(sol, list(range(6)), 0, 2) == (0, 100)
    assert window(sol, list(range(6)), 5, 10) == (0, 500)


def test_a_freed_task_moves_to_an_idle_worker_of_its_pool():
    # two independent 500 ns tasks and a 100 ns one after both, all on worker 0 of two
    g, m = explicit("pool", [("A", 2)], [("A", 500, []), ("A", 500, []), ("A", 100, [0, 1])],
                    sync_latency=50)
    ctx = Context.of(g, m)
    worker = np.zeros(3, np.int32)
    start = np.array([0, 500, 1000], np.int64)
    sol = Solution(ctx, Schedule("x", "heuristic", worker, start, start + [500, 500, 100]))
    model = WindowModel(sol, [0, 1], 0, 1000, choices=2)
    seqs, moved = model.solve(10, 1.0, 0)
    assert sol.change(seqs, moved) and sol.makespan == 650   # 500 + 50 + 100
    assert len(moved) == 1


@settings(max_examples=25, deadline=None)
@given(graphs())
def test_never_worse_than_its_start_and_never_below_the_bound(gm):
    g, m = gm
    s = run("lns", g, m, Options(lns_iterations=5, lns_window=4))   # run() checks validity
    assert s.lower_bound <= s.makespan <= best_start(g, m, Options()).makespan


def test_a_window_below_one_task_is_a_usage_error(capsys):
    from hpdsl.cli import main
    assert main(["schedule", "examples/ft06.hpm", "-s", "lns", "--lns-window", "0"]) == 1
    assert "--lns-window must be a whole number >= 1, got 0" in capsys.readouterr().err
