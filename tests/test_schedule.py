"""The shared schedule checker: one test per kind of violation it reports."""
import numpy as np
import pytest

from hpdsl.schedule import Schedule, ScheduleError, check_schedule
from solvers_graphs import explicit


def setup():
    # t0 (A, 10) -> t1 (A, 5); t2 (B, 7); sync latency 3; 2 A workers, 1 B worker
    return explicit("c", [("A", 2), ("B", 1)], [("A", 10, []), ("A", 5, [0]), ("B", 7, [])],
                    sync_latency=3)


def sched(worker, start, times=(10, 5, 7), kernel=None):
    start = np.array(start, np.int64)
    return Schedule("t", "heuristic", np.array(worker, np.int32), start,
                    start + np.array(times, np.int64),
                    kernel=None if kernel is None else np.array(kernel, np.int32))


def test_a_valid_schedule_passes():
    g, m = setup()
    check_schedule(g, m, sched([0, 0, 2], [0, 10, 0]))
    check_schedule(g, m, sched([0, 1, 2], [0, 13, 0]))     # other worker: pays the latency


@pytest.mark.parametrize("s, message", [
    (Schedule("t", "heuristic", np.zeros(2, np.int32), np.zeros(2, np.int64),
              np.zeros(2, np.int64)), "t: schedule covers 2 of 3 tasks"),
    (sched([0, 0, 9], [0, 10, 0]), "t: worker id out of range"),
    (sched([0, 0, 0], [0, 10, 20]), r"t: task t2 placed on d0.A0.q, which cannot run it"),
    (sched([0, 0, 2], [0, 10, 0], times=(10, 6, 7)), "t: task t1 lasts 6 ns, cost model says 5 ns"),
    (sched([0, 0, 2], [-1, 10, 0]), "t: negative start time"),
    (sched([0, 0, 2], [0, 9, 0]), r"t: tasks t0 and t1 overlap on d0.A0.q"),
    (sched([0, 1, 2], [0, 9, 0]), r"t: t1 starts at 9 ns before its dependency t0 \(ends 10 ns\) "
                                  r"plus latency"),
    (sched([0, 1, 2], [0, 12, 0]), r"t: t1 starts at 12 ns before its dependency t0"),
    (sched([0, 1, 2], [0, 13, 5], kernel=[0, 1, 1]), "t: kernel 1 starts before kernel 0 ends"),
])
def test_each_violation_is_reported(s, message):
    g, m = setup()
    with pytest.raises(ScheduleError, match=message):
        check_schedule(g, m, s)


def test_zero_time_task_at_another_tasks_start_is_no_overlap():
    g, m = explicit("z", [("A", 1)], [("A", 0, []), ("A", 10, [])])
    check_schedule(g, m, sched([0, 0], [5, 5], times=(0, 10)))
    with pytest.raises(ScheduleError, match="overlap"):
        check_schedule(g, m, sched([0, 0], [7, 5], times=(0, 10)))


def test_a_dependency_across_kernels_pays_no_sync_latency():
    # a barrier is a host synchronization: t1 on another worker may start right at t0's end
    # (plus the launch, 0 here), not end + sync latency
    g, m = setup()
    check_schedule(g, m, sched([0, 1, 2], [0, 10, 0], kernel=[0, 1, 0]))
    with pytest.raises(ScheduleError, match="before its dependency t0"):
        check_schedule(g, m, sched([0, 1, 2], [0, 10, 0], kernel=[0, 0, 0]))


def test_a_kernel_starts_a_launch_after_the_earlier_kernels_end():
    g, m = explicit("k", [("A", 2), ("B", 1)], [("A", 10, []), ("A", 5, [0]), ("B", 7, [])],
                    sync_latency=3, launch=4)
    check_schedule(g, m, sched([0, 1, 2], [4, 18, 4], kernel=[0, 1, 0]))
    with pytest.raises(ScheduleError, match=r"t: kernel 1 starts at 17 ns, less than the launch "
                                            r"\(4 ns\) after the earlier kernels end \(14 ns\)"):
        check_schedule(g, m, sched([0, 1, 2], [4, 17, 4], kernel=[0, 1, 0]))
