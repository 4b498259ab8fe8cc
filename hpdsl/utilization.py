"""Utilization: the share of the makespan each core type's workers spend running tasks.

One rule for a schedule's predicted times and an emulation's measured ones: a worker's
busy time over the makespan, averaged over the workers of each core type (a task with
start < 0 did not run and counts for nothing).

    >>> import numpy as np
    >>> from hpdsl.machine import Machine
    >>> from hpdsl.spec import CoreType, Hardware, Queue
    >>> m = Machine.of(Hardware("H", (CoreType("C", 2, (Queue("q", ("*",)),)),)))
    >>> utilization(m, np.array([0, 0]), np.array([10, 5]), np.array([0, 1]), 10)
    {'C': 0.75}
"""
from __future__ import annotations

import numpy as np

from hpdsl.machine import Machine


def worker_busy(start, end, worker, n_workers, makespan) -> np.ndarray:
    """Fraction of 0..makespan each worker spends running the tasks that ran (start >= 0)."""
    ran = start >= 0
    busy = np.bincount(worker[ran], weights=(end - start)[ran], minlength=n_workers)
    return busy / makespan if makespan > 0 else np.zeros(n_workers)


def core_utilization(machine: Machine, busy_frac: np.ndarray) -> dict[str, float]:
    """Core type -> mean of its workers' busy fractions (0.0 for a type with no workers)."""
    out = {}
    for ci, name in enumerate(machine.core_types):
        sel = machine.worker_core == ci
        out[name] = float(busy_frac[sel].mean()) if sel.any() else 0.0
    return out


def utilization(machine: Machine, start, end, worker, makespan) -> dict[str, float]:
    """Core type -> fraction of its workers' time (0..makespan) spent running tasks."""
    busy = worker_busy(start, end, np.asarray(worker), len(machine.workers), makespan)
    return core_utilization(machine, busy)
