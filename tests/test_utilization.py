"""The one utilization rule: busy time over the makespan, averaged per core type."""
from __future__ import annotations

import numpy as np

from hpdsl.machine import Machine
from hpdsl.spec import CoreType, Hardware, Queue
from hpdsl.utilization import core_utilization, utilization, worker_busy

Q = (Queue("q", ("*",)),)
# workers 0, 1: C; worker 2: D (device, core type, instance order)
M = Machine.of(Hardware("H", (CoreType("C", 2, Q), CoreType("D", 1, Q))))


def test_busy_time_over_the_makespan_per_worker_and_core_type():
    start = np.array([0, 0, 2, 4])
    end = np.array([6, 5, 6, 10])
    worker = np.array([0, 1, 2, 0])
    # worker 0 runs 6 + 6 = 12 ns, worker 1 5 ns, worker 2 4 ns of 20
    assert worker_busy(start, end, worker, 3, 20).tolist() == [0.6, 0.25, 0.2]
    # C: (0.6 + 0.25) / 2; D: its one worker
    assert utilization(M, start, end, worker, 20) == {"C": 0.425, "D": 0.2}


def test_a_task_that_did_not_run_counts_for_nothing():
    start, end = np.array([0, -1]), np.array([10, -1])
    assert utilization(M, start, end, np.array([2, 2]), 10) == {"C": 0.0, "D": 1.0}


def test_an_empty_makespan_is_idle_everywhere():
    assert utilization(M, np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), 0) == \
        {"C": 0.0, "D": 0.0}
    assert core_utilization(M, np.array([1.0, 0.0, 0.5])) == {"C": 0.5, "D": 0.5}
