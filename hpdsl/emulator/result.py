"""`Finding` and `Result`: the emulator's verdict and measurements, as frozen values."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hpdsl.emulator.record import Record

KINDS = ("missing-sync", "deadlock", "never-satisfied", "flag-overflow", "flag-clash",
         "buffer-overflow")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: `kind` (see KINDS), a sentence, and the tasks, queues and times involved.

    `severity` is "error" (the plan is wrong) or "warning" (it runs, but a modelling
    assumption fails: a tile larger than its core's buffer would have to be split inside
    the kernel, which the cost model does not charge).
    """

    kind: str
    message: str
    tasks: tuple[int, ...] = ()
    queues: tuple[str, ...] = ()
    times: tuple[int, ...] = ()
    severity: str = "error"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "message": self.message,
                "tasks": list(self.tasks), "queues": list(self.queues), "times_ns": list(self.times)}


@dataclass(frozen=True, slots=True)
class OpStats:
    op: str
    first_start: int
    last_end: int
    busy: int          # summed task time, ns
    tasks: int


@dataclass(frozen=True, eq=False)
class Result:
    """Emulated times and measurements of one plan.

    `utilization[core type]`: mean busy fraction of its workers over the makespan;
    `starved[core type]`: ns (mean over devices) during which a worker of that type is idle
    while a task that will run on that type is ready (all its dependencies ended) but not
    started; `exposed_comm`: ns (summed over devices) in which a send runs and no compute
    does on its device; `prediction_error`: (emulated - predicted) / predicted makespan.
    """

    start: np.ndarray
    end: np.ndarray
    makespan: int
    predicted_makespan: int
    worker_busy: np.ndarray          # fraction per worker
    utilization: dict
    starved: dict
    exposed_comm: int
    ops: tuple[OpStats, ...]
    findings: tuple[Finding, ...]
    record: Record = field(repr=False)      # what the interpreter saw, the findings' source
    events_processed: int = 0

    @property
    def traffic(self) -> dict[str, dict[str, int]]:
        """Per op name: weights_hbm_bytes, activations_hbm_bytes, writeback_hbm_bytes,
        l2_hit_bytes, summed over devices (DESIGN §7); empty without data blocks."""
        return self.record.traffic

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity != "error")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def prediction_error(self) -> float | None:
        if self.predicted_makespan <= 0:
            return None
        return (self.makespan - self.predicted_makespan) / self.predicted_makespan
