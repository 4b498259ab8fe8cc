"""Lower bounds: exact values on small cases, and never above an optimum."""
from hpdsl.solvers.bounds import bounds, lower_bound
from hpdsl.solvers.context import Context
from solvers_graphs import explicit


def test_critical_path_is_the_longest_chain_after_the_launch():
    g, m = explicit("c", [("A", 4)], [("A", 3, []), ("A", 4, [0]), ("A", 5, [1]), ("A", 1, [])],
                    launch=10)
    b = bounds(Context.of(g, m))
    assert b.critical_path == 10 + 3 + 4 + 5


def test_work_bound_divides_total_work_by_workers():
    g, m = explicit("w", [("A", 2)], [("A", 5, [])] * 5)
    assert bounds(Context.of(g, m)).work == 13          # ceil(25 / 2)
    assert lower_bound(g, m) == 13


def test_work_bound_uses_heads_and_tails_on_one_worker():
    # a -> b on A, c -> d on B; on worker A: head 0, work 1 + 10, and b waits for nothing;
    # x (on B, 10) must precede y (on A, 1): A's work starts no earlier than 10
    g, m = explicit("ht", [("A", 1), ("B", 1)],
                    [("B", 10, []), ("A", 1, [0]), ("A", 1, [0])])
    assert bounds(Context.of(g, m)).work == 12


def test_tasks_eligible_for_two_core_types_count_against_both():
    # six tasks of 10 that run on A or B, one worker each: 60 / 2 = 30, not 60 on one
    g, m = explicit("ab", [("A", 1), ("B", 1)], [("A|B", 10, [])] * 6)
    assert bounds(Context.of(g, m)).work == 30
    # a task pinned to A adds to A alone and to {A, B} together
    g, m = explicit("ab2", [("A", 1), ("B", 1)], [("A|B", 10, [])] * 2 + [("A", 40, [])])
    assert bounds(Context.of(g, m)).work == 40


def test_empty_graph_has_zero_bounds():
    g, m = explicit("e", [("A", 1)], [])
    assert lower_bound(g, m) == 0
