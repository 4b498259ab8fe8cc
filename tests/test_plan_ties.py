"""Stream order of zero-time tasks tied at one instant on one worker."""
from __future__ import annotations

import numpy as np

from hpdsl.emulator import emulate
from hpdsl.machine import Machine
from hpdsl.plan import lower
from hpdsl.plan.ties import kernel_release, release, tie_key
from hpdsl.schedule import Schedule
from plan_cases import explicit, hardware


def tied():
    """a (C1, 5 ns) -> x; p (C0, 2 ns); then y and x, zero-time, both on C0 at t=5: x is
    released at 5 by a, y (task 2, the smaller id) by nothing."""
    hw = hardware(cores=(("C", 2),), sync=0)
    a, p, y, x = range(4)
    g = explicit(hw, [5, 2, 0, 0], [(a, x)], ["C"] * 4)
    m = Machine.of(hw)
    s = Schedule("m", "feasible", np.array([1, 0, 0, 0], np.int32), np.array([0, 0, 5, 5]),
                 np.array([5, 2, 5, 5]))
    return g, m, s


def _args(g, m, s):
    src, dst = g.edges()
    w = s.worker.astype(np.int64)
    return (g, m, w, np.zeros(g.n_tasks, np.int64), s.start.astype(np.int64),
            s.end.astype(np.int64), src.astype(np.int64), dst.astype(np.int64))


def test_release_is_the_latest_other_queue_dependency():
    g, m, s = tied()
    r = release(*_args(g, m, s))
    assert r[3] == 5 and r[:3].max() < 0


def test_kernels_are_released_a_launch_after_the_previous_one_ends():
    assert kernel_release(np.array([0, 0, 1, 2]), np.array([4, 9, 12, 20]), 3) == {0: 3, 1: 12, 2: 15}


def test_a_tie_starts_with_the_task_released_at_its_instant():
    g, m, s = tied()
    key = tie_key(*_args(g, m, s))
    assert key[3] < key[2]            # x, released at 5, before y
    p = lower(g, m, s)
    assert [op for op in p.stream(0) if op[0] == "exec"] == [("exec", 1, 0), ("exec", 3, 0),
                                                                ("exec", 2, 0)]
    r = emulate(g, m, p)
    assert r.start.tolist() == s.start.tolist()     # y first would start at 2


def test_no_zero_time_ties_no_key():
    hw = hardware(cores=(("C", 1),))
    g = explicit(hw, [1, 2], [], ["C", "C"])
    s = Schedule("m", "feasible", np.array([0, 0], np.int32), np.array([0, 1]), np.array([1, 3]))
    assert tie_key(*_args(g, Machine.of(hw), s)).tolist() == [0, 0]
