"""Lower bounds: exact values on small cases, and never above an optimum."""
from hpdsl.solvers import run
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


def two_queue_graph(n_mm, n_vec, ns=1000):
    """A core type C (2 instances) with one matmul and one vector queue per instance."""
    import numpy as np

    from hpdsl.graph import TaskGraph
    from hpdsl.machine import Machine
    from hpdsl.spec import CoreType, Hardware, Queue

    hw = Hardware("H2", cores=(CoreType("C", 2, (Queue("cube", ("mm",)), Queue("vec", ("vec",)))),),
                  sync_latency=0)
    n = n_mm + n_vec
    g = TaskGraph.build(name="q", hardware=hw, devices=1, ops=("q",), kinds=("mm", "vec"),
                        cores=(("C",), ("C",)), op=np.zeros(n, np.int32),
                        kind=np.array([0] * n_mm + [1] * n_vec, np.int16), device=np.zeros(n, np.int32),
                        src=[], dst_edges=[], fixed_ns=np.full(n, ns, np.int64),
                        task_names=[f"t{i}" for i in range(n)])
    return g, Machine.of(hw, 1)


def test_work_bound_counts_the_queues_that_do_the_capability():
    # 8 matmul tasks of 1 us on 2 cube queues (the 2 vector queues cannot run them) and
    # 2 vector tasks: 4 us, where pooling all 4 queues of C with all 10 tasks said 2.5 us
    g, m = two_queue_graph(8, 2)
    assert bounds(Context.of(g, m)).work == 4000
    # the union of both sets counts all four queues: 24 tasks of 1 us need 6 us
    g, m = two_queue_graph(12, 12)
    assert bounds(Context.of(g, m)).work == 6000


def test_starved_counts_the_queues_of_the_tasks_class_as_the_bound_does():
    # three matmul tasks on two instances (a cube and a vector queue each): the third waits
    # for a cube queue while both vector queues idle, which it could not use
    import numpy as np

    from hpdsl.emulator.metrics import starved

    g, m = two_queue_graph(3, 0)
    cube = [w.id for w in m.workers if w.queue == "cube"]
    got = starved(g, m, np.array([0, 0, 1000]), np.array([1000, 1000, 2000]),
                  np.array([cube[0], cube[1], cube[0]]), 0)
    assert got == {"C": 0.0}


def test_arrival_bound_counts_late_tasks_after_their_head():
    # on 2 A workers: four tasks of 10 ready at 0, four more after a B task of 100; the
    # work and critical-path bounds see 110, the late four alone need 100 + 40 / 2
    late = [("A", 10, [0])] * 4
    g, m = explicit("arr", [("A", 2), ("B", 1)], [("B", 100, [])] + [("A", 10, [])] * 4 + late)
    b = bounds(Context.of(g, m))
    assert (b.work, b.critical_path, b.arrival) == (110, 110, 120)
    assert run("z3", g, m).makespan == 120


SENDS = [("A", 10, [], 0, 1, 100)] * 3 + [("B", 50, [0], 1), ("B", 50, [1], 1),
                                          ("B", 50, [2], 1)]


def test_link_bound_serializes_sends_on_a_link():
    # three sends of 100 on the link, the last one's consumer (50) after it: 300 - 100 +
    # 10 + 50; without links the work bound sees 150 on device 1's B
    g, m = explicit("links", [("A", 3), ("B", 1)], SENDS, devices=2, link_latency=0)
    b = bounds(Context.of(g, m))
    assert (b.work, b.links) == (160, 260)
    assert run("z3", g, m).makespan == 260


def test_feed_bound_waits_for_the_work_behind_late_sends():
    # sends start at >= 0 one after another: at tau = 100 at most 100 + 100 of link time
    # has started, so one send is unstarted; it ends at >= 110 and its consumer (50) on
    # device 1's one B worker ends at >= 160. Every send unstarted at 0 gives 10 + 150.
    g, m = explicit("feed", [("A", 3), ("B", 1)], SENDS, devices=2, link_latency=0)
    assert bounds(Context.of(g, m)).feed == 160


def test_link_bounds_are_zero_without_sends():
    g, m = explicit("none", [("A", 1)], [("A", 5, [])] * 3, devices=1)
    b = bounds(Context.of(g, m))
    assert (b.links, b.feed) == (0, 0)
