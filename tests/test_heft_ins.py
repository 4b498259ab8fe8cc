"""heft-ins: textbook HEFT with insertion, worked out by hand on small graphs."""
from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st

from hpdsl.generate import generate
from hpdsl.lang import checked_target, load
from hpdsl.machine import Machine
from hpdsl.solvers import Options, run
from hpdsl.solvers.links import Timeline
from solvers_graphs import explicit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def gap_graph():
    """z (B, 3 us) -> y (A, 5 us); w (A, 2 us) and x (A, 1 us) stand alone.

    Ranks: z 8, y 5, w 2, x 1 us. Both HEFTs put z on B at 0-3 and y on A at 3-8. heft
    then appends w (8-10) and x (10-11); heft-ins puts w into A's idle gap 0-3 (at 0-2)
    and x into what is left of it (2-3): 8 us, the critical path.
    """
    return explicit("gap", [("A", 1), ("B", 1)],
                    [("B", 3000, []), ("A", 5000, [0]), ("A", 2000, []), ("A", 1000, [])])


def test_insertion_fills_the_gap_that_heft_leaves():
    g, m = gap_graph()
    ins, plain = run("heft-ins", g, m), run("heft", g, m)
    assert ins.start.tolist() == [0, 3000, 0, 2000] and ins.makespan == 8000
    assert plain.makespan == 11000


def test_a_successor_on_its_predecessors_worker_pays_no_latency():
    # a -> b on A (two workers), latency 1 us: b right after a on a's worker, at 1 us;
    # on the other worker it could start only at 2 us
    g, m = explicit("lat", [("A", 2)], [("A", 1000, []), ("A", 1000, [0])], sync_latency=1000)
    s = run("heft-ins", g, m)
    assert s.worker[1] == s.worker[0] and s.start[1] == 1000


def test_earliest_finish_looks_at_every_core_type():
    # t1 (B, 4 us) ranks first and takes B at 0-4; t0 (A or B, 3 us) then finishes
    # earliest on A (0-3), not after t1 on B (4-7)
    g, m = explicit("eft", [("A", 1), ("B", 1)], [("A|B", 3000, []), ("B", 4000, [])])
    s = run("heft-ins", g, m)
    assert m.workers[int(s.worker[0])].core == "A" and s.end[0] == 3000


def test_zero_time_tasks_sit_at_a_gap_edge_and_the_schedule_checks():
    g, m = explicit("zero", [("A", 1)], [("A", 0, []), ("A", 2000, []), ("A", 0, [1]),
                                         ("A", 0, [])])
    s = run("heft-ins", g, m)   # run() checks that no task lies inside another
    assert s.makespan == 2000


def test_zero_length_intervals_keep_a_timeline_sorted():
    tl = Timeline()
    tl.add(5, 0)
    tl.add(5, 3)
    tl.add(5, 0)
    assert tl.ends == sorted(tl.ends)
    assert tl.conflict(6, 1) == 8 and tl.conflict(5, 0) is None


def _layer():
    g = generate(checked_target(load(str(EXAMPLES / "labs" / "tile_sizes.hpm")), "large"))
    return g, Machine.of(g.hardware, g.devices)


def test_sends_never_share_a_link_in_the_prediction_and_runs_repeat():
    g, m = _layer()
    s = run("heft-ins", g, m)
    again = run("heft-ins", g, m)
    assert np.array_equal(s.start, again.start) and np.array_equal(s.worker, again.worker)
    remote = np.flatnonzero((g.dst >= 0) & (g.dst != g.device))
    bw = g.hardware.link.bandwidth
    for dev in range(g.devices):
        out = remote[g.device[remote] == dev]
        o = out[np.argsort(s.start[out])]
        ends = s.start[o] + np.ceil(g.bytes_sent[o] / bw * 1e9).astype(np.int64)
        assert (s.start[o][1:] >= ends[:-1]).all(), dev


def test_the_slow_case_says_so_before_it_starts():
    g, m = gap_graph()
    said = []
    from hpdsl.solvers import heft_ins

    old, heft_ins.SLOW_TASKS = heft_ins.SLOW_TASKS, 2
    try:
        run("heft-ins", g, m, Options(progress=said.append))
    finally:
        heft_ins.SLOW_TASKS = old
    assert said == [("heft-ins: 4 tasks; it scans every eligible worker and its idle gaps "
                     "for each task, which takes minutes here (heft takes seconds)")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 5)), min_size=1,
                max_size=8), st.data())
def test_insertion_never_leaves_a_gap_a_later_task_could_have_used(spec, data):
    # every task starts at its data-ready time or right after a task of its worker (it
    # was put at the earliest start where it fits; one worker per core type, so the
    # earliest finish is the earliest start)
    tasks = []
    for i, (core, t) in enumerate(spec):
        preds = sorted(data.draw(st.sets(st.integers(0, i - 1), max_size=2))) if i else []
        tasks.append((core, t * 1000, preds))
    g, m = explicit("p", [("A", 1), ("B", 1)], tasks)
    s = run("heft-ins", g, m)
    for t in range(g.n_tasks):
        ready = max([0] + [int(s.end[u]) for u in g.predecessors(t)])
        same = [int(s.end[u]) for u in range(g.n_tasks) if u != t and s.worker[u] == s.worker[t]]
        assert s.start[t] == ready or s.start[t] in same, t
