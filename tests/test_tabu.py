"""Tabu search: improves job shops, uses pool workers, never worsens its start."""
import numpy as np

from hpdsl.benchdata import parse_jobshop
from hpdsl.solvers import Options, run
from hpdsl.solvers.context import Context
from hpdsl.solvers.tabu_graph import Solution
from solvers_graphs import BENCHDATA, explicit, jobshop


def ft06():
    return jobshop(parse_jobshop((BENCHDATA / "jsplib/instances/ft06").read_text(), "ft06"))


def test_tabu_reaches_the_ft06_optimum_from_the_portfolio():
    g, m = ft06()
    start = run("portfolio", g, m)
    s = run("tabu", g, m, Options(tabu_iterations=3000))
    assert start.makespan == 59_000 and s.makespan == 55_000
    assert s.notes[0].startswith("3000 iterations in ") and "59000 -> 55000 ns" in s.notes[0]


def test_it_stops_when_the_lower_bound_is_met():
    g, m = explicit("lb", [("A", 1), ("B", 1)], [("A", 300, []), ("B", 200, []),
                                                ("A", 100, [1]), ("B", 400, [0])])
    s = run("tabu", g, m, Options(tabu_iterations=1000))
    assert s.makespan == s.lower_bound and "the lower bound is met" in s.notes[0]


def test_a_budget_of_iterations_stops_it_and_is_reported():
    g, m = ft06()
    s = run("tabu", g, m, Options(tabu_iterations=5))
    assert s.notes[0].startswith("5 iterations in ") and "iteration budget spent" in s.notes[0]


def test_time_limit_stops_it():
    g, m = ft06()
    s = run("tabu", g, m, Options(tabu_iterations=0, time_limit=0.2, seed=3))
    assert "(time limit)" in s.notes[0] or "lower bound is met" in s.notes[0]


def test_moves_between_pool_workers_shorten_an_unbalanced_start():
    # a chain fed by two independent tasks on a pool of two workers: moving one of the
    # critical tasks to the idle worker is the only improving move
    g, m = explicit("pool", [("A", 2)], [("A", 500, []), ("A", 500, []), ("A", 100, [0, 1])],
                    sync_latency=50)
    ctx = Context.of(g, m)
    from hpdsl.schedule import Schedule
    worker = np.array([0, 0, 0], np.int32)
    start = np.array([0, 500, 1000], np.int64)
    sol = Solution(ctx, Schedule("x", "heuristic", worker, start, start + [500, 500, 100]))
    assert sol.makespan == 1100
    import random
    from hpdsl.solvers.tabu_moves import moves as tabu_moves
    moves = tabu_moves(sol, random.Random(0), pool_moves=4)
    assert min(est for est, _, mv in moves if mv[0] == "move") == 650   # 500 + 50 + 100


def test_the_semi_active_start_is_never_later_than_the_schedule_it_came_from():
    g, m = ft06()
    p = run("portfolio", g, m)
    sol = Solution(Context.of(g, m), p)
    assert sol.makespan <= p.makespan
    assert np.all(np.array(sol.head) <= p.start)
